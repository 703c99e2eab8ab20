import Foundation

/// Why a frame's outputs were refused by `SetTracker`.
public enum SetTrackerError: Error, Equatable, Sendable, CustomStringConvertible {
    case classCountMismatch(expected: Int, got: Int)
    case restClassMismatch(expected: Bool, got: Bool)
    case timestampNotIncreasing(previous: TimeInterval, got: TimeInterval)

    public var description: String {
        switch self {
        case .classCountMismatch(let expected, let got):
            return "the state is for \(got) classes, the tracker for \(expected)"
        case .restClassMismatch(let expected, let got):
            func kind(_ rest: Bool) -> String { rest ? "with a trained rest class" : "without a rest class" }
            return "the state is for a model \(kind(got)), the tracker for one \(kind(expected))"
        case .timestampNotIncreasing(let previous, let got):
            return "frame at \(got) s does not follow the previous one at \(previous) s"
        }
    }
}
