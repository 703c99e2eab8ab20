import Foundation

/// Why a pose model's joints cannot be fed from Vision.
public enum PoseJointsError: Error, Equatable, Sendable {
    case unknownJoint(String)
}

extension PoseJointsError: LocalizedError, CustomStringConvertible {
    public var errorDescription: String? { description }

    public var description: String {
        switch self {
        case .unknownJoint(let name):
            return "metadata.json names the joint \"\(name)\", which Vision's body pose request does not find."
        }
    }
}
