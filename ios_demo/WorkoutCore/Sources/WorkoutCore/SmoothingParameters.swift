import Foundation

/// The tuning of the smoothing state machine, as saved in the model's metadata.
///
/// The exported graph runs the state machine itself; the app only reads these
/// values to show them and to pace frames at `interval`.
public struct SmoothingParameters: Codable, Equatable, Sendable {
    /// Seconds between two classified frames.
    public var interval: TimeInterval
    /// Time constant of the moving average, in seconds.
    public var tau: TimeInterval
    public var enter: Double
    public var exit: Double
    public var floor: Double
    /// A class must be proposed this long before it is shown.
    public var minSet: TimeInterval
    /// Rest must be proposed this long before it is shown.
    public var minRest: TimeInterval

    public init(
        interval: TimeInterval = 0.2,
        tau: TimeInterval = 0.6,
        enter: Double = 0.7,
        exit: Double = 0.45,
        floor: Double = 0.5,
        minSet: TimeInterval = 1.0,
        minRest: TimeInterval = 1.0
    ) {
        self.interval = interval
        self.tau = tau
        self.enter = enter
        self.exit = exit
        self.floor = floor
        self.minSet = minSet
        self.minRest = minRest
    }

    enum CodingKeys: String, CodingKey {
        case interval = "interval_s"
        case tau = "tau_s"
        case enter
        case exit
        case floor
        case minSet = "min_set_s"
        case minRest = "min_rest_s"
    }
}
