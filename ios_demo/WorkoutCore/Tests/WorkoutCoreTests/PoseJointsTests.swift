import Foundation
import WorkoutCore
import XCTest

/// Vision's points become exactly the keypoints the Python mapping gives, on every shared vector.
final class PoseJointsTests: XCTestCase {
    private let tolerance: Float = 1e-6  // 1 − y in float32 here, in float64 then rounded in Python

    func testEveryVectorGivesTheReferenceKeypoints() throws {
        let files = try PoseVector.files()
        XCTAssertFalse(files.isEmpty, "no *.json vectors in \(PoseVector.directory.path)")
        for file in files {
            let vector = try JSONDecoder().decode(PoseVector.self, from: Data(contentsOf: file))
            let mapping = try PoseJoints(jointNames: vector.joints)
            var points: [VisionJoint: VisionPoint] = [:]
            for (name, values) in vector.vision {
                let joint = try XCTUnwrap(VisionJoint(rawValue: name), "\(file.lastPathComponent): joint \(name)")
                points[joint] = VisionPoint(x: values[0], y: values[1], confidence: values[2])
            }
            let keypoints = mapping.keypoints(from: points, width: vector.frameSize[0], height: vector.frameSize[1])
            let expected = vector.keypoints.flatMap { $0 }
            XCTAssertEqual(keypoints.count, expected.count, "\(file.lastPathComponent): length")
            for (index, (got, want)) in zip(keypoints, expected).enumerated() {
                XCTAssertEqual(got, want, accuracy: tolerance, "\(file.lastPathComponent): value \(index)")
            }
            print("consumed pose vector \(file.lastPathComponent)")
        }
        fflush(stdout)
    }

    func testMissingJointsAreZerosAndUnknownNamesAreRefused() throws {
        let mapping = try PoseJoints(jointNames: ["nose", "left_hip"])
        XCTAssertEqual(mapping.keypoints(from: [.nose: VisionPoint(x: 0.5, y: 0.75, confidence: 0.5)], width: 720, height: 720),
                       [0.5, 0.25, 0.5, 0, 0, 0])
        XCTAssertEqual(mapping.keypoints(from: [.nose: VisionPoint(x: 0.5, y: 0.75, confidence: 0.5)], width: 720, height: 1280),
                       [0.28125, 0.25, 0.5, 0, 0, 0])
        XCTAssertEqual(mapping.keypoints(from: [.leftHip: VisionPoint(x: 0.5, y: 0.5, confidence: 0)], width: 720, height: 1280),
                       [0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try PoseJoints(jointNames: ["nose", "tail"])) { error in
            XCTAssertEqual(error as? PoseJointsError, .unknownJoint("tail"))
        }
    }
}
