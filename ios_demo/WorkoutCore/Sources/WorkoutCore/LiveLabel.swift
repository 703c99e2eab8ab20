import Foundation

/// What the screen shows for the latest classified frame.
public struct LiveLabel: Equatable, Sendable {
    /// Exercise index, or K for rest.
    public var labelIndex: Int
    /// The exercise's name, or the rest label.
    public var name: String
    public var isRest: Bool
    /// Smoothed probability of the shown exercise; `nil` at rest.
    public var confidence: Float?
    /// Smoothed probability of every model output in index order: the K exercises,
    /// then rest when the model has a trained rest class.
    public var smoothed: [Float]
    public var timestamp: TimeInterval
    /// Reps counted in the set shown now; 0 at rest.
    public var reps: Int = 0
}
