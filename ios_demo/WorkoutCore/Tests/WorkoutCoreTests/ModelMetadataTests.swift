import Foundation
import WorkoutCore
import XCTest

final class ModelMetadataTests: XCTestCase {
    /// A metadata.json as the exporter writes it, with keys the app does not read.
    private func exported() -> [String: Any] {
        [
            "format_version": 1,
            "created_at": "2025-05-20T10:00:00Z",
            "labels": ["squat", "overhead_press"],
            "rest_label": "rest",
            "image_size": 96,
            "resize": "squash",
            "every_s": 0.2,
            "state_size": 12,
            "initial_state": [0.5, 0.5, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1],
            "state_fields": fields(outputCount: 2),
            "smoothing": [
                "every_s": 0.2, "tau_s": 0.6, "enter": 0.7, "exit": 0.45,
                "floor": 0.5, "min_set_s": 1.0, "min_rest_s": 1.0,
                "rep_tau_s": 1.5, "rep_hysteresis": 0.3, "min_rep_s": 0.6,
            ],
            "model_file": "GymnosEdge.mlpackage",
            "inputs": ["image": "image", "state": "state_in"],
            "outputs": ["probs": "probs", "smoothed": "smoothed", "label": "label", "next_state": "next_state"],
        ]
    }

    /// `state_fields` as the exporter writes it: name → index, after the N outputs.
    private func fields(outputCount: Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: StateVector.fieldNames.enumerated().map { ($0.element, outputCount + $0.offset) })
    }

    private func decode(_ object: [String: Any]) throws -> ModelMetadata {
        try ModelMetadata.decode(from: JSONSerialization.data(withJSONObject: object))
    }

    private func assertThrows(
        _ object: [String: Any],
        _ expected: ModelMetadataError,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try decode(object), file: file, line: line) { error in
            XCTAssertEqual(error as? ModelMetadataError, expected, file: file, line: line)
        }
    }

    func testDecodesAnExportedFileAndIgnoresUnknownKeys() throws {
        let metadata = try decode(exported())
        XCTAssertEqual(metadata.labels, ["squat", "overhead_press"])
        XCTAssertEqual(metadata.classCount, 2)
        XCTAssertEqual(metadata.restLabel, "rest")
        XCTAssertEqual(metadata.imageSize, 96)
        XCTAssertEqual(metadata.resize, .squash)
        XCTAssertEqual(metadata.interval, 0.2)
        XCTAssertEqual(metadata.stateSize, 12)
        XCTAssertEqual(metadata.initialState, [0.5, 0.5, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(metadata.stateFields?["reps"], 10)
        XCTAssertEqual(metadata.smoothing.minRepSteps, 3)
        XCTAssertEqual(metadata.smoothing, SmoothingParameters())
        XCTAssertEqual(metadata.modelFile, "GymnosEdge.mlpackage")
        XCTAssertEqual(metadata.modelName, "GymnosEdge")
        XCTAssertEqual(metadata.inputs, .init(image: "image", state: "state_in"))
        XCTAssertEqual(metadata.inputs, .init())
        XCTAssertEqual(metadata.outputs.nextState, "next_state")
        XCTAssertEqual(metadata.name(ofLabel: 1), "overhead_press")
        XCTAssertEqual(metadata.name(ofLabel: 2), "rest")
    }

    /// The same export from a run with a trained rest class: `labels` stay the exercises,
    /// the state and `probs` gain the rest value.
    private func exportedWithRestClass() -> [String: Any] {
        var object = exported()
        object["rest_class"] = true
        object["state_size"] = 13
        object["initial_state"] = [1.0 / 3, 1.0 / 3, 1.0 / 3, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1]
        object["state_fields"] = fields(outputCount: 3)
        return object
    }

    func testAnExportWithoutRestClassHasNone() throws {
        let metadata = try decode(exported())
        XCTAssertFalse(metadata.restClass)
        XCTAssertEqual(metadata.outputCount, 2)

        var object = exported()
        object["rest_class"] = false
        XCTAssertEqual(try decode(object), metadata)
    }

    func testDecodesARestClass() throws {
        let metadata = try decode(exportedWithRestClass())
        XCTAssertTrue(metadata.restClass)
        XCTAssertEqual(metadata.labels, ["squat", "overhead_press"])
        XCTAssertEqual(metadata.classCount, 2)
        XCTAssertEqual(metadata.outputCount, 3)
        XCTAssertEqual(metadata.stateSize, 13)
        XCTAssertEqual(metadata.name(ofLabel: 2), "rest")
        let initial = try metadata.state(metadata.initialState)
        XCTAssertTrue(initial.isRest)
        XCTAssertEqual(initial.smoothed.count, 3)
        XCTAssertEqual(try ModelMetadata.decode(from: JSONEncoder().encode(metadata)), metadata)

        let built = ModelMetadata(
            labels: ["squat", "overhead_press"],
            restClass: true,
            imageSize: 96,
            initialState: metadata.initialState
        )
        XCTAssertEqual(built.stateSize, 13)
        XCTAssertNoThrow(try built.validate())
    }

    func testAStateThatDoesNotCountTheRestClassIsRefused() {
        var object = exportedWithRestClass()
        object["state_size"] = 12
        assertThrows(object, .invalidValue(key: "state_size", reason: "must be 13 for 2 classes plus rest, got 12"))

        object = exportedWithRestClass()
        object["initial_state"] = [0.5, 0.5, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1]
        assertThrows(object, .invalidValue(key: "initial_state", reason: "a state holds 13 values, got 12"))

        // A rest-class state read as if there were none.
        object = exportedWithRestClass()
        object["rest_class"] = nil
        object["state_fields"] = nil
        assertThrows(object, .invalidValue(key: "state_size", reason: "must be 12 for 2 classes, got 13"))

        object = exportedWithRestClass()
        object["rest_class"] = "yes"
        assertThrows(object, .wrongType(key: "rest_class", expected: "true or false"))
    }

    func testProbabilitiesMustCountTheExercisesAndTheRestClass() throws {
        let plain = try decode(exported())
        XCTAssertNoThrow(try plain.checkOutput("probs", count: 2))
        XCTAssertThrowsError(try plain.checkOutput("probs", count: 3)) { error in
            XCTAssertEqual(
                error as? ModelMetadataError,
                .outputSizeMismatch(output: "probs", expected: 2, got: 3, restClass: false)
            )
            XCTAssertEqual(
                (error as? ModelMetadataError)?.description,
                "The model's \"probs\" output holds 3 values but metadata.json names 2 exercises and no rest "
                    + "class (2); copy the model and metadata.json from the same export."
            )
        }

        let withRest = try decode(exportedWithRestClass())
        XCTAssertNoThrow(try withRest.checkOutput("probs", count: 3))
        XCTAssertThrowsError(try withRest.checkOutput("smoothed", count: 2)) { error in
            XCTAssertEqual(
                error as? ModelMetadataError,
                .outputSizeMismatch(output: "smoothed", expected: 3, got: 2, restClass: true)
            )
            XCTAssertEqual(
                (error as? ModelMetadataError)?.description,
                "The model's \"smoothed\" output holds 2 values but metadata.json names 2 exercises plus a rest "
                    + "class (3); copy the model and metadata.json from the same export."
            )
        }
    }

    func testResizePolicyIsReadAndDefaultsToSquash() throws {
        var object = exported()
        object["resize"] = "crop"
        XCTAssertEqual(try decode(object).resize, .crop)
        object["resize"] = nil
        XCTAssertEqual(try decode(object).resize, .squash)
        object["resize"] = "stretch"
        XCTAssertThrowsError(try decode(object)) { error in
            guard case .invalidValue(key: "resize", reason: _) = error as? ModelMetadataError else {
                return XCTFail("expected an invalid resize, got \(error)")
            }
        }
    }

    func testRoundTripsThroughItsOwnEncoding() throws {
        let metadata = try decode(exported())
        XCTAssertEqual(try ModelMetadata.decode(from: JSONEncoder().encode(metadata)), metadata)
    }

    func testLoadsFromAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try JSONSerialization.data(withJSONObject: exported()).write(to: url)
        XCTAssertEqual(try ModelMetadata.load(from: url).labels, ["squat", "overhead_press"])
    }

    func testMissingFileIsReportedAsMissing() {
        XCTAssertThrowsError(try ModelMetadata.load(from: nil)) { error in
            XCTAssertEqual(error as? ModelMetadataError, .fileNotFound(name: "metadata.json"))
        }
        let absent = URL(fileURLWithPath: "/nonexistent/gymnos-edge/metadata.json")
        XCTAssertThrowsError(try ModelMetadata.load(from: absent)) { error in
            XCTAssertEqual(error as? ModelMetadataError, .fileNotFound(name: "metadata.json"))
        }
    }

    func testMissingKeyIsNamed() {
        var object = exported()
        object["state_size"] = nil
        assertThrows(object, .missingKey("state_size"))
    }

    func testMissingNestedKeyIsNamedWithItsPath() {
        var object = exported()
        var smoothing = object["smoothing"] as! [String: Any]
        smoothing["tau_s"] = nil
        object["smoothing"] = smoothing
        assertThrows(object, .missingKey("smoothing.tau_s"))
    }

    func testWrongTypeIsNamed() {
        var object = exported()
        object["image_size"] = "96"
        assertThrows(object, .wrongType(key: "image_size", expected: "a whole number"))
        object = exported()
        object["labels"] = ["squat", 3]
        assertThrows(object, .wrongType(key: "labels[1]", expected: "a string"))
        object = exported()
        object["model_file"] = NSNull()
        assertThrows(object, .wrongType(key: "model_file", expected: "a string, not null"))
    }

    func testMalformedJSONIsReportedAsSuch() {
        for text in ["{\"labels\": [\"squat\",", "", "not json", "[1, 2]"] {
            XCTAssertThrowsError(try ModelMetadata.decode(from: Data(text.utf8)), "input \(text.debugDescription)") {
                error in
                guard let error = error as? ModelMetadataError else {
                    return XCTFail("not a ModelMetadataError: \(error)")
                }
                guard case .malformedJSON = error else {
                    return XCTFail("\(text.debugDescription) gave \(error)")
                }
            }
        }
    }

    func testValuesThatDoNotFitTheModelAreRefused() {
        var object = exported()
        object["state_size"] = 4
        assertThrows(object, .invalidValue(key: "state_size", reason: "must be 12 for 2 classes, got 4"))

        object = exported()
        object["initial_state"] = [0.5, 0.5, 2, 2]
        assertThrows(object, .invalidValue(key: "initial_state", reason: "a state holds 12 values, got 4"))

        object = exported()
        object["labels"] = [String]()
        assertThrows(object, .invalidValue(key: "labels", reason: "must name at least one class"))

        object = exported()
        object["labels"] = ["squat", "rest"]
        assertThrows(object, .invalidValue(key: "rest_label", reason: "must differ from every class name"))

        object = exported()
        object["every_s"] = 0.25
        XCTAssertThrowsError(try decode(object)) { error in
            guard case .invalidValue(key: "every_s", reason: _) = error as? ModelMetadataError else {
                return XCTFail("expected an invalid every_s, got \(error)")
            }
        }
    }

    func testEveryErrorReadsAsASentence() {
        let errors: [ModelMetadataError] = [
            .fileNotFound(name: "metadata.json"),
            .unreadable(path: "/x/metadata.json", reason: "permission denied"),
            .malformedJSON(reason: "unexpected end of file"),
            .missingKey("smoothing.tau_s"),
            .wrongType(key: "image_size", expected: "a whole number"),
            .invalidValue(key: "state_size", reason: "must be 5 for 2 classes, got 4"),
            .outputSizeMismatch(output: "probs", expected: 3, got: 2, restClass: true),
        ]
        for error in errors {
            let text = error.localizedDescription
            XCTAssertTrue(text.contains("metadata.json"), text)
            XCTAssertEqual(text, error.description)
            XCTAssertEqual(text.last, ".", text)
        }
        XCTAssertTrue(ModelMetadataError.fileNotFound(name: "metadata.json").description.contains("gymnos-edge export"))
    }

    func testStateFieldsAreOptionalAndTheFixedLayoutIsTheFallback() throws {
        var object = exported()
        object["state_fields"] = nil
        var smoothing = object["smoothing"] as! [String: Any]
        for key in ["rep_tau_s", "rep_hysteresis", "min_rep_s"] {
            smoothing[key] = nil
        }
        object["smoothing"] = smoothing
        let metadata = try decode(object)
        XCTAssertNil(metadata.stateFields)
        XCTAssertEqual(metadata.smoothing, SmoothingParameters(), "the rep parameters default")
        XCTAssertEqual(try metadata.state([0.9, 0.1, 0, 0, 5, 0, 0, 0, 0, 3, 2, 1]).reps, 2)
    }

    func testAStateWithoutRepsIsRefused() {
        // An export from before rep counting: N + 3 values.
        var object = exported()
        object["state_fields"] = nil
        object["state_size"] = 5
        object["initial_state"] = [0.5, 0.5, 2, 2, 0]
        assertThrows(object, .invalidValue(key: "state_size", reason: "must be 12 for 2 classes, got 5"))

        object = exported()
        var fields = self.fields(outputCount: 2)
        fields["reps"] = nil
        object["state_fields"] = fields
        assertThrows(object, .invalidValue(key: "state_fields", reason: "the state fields do not list \"reps\""))

        object = exported()
        fields = self.fields(outputCount: 2)
        fields["reps"] = 1
        object["state_fields"] = fields
        assertThrows(
            object,
            .invalidValue(
                key: "state_fields",
                reason: "the state field \"reps\" sits at 1, outside the fields of a state of 12 values"
            )
        )
    }

    func testStateFieldsPlaceTheReadings() throws {
        var object = exported()
        var fields = self.fields(outputCount: 2)
        (fields["reps"], fields["shown"]) = (2, 10)
        object["state_fields"] = fields
        object["initial_state"] = [0.5, 0.5, 0, 2, 0, 2, 0, 0, 0, 0, 2, 1]
        let metadata = try decode(object)
        let state = try metadata.state([0.9, 0.1, 6, 0, 5, 0, 0, 0, 0, 6, 0, 1])
        XCTAssertEqual(state.reps, 6)
        XCTAssertEqual(state.shownLabel, 0)
    }
}
