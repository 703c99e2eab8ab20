/// Reads the state vector that the exported graph takes and returns each frame.
///
/// Layout (docs/smoothing.md): smoothed class probabilities at 0 ..< K, the
/// shown label at K, the candidate label at K+1 and the number of steps the
/// candidate was held at K+2. Label index K means rest. The graph computes the
/// state; this type only reads it.
public struct StateVector: Equatable, Sendable {
    /// Entries after the K smoothed probabilities: shown, candidate, held.
    public static let extraCount = 3

    /// The raw values, K + 3 of them.
    public let values: [Float]
    /// Number of classes, K; also the label index of rest.
    public let classCount: Int

    public init(_ values: [Float], classCount: Int) throws {
        guard classCount > 0 else { throw StateVectorError.noClasses }
        guard values.count == classCount + Self.extraCount else {
            throw StateVectorError.wrongLength(expected: classCount + Self.extraCount, got: values.count)
        }
        self.values = values
        self.classCount = classCount
        for (name, index) in [("shown label", classCount), ("candidate label", classCount + 1)] {
            let label = values[index]
            guard label.isFinite, label == label.rounded(), label >= 0, Int(label) <= classCount else {
                throw StateVectorError.badLabel(name: name, value: label, classCount: classCount)
            }
        }
        let held = values[classCount + 2]
        guard held.isFinite, held == held.rounded(), held >= 0 else {
            throw StateVectorError.badHeld(value: held)
        }
    }

    /// Smoothed probability of each class.
    public var smoothed: ArraySlice<Float> { values[0..<classCount] }
    /// Label on screen: a class index, or `classCount` for rest.
    public var shownLabel: Int { Int(values[classCount]) }
    /// Label the rules propose, not necessarily shown yet.
    public var candidateLabel: Int { Int(values[classCount + 1]) }
    /// Consecutive steps the candidate was proposed.
    public var heldSteps: Int { Int(values[classCount + 2]) }
    public var isRest: Bool { shownLabel == classCount }

    /// Smoothed probability of the shown class; `nil` at rest.
    public var shownConfidence: Float? { isRest ? nil : values[shownLabel] }
}
