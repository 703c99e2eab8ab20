import Foundation

/// One reference file of tests/vectors/smoothing, written by the Python state machine.
struct SmoothingVector: Decodable {
    struct Params: Decodable {
        var interval: Double

        enum CodingKeys: String, CodingKey {
            case interval = "interval_s"
        }
    }

    struct Set: Decodable {
        var label: String
        var labelIndex: Int
        var start: Double
        var end: Double
        var duration: Double
        var meanConfidence: Double

        enum CodingKeys: String, CodingKey {
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
    var params: Params
    var initialState: [Float]
    var states: [[Float]]
    var labelsOut: [Int]
    var sets: [Set]
    var rests: [Rest]

    enum CodingKeys: String, CodingKey {
        case name
        case labels
        case restLabel = "rest_label"
        case params
        case initialState = "initial_state"
        case states
        case labelsOut = "labels_out"
        case sets
        case rests
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
