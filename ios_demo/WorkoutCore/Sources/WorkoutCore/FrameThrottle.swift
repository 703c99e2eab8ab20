import Foundation

/// Picks the camera frames to classify: one every `interval` seconds of
/// presentation time, and none while the previous one is still being classified.
///
/// Frames are chosen on a grid of due times, with the rule and slack of
/// gymnos_edge/data/sampler.py, so the phone samples like the training pipeline
/// does: a frame is taken once its timestamp reaches the next due time, and the
/// due time then moves past it by whole intervals. Variable frame rates and
/// jitter therefore keep the average pace at `interval` instead of drifting
/// slower, and no two frames are taken in one interval. Timestamps are the
/// frames' own, never the wall clock.
public struct FrameThrottle: Sendable {
    public enum Decision: Equatable, Sendable {
        /// Classify this frame, then call `finish()`.
        case accept
        /// Dropped: the next due time has not come yet.
        case tooSoon
        /// Dropped: a frame is still being classified.
        case busy
    }

    public let interval: TimeInterval
    /// How far before its due time a frame still counts as on time.
    public let slack: TimeInterval

    public private(set) var isInFlight = false
    public private(set) var lastAccepted: TimeInterval?
    private var nextDue: TimeInterval?

    public init(interval: TimeInterval, slack: TimeInterval = 0.001) {
        precondition(interval > 0, "the frame interval must be positive")
        precondition(slack >= 0 && slack < interval, "the slack must lie in [0, interval)")
        self.interval = interval
        self.slack = slack
    }

    /// Decides on the frame presented at `timestamp` (seconds); `.accept` marks it in flight.
    public mutating func begin(at timestamp: TimeInterval) -> Decision {
        if isInFlight { return .busy }
        // A timestamp before the last accepted one starts a new timeline (a restarted session).
        if let last = lastAccepted, timestamp < last { nextDue = nil }
        if let due = nextDue, timestamp < due - slack { return .tooSoon }
        var due = nextDue ?? timestamp
        if due <= timestamp + slack {
            due += (((timestamp + slack - due) / interval).rounded(.down) + 1) * interval
        }
        while due <= timestamp + slack { due += interval }
        nextDue = due
        lastAccepted = timestamp
        isInFlight = true
        return .accept
    }

    /// Marks the accepted frame as done (successfully or not).
    public mutating func finish() {
        isInFlight = false
    }

    /// Forgets the timeline, as at the start of a new session.
    public mutating func reset() {
        isInFlight = false
        lastAccepted = nil
        nextDue = nil
    }
}
