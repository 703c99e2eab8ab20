/// Reads the state vector that the exported graph takes and returns each frame.
///
/// Layout (docs/smoothing.md): the model has N outputs, the K exercises and,
/// when it has a trained rest class, rest as output K (N = K + 1; otherwise
/// N = K). The state holds the N smoothed probabilities at 0 ..< N, the shown
/// label at N, the candidate label at N+1 and the number of steps the candidate
/// was held at N+2. Label index K means rest either way. The graph computes the
/// state; this type only reads it.
public struct StateVector: Equatable, Sendable {
    /// Entries after the N smoothed probabilities: shown, candidate, held.
    public static let extraCount = 3

    /// The raw values, N + 3 of them.
    public let values: [Float]
    /// Number of exercises, K; also the label index of rest.
    public let classCount: Int
    /// Whether the model has a trained rest output (the last smoothed value).
    public let restClass: Bool

    /// Number of model outputs, N: K, plus one with a rest class.
    public static func outputCount(classCount: Int, restClass: Bool) -> Int {
        classCount + (restClass ? 1 : 0)
    }

    /// Length of the state for K exercises, N + 3.
    public static func size(classCount: Int, restClass: Bool) -> Int {
        outputCount(classCount: classCount, restClass: restClass) + extraCount
    }

    public init(_ values: [Float], classCount: Int, restClass: Bool = false) throws {
        guard classCount > 0 else { throw StateVectorError.noClasses }
        let outputs = Self.outputCount(classCount: classCount, restClass: restClass)
        guard values.count == outputs + Self.extraCount else {
            throw StateVectorError.wrongLength(expected: outputs + Self.extraCount, got: values.count)
        }
        self.values = values
        self.classCount = classCount
        self.restClass = restClass
        for (name, index) in [("shown label", outputs), ("candidate label", outputs + 1)] {
            let label = values[index]
            guard label.isFinite, label == label.rounded(), label >= 0, Int(label) <= classCount else {
                throw StateVectorError.badLabel(name: name, value: label, classCount: classCount)
            }
        }
        let held = values[outputs + 2]
        guard held.isFinite, held == held.rounded(), held >= 0 else {
            throw StateVectorError.badHeld(value: held)
        }
    }

    /// Number of model outputs, N: K, plus one with a rest class.
    public var outputCount: Int { Self.outputCount(classCount: classCount, restClass: restClass) }
    /// Smoothed probability of each output: the K exercises, then rest with a rest class.
    public var smoothed: ArraySlice<Float> { values[0..<outputCount] }
    /// Label on screen: an exercise index, or `classCount` for rest.
    public var shownLabel: Int { Int(values[outputCount]) }
    /// Label the rules propose, not necessarily shown yet.
    public var candidateLabel: Int { Int(values[outputCount + 1]) }
    /// Consecutive steps the candidate was proposed.
    public var heldSteps: Int { Int(values[outputCount + 2]) }
    public var isRest: Bool { shownLabel == classCount }

    /// Smoothed probability of the shown exercise; `nil` at rest.
    public var shownConfidence: Float? { isRest ? nil : values[shownLabel] }
    /// Smoothed probability of the trained rest class; `nil` without one.
    public var restConfidence: Float? { restClass ? values[classCount] : nil }
}
