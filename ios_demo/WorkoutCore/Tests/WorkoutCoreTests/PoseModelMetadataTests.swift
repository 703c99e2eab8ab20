import Foundation
import WorkoutCore
import XCTest

final class PoseModelMetadataTests: XCTestCase {
    /// A pose model's metadata.json as the exporter writes it (two classes, motion state of 4 for brevity).
    private func exported() -> [String: Any] {
        [
            "backbone": "pose",
            "input": "keypoints",
            "keypoint_units": "frame_heights",
            "labels": ["squat", "overhead_press"],
            "rest_label": "rest",
            "joints": ["nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip"],
            "image_size": 512,
            "resize": "fit",
            "every_s": 0.2,
            "state_size": 16,
            "state_layout": ["set_tracker": 12, "motion": 4],
            "initial_state": [0.5, 0.5, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
            "smoothing": [
                "every_s": 0.2, "tau_s": 0.6, "enter": 0.7, "exit": 0.45,
                "floor": 0.5, "min_set_s": 1.0, "min_rest_s": 1.0,
            ],
            "model_file": "GymnosEdge.mlpackage",
            "inputs": ["keypoints": "keypoints", "state": "state_in"],
            "outputs": ["probs": "probs", "smoothed": "smoothed", "label": "label", "next_state": "next_state"],
        ]
    }

    private func data(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    func testTheMetadataDecidesThePath() throws {
        XCTAssertTrue(PoseModelMetadata.isPose(try data(exported())))
        var image = exported()
        image["input"] = "image"
        XCTAssertFalse(PoseModelMetadata.isPose(try data(image)))
        XCTAssertFalse(PoseModelMetadata.isPose(Data("not json".utf8)))
    }

    func testTheTrackerSeesItsOwnPartOfTheState() throws {
        let metadata = try PoseModelMetadata.decode(from: data(exported()))
        XCTAssertEqual(metadata.joints.count, 5)
        XCTAssertEqual(metadata.keypointsInput, "keypoints")
        XCTAssertEqual(metadata.stateSize, 16)
        XCTAssertEqual(metadata.initialState, [0.5, 0.5, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
        XCTAssertEqual(metadata.tracker.stateSize, 12)
        XCTAssertEqual(metadata.tracker.initialState, [0.5, 0.5, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(metadata.tracker.labels, ["squat", "overhead_press"])
        XCTAssertEqual(metadata.trackerState([0.1, 0.9, 1, 1, 3, 1, 0.5, 1, 3, 2, 2, 1, 7, 7, 7, 7]), [0.1, 0.9, 1, 1, 3, 1, 0.5, 1, 3, 2, 2, 1])
        XCTAssertNoThrow(try PoseJoints(jointNames: metadata.joints))
    }

    func testAModelOfOtherKeypointUnitsIsRefused() throws {
        var object = exported()
        object.removeValue(forKey: "keypoint_units")  // exported before keypoints were in frame heights
        XCTAssertThrowsError(try PoseModelMetadata.decode(from: data(object))) { error in
            guard case .invalidValue(let key, let reason) = error as? ModelMetadataError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "keypoint_units")
            XCTAssertTrue(reason.contains("export it again"), reason)
        }
    }

    func testInconsistentStatesAreClearErrors() throws {
        var object = exported()
        object["state_size"] = 17
        XCTAssertThrowsError(try PoseModelMetadata.decode(from: data(object))) { error in
            guard case .invalidValue(let key, _) = error as? ModelMetadataError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "state_size")
        }
        object = exported()
        object.removeValue(forKey: "joints")
        XCTAssertThrowsError(try PoseModelMetadata.decode(from: data(object))) { error in
            XCTAssertEqual(error as? ModelMetadataError, .missingKey("joints"))
        }
    }
}
