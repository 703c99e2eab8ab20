import Foundation

/// One reference file of tests/vectors/pose, written by the Python joint mapping.
struct PoseVector: Decodable {
    var name: String
    var joints: [String]
    var frameSize: [Int]  // width, height
    var vision: [String: [Float]]
    var keypoints: [[Float]]

    enum CodingKeys: String, CodingKey {
        case name, joints, vision, keypoints
        case frameSize = "frame_size"
    }

    /// tests/vectors/pose of this repository, or GYMNOS_POSE_VECTORS_DIR when set.
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["GYMNOS_POSE_VECTORS_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 {  // WorkoutCoreTests, Tests, WorkoutCore, ios_demo, then the repository
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("tests/vectors/pose", isDirectory: true)
    }

    static func files() throws -> [URL] {
        try FileManager.default
            .contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
