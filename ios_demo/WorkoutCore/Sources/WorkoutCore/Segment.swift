import Foundation

/// One run of the same shown label: a set of an exercise, or a rest.
public struct Segment: Equatable, Sendable {
    /// Class index, or K for rest.
    public var labelIndex: Int
    public var label: String
    public var isRest: Bool
    /// Seconds, on the clock of the frame timestamps.
    public var start: TimeInterval
    public var end: TimeInterval
    /// Mean smoothed probability of the set's class over its frames; `nil` for a rest.
    public var meanConfidence: Double?
    /// Reps counted in a set, as shown at the last frame that showed it; `nil` for a rest.
    public var reps: Int?

    public init(
        labelIndex: Int,
        label: String,
        isRest: Bool,
        start: TimeInterval,
        end: TimeInterval,
        meanConfidence: Double?,
        reps: Int? = nil
    ) {
        self.labelIndex = labelIndex
        self.label = label
        self.isRest = isRest
        self.start = start
        self.end = end
        self.meanConfidence = meanConfidence
        self.reps = reps
    }

    public var duration: TimeInterval { end - start }
}
