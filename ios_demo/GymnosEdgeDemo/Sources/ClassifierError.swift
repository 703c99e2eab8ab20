import Foundation

/// Why the bundled model cannot classify frames; shown on screen.
enum ClassifierError: LocalizedError {
    case modelMissing(file: String)
    case missingInput(name: String, kind: String)
    case missingOutput(name: String)
    case imageSizeMismatch(expected: Int, width: Int, height: Int)
    case stateSizeMismatch(expected: Int, got: Int)
    case noOutput(name: String)

    var errorDescription: String? {
        switch self {
        case .modelMissing(let file):
            return "\(file) is not in the app. Copy it from export/<run>/ into GymnosEdgeDemo/Resources "
                + "next to metadata.json and run `xcodegen generate` again."
        case .missingInput(let name, let kind):
            return "The model has no \(kind) input named \"\(name)\"; metadata.json belongs to another export."
        case .missingOutput(let name):
            return "The model has no output named \"\(name)\"; metadata.json belongs to another export."
        case .imageSizeMismatch(let expected, let width, let height):
            return "The model takes \(width)×\(height) images but metadata.json says \(expected)×\(expected); "
                + "copy both files from the same export."
        case .stateSizeMismatch(let expected, let got):
            return "The model's state holds \(got) values but metadata.json says \(expected); "
                + "copy both files from the same export."
        case .noOutput(let name):
            return "The model returned no \"\(name)\" for this frame."
        }
    }
}
