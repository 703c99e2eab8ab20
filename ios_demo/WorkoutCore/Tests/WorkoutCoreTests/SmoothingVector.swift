import Foundation
import WorkoutCore

/// One reference file of tests/vectors/smoothing, written by the Python state machine.
struct SmoothingVector: Decodable {
    /// What the reference derives from `params`, in float64.
    struct Derived: Decodable {
        var alpha: Double
        var minSetSteps: Int
        var minRestSteps: Int
        /// Older files derive nothing for the rep counter.
        var repAlpha: Double?
        var minRepSteps: Int?
        /// Older files derive no following band.
        var repGainAlpha: Double?

        enum CodingKeys: String, CodingKey {
            case alpha
            case minSetSteps = "min_set_steps"
            case minRestSteps = "min_rest_steps"
            case repAlpha = "rep_alpha"
            case minRepSteps = "min_rep_steps"
            case repGainAlpha = "rep_gain_alpha"
        }
    }

    struct Set: Decodable {
        var label: String
        var labelIndex: Int
        var start: Double
        var end: Double
        var duration: Double
        var meanConfidence: Double
        /// The set's rep count; older files have none.
        var reps: Int?

        enum CodingKeys: String, CodingKey {
            case reps
            case label
            case labelIndex = "label_index"
            case start = "start_s"
            case end = "end_s"
            case duration = "duration_s"
            case meanConfidence = "mean_confidence"
        }
    }

    struct Rest: Decodable {
        var start: Double
        var end: Double
        var duration: Double

        enum CodingKeys: String, CodingKey {
            case start = "start_s"
            case end = "end_s"
            case duration = "duration_s"
        }
    }

    var name: String
    var labels: [String]
    var restLabel: String
    /// The probabilities have a trained rest column after the labels; older files have no key.
    var restClass: Bool
    var params: SmoothingParameters
    var derived: Derived
    var initialState: [Float]
    /// Raw model output per step: N = K values, K + 1 with a rest class.
    var probs: [[Float]]
    /// What reps are counted on per step, for the cases of a model that gives a rep signal; else the log-odds.
    var repSignal: [[Float]]?
    var states: [[Float]]
    var smoothed: [[Float]]
    var labelsOut: [Int]
    /// The state's rep count after each step; older files have none.
    var repsOut: [Int]?
    var sets: [Set]
    var rests: [Rest]

    enum CodingKeys: String, CodingKey {
        case name
        case labels
        case restLabel = "rest_label"
        case restClass = "rest_class"
        case params
        case derived
        case initialState = "initial_state"
        case probs
        case repSignal = "rep_signal"
        case states
        case smoothed
        case labelsOut = "labels_out"
        case repsOut = "reps_out"
        case sets
        case rests
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        labels = try container.decode([String].self, forKey: .labels)
        restLabel = try container.decode(String.self, forKey: .restLabel)
        restClass = try container.decodeIfPresent(Bool.self, forKey: .restClass) ?? false
        params = try container.decode(SmoothingParameters.self, forKey: .params)
        derived = try container.decode(Derived.self, forKey: .derived)
        initialState = try container.decode([Float].self, forKey: .initialState)
        probs = try container.decode([[Float]].self, forKey: .probs)
        repSignal = try container.decodeIfPresent([[Float]].self, forKey: .repSignal)
        states = try container.decode([[Float]].self, forKey: .states)
        smoothed = try container.decode([[Float]].self, forKey: .smoothed)
        labelsOut = try container.decode([Int].self, forKey: .labelsOut)
        repsOut = try container.decodeIfPresent([Int].self, forKey: .repsOut)
        sets = try container.decode([Set].self, forKey: .sets)
        rests = try container.decode([Rest].self, forKey: .rests)
    }

    /// tests/vectors/smoothing of this repository, or GYMNOS_VECTORS_DIR when set.
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["GYMNOS_VECTORS_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 {  // WorkoutCoreTests, Tests, WorkoutCore, ios_demo, then the repository
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("tests/vectors/smoothing", isDirectory: true)
    }

    static func files() throws -> [URL] {
        try FileManager.default
            .contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
