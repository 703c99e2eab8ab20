import Foundation

/// What the screen shows for the latest classified frame.
public struct LiveLabel: Equatable, Sendable {
    /// Class index, or K for rest.
    public var labelIndex: Int
    public var name: String
    public var isRest: Bool
    /// Smoothed probability of the shown class; `nil` at rest.
    public var confidence: Float?
    /// Smoothed probability of every class, in class-index order.
    public var smoothed: [Float]
    public var timestamp: TimeInterval
}
