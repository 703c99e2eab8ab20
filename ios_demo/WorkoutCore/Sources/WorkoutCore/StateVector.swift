/// Reads the state vector that the exported graph takes and returns each frame.
///
/// Layout (docs/smoothing.md, "State vector"): the model has N outputs, the K
/// exercises and, when it has a trained rest class, rest as output K (N = K + 1;
/// otherwise N = K). The state holds the N smoothed probabilities at 0 ..< N,
/// then the fields of `fieldNames`: the shown label, the candidate label, the
/// steps the candidate was held, the rep counter's memory and `reps`, the live
/// rep count of the shown set, then the rep counter's amplitude. Export metadata lists where each field sits
/// (`state_fields`); without it the fields follow in `fieldNames` order. Label
/// index K means rest either way. The graph computes the state; this type only
/// reads it.
public struct StateVector: Equatable, Sendable {
    /// The fields after the N smoothed probabilities, in the documented order.
    public static let fieldNames = [
        "shown", "candidate", "held",
        "rep_class", "rep_baseline", "rep_armed", "rep_since", "rep_rising", "reps", "rep_amplitude",
    ]
    /// Fields the app reads; every state must hold them.
    public static let requiredFields = ["shown", "candidate", "held", "reps"]
    /// Entries after the N smoothed probabilities in the documented layout: 10.
    public static var extraCount: Int { fieldNames.count }

    /// The raw values, N + 10 of them in the documented layout.
    public let values: [Float]
    /// Number of exercises, K; also the label index of rest.
    public let classCount: Int
    /// Whether the model has a trained rest output (the last smoothed value).
    public let restClass: Bool
    /// Where each field sits in `values`.
    public let fields: [String: Int]

    /// Number of model outputs, N: K, plus one with a rest class.
    public static func outputCount(classCount: Int, restClass: Bool) -> Int {
        classCount + (restClass ? 1 : 0)
    }

    /// Length of the state for K exercises in the documented layout, N + 10.
    public static func size(classCount: Int, restClass: Bool) -> Int {
        outputCount(classCount: classCount, restClass: restClass) + extraCount
    }

    /// The documented layout: `fieldNames` in order after the N outputs.
    public static func defaultFields(outputCount: Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: fieldNames.enumerated().map { ($0.element, outputCount + $0.offset) })
    }

    /// Checks a field map for a state of `outputCount` outputs: every required field, each
    /// field in its own slot after the outputs. Returns the state length it implies.
    public static func checkFields(_ fields: [String: Int], outputCount: Int) throws -> Int {
        for name in requiredFields where fields[name] == nil {
            throw StateVectorError.missingField(name: name)
        }
        let size = outputCount + fields.count
        for (name, index) in fields.sorted(by: { $0.key < $1.key }) where !(outputCount..<size).contains(index) {
            throw StateVectorError.badFieldIndex(name: name, index: index, size: size)
        }
        if Set(fields.values).count != fields.count {
            throw StateVectorError.sharedFieldIndex
        }
        return size
    }

    /// Reads `values`; `fields` is the metadata's `state_fields`, the documented layout when `nil`.
    public init(_ values: [Float], classCount: Int, restClass: Bool = false, fields: [String: Int]? = nil) throws {
        guard classCount > 0 else { throw StateVectorError.noClasses }
        let outputs = Self.outputCount(classCount: classCount, restClass: restClass)
        let fields = fields ?? Self.defaultFields(outputCount: outputs)
        let size = try Self.checkFields(fields, outputCount: outputs)
        guard values.count == size else {
            throw StateVectorError.wrongLength(expected: size, got: values.count)
        }
        self.values = values
        self.classCount = classCount
        self.restClass = restClass
        self.fields = fields
        for (name, field) in [("shown label", "shown"), ("candidate label", "candidate")] {
            let label = values[fields[field]!]
            guard label.isFinite, label == label.rounded(), label >= 0, Int(label) <= classCount else {
                throw StateVectorError.badLabel(name: name, value: label, classCount: classCount)
            }
        }
        let held = values[fields["held"]!]
        guard held.isFinite, held == held.rounded(), held >= 0 else {
            throw StateVectorError.badHeld(value: held)
        }
        let reps = values[fields["reps"]!]
        guard reps.isFinite, reps == reps.rounded(), reps >= 0 else {
            throw StateVectorError.badReps(value: reps)
        }
    }

    /// The value of field `name` (one of `fieldNames`), or `nil` when the state has no such field.
    public func value(of name: String) -> Float? {
        fields[name].map { values[$0] }
    }

    /// Number of model outputs, N: K, plus one with a rest class.
    public var outputCount: Int { Self.outputCount(classCount: classCount, restClass: restClass) }
    /// Smoothed probability of each output: the K exercises, then rest with a rest class.
    public var smoothed: ArraySlice<Float> { values[0..<outputCount] }
    /// Label on screen: an exercise index, or `classCount` for rest.
    public var shownLabel: Int { Int(values[fields["shown"]!]) }
    /// Label the rules propose, not necessarily shown yet.
    public var candidateLabel: Int { Int(values[fields["candidate"]!]) }
    /// Consecutive steps the candidate was proposed.
    public var heldSteps: Int { Int(values[fields["held"]!]) }
    /// Reps counted in the shown set so far; 0 while rest is shown.
    public var reps: Int { Int(values[fields["reps"]!]) }
    public var isRest: Bool { shownLabel == classCount }

    /// Smoothed probability of the shown exercise; `nil` at rest.
    public var shownConfidence: Float? { isRest ? nil : values[shownLabel] }
    /// Smoothed probability of the trained rest class; `nil` without one.
    public var restConfidence: Float? { restClass ? values[classCount] : nil }
}
