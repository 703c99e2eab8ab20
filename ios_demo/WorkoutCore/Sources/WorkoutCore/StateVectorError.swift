/// Why a list of numbers is not a state vector of the documented layout.
public enum StateVectorError: Error, Equatable, Sendable, CustomStringConvertible {
    case noClasses
    case wrongLength(expected: Int, got: Int)
    case badLabel(name: String, value: Float, classCount: Int)
    case badHeld(value: Float)
    case badReps(value: Float)
    /// The field map does not say where a field the app reads sits.
    case missingField(name: String)
    /// A field sits among the smoothed probabilities or past the end of the state.
    case badFieldIndex(name: String, index: Int, size: Int)
    /// Two fields share a slot.
    case sharedFieldIndex

    public var description: String {
        switch self {
        case .noClasses:
            return "a state needs at least one class"
        case .wrongLength(let expected, let got):
            return "a state holds \(expected) values, got \(got)"
        case .badLabel(let name, let value, let classCount):
            return "the \(name) must be a whole number from 0 to \(classCount), got \(value)"
        case .badHeld(let value):
            return "the held step count must be a whole number ≥ 0, got \(value)"
        case .badReps(let value):
            return "the rep count must be a whole number ≥ 0, got \(value)"
        case .missingField(let name):
            return "the state fields do not list \"\(name)\""
        case .badFieldIndex(let name, let index, let size):
            return "the state field \"\(name)\" sits at \(index), outside the fields of a state of \(size) values"
        case .sharedFieldIndex:
            return "two state fields share one index"
        }
    }
}
