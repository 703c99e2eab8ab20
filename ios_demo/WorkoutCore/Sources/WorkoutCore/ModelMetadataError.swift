import Foundation

/// Why a model's `metadata.json` could not be used; the app shows `description` on screen.
public enum ModelMetadataError: Error, Equatable, Sendable {
    case fileNotFound(name: String)
    case unreadable(path: String, reason: String)
    case malformedJSON(reason: String)
    case missingKey(String)
    case wrongType(key: String, expected: String)
    case invalidValue(key: String, reason: String)
    /// A model output holds another number of per-class values than metadata.json implies.
    case outputSizeMismatch(output: String, expected: Int, got: Int, restClass: Bool)
}

extension ModelMetadataError: LocalizedError, CustomStringConvertible {
    public var errorDescription: String? { description }

    public var description: String {
        sentence(text)
    }

    private var text: String {
        switch self {
        case .fileNotFound(let name):
            return "\(name) is missing. Export the model with `gymnos-edge export --coreml` "
                + "and copy metadata.json and the .mlpackage into the app's Resources folder"
        case .unreadable(let path, let reason):
            return "Cannot read \(path): \(reason)"
        case .malformedJSON(let reason):
            let detail = reason.isEmpty ? "" : " (\(reason.trimmingCharacters(in: CharacterSet(charactersIn: "."))))"
            return "metadata.json is not valid JSON\(detail); copy it again from export/<run>/"
        case .missingKey(let key):
            return "metadata.json has no \"\(key)\" entry; re-export the model with a current gymnos-edge"
        case .wrongType(let key, let expected):
            return "metadata.json: \"\(key)\" should be \(expected)"
        case .invalidValue(let key, let reason):
            return "metadata.json: \"\(key)\" \(reason)"
        case .outputSizeMismatch(let output, let expected, let got, let restClass):
            let exercises = expected - (restClass ? 1 : 0)
            let names = "\(exercises) exercise\(exercises == 1 ? "" : "s")"
                + (restClass ? " plus a rest class" : " and no rest class")
            return "The model's \"\(output)\" output holds \(got) values but metadata.json names \(names) "
                + "(\(expected)); copy the model and metadata.json from the same export"
        }
    }
}

private func sentence(_ text: String) -> String {
    guard let last = text.last, !".!?".contains(last) else { return text }
    return text + "."
}
