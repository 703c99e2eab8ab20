/// Why a list of numbers is not a state vector of the documented layout.
public enum StateVectorError: Error, Equatable, Sendable, CustomStringConvertible {
    case noClasses
    case wrongLength(expected: Int, got: Int)
    case badLabel(name: String, value: Float, classCount: Int)
    case badHeld(value: Float)

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
        }
    }
}
