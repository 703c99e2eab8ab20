import Foundation

enum CameraError: LocalizedError {
    case cannotAddInput
    case cannotAddOutput
    case noVideoConnection

    var errorDescription: String? {
        switch self {
        case .cannotAddInput:
            return "The front camera cannot be used by this app right now."
        case .cannotAddOutput:
            return "The camera cannot deliver video frames to the app."
        case .noVideoConnection:
            return "The camera has no video connection."
        }
    }
}
