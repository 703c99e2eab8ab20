import WorkoutCore
import XCTest

final class StateVectorTests: XCTestCase {
    func testReadsTheDocumentedLayout() throws {
        let state = try StateVector([0.2, 0.7, 0.1, 1, 0, 4, 0, 0, 0, 0, 0, 0, 1], classCount: 3)
        XCTAssertEqual(Array(state.smoothed), [0.2, 0.7, 0.1])
        XCTAssertEqual(state.shownLabel, 1)
        XCTAssertEqual(state.candidateLabel, 0)
        XCTAssertEqual(state.heldSteps, 4)
        XCTAssertFalse(state.isRest)
        XCTAssertEqual(state.shownConfidence, 0.7)
    }

    func testLabelKMeansRest() throws {
        let state = try StateVector([0.5, 0.5, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1], classCount: 2)
        XCTAssertTrue(state.isRest)
        XCTAssertNil(state.shownConfidence)
    }

    func testARestClassIsTheLastSmoothedValueAndLabelK() throws {
        let state = try StateVector([0.2, 0.1, 0.7, 2, 2, 3, 0, 0, 0, 0, 0, 0, 1], classCount: 2, restClass: true)
        XCTAssertEqual(state.outputCount, 3)
        XCTAssertEqual(Array(state.smoothed), [0.2, 0.1, 0.7])
        XCTAssertEqual(state.shownLabel, 2)
        XCTAssertEqual(state.candidateLabel, 2)
        XCTAssertEqual(state.heldSteps, 3)
        XCTAssertTrue(state.isRest)
        XCTAssertNil(state.shownConfidence)
        XCTAssertEqual(state.restConfidence, 0.7)

        let squat = try StateVector([0.8, 0.1, 0.1, 0, 0, 6, 0, 0, 0, 0, 0, 0, 1], classCount: 2, restClass: true)
        XCTAssertFalse(squat.isRest)
        XCTAssertEqual(squat.shownConfidence, 0.8)
        XCTAssertEqual(squat.restConfidence, 0.1)
        XCTAssertNil(try StateVector([0.5, 0.5, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1], classCount: 2).restConfidence)
    }

    func testSizesCountTheRestClass() {
        XCTAssertEqual(StateVector.outputCount(classCount: 2, restClass: false), 2)
        XCTAssertEqual(StateVector.outputCount(classCount: 2, restClass: true), 3)
        XCTAssertEqual(StateVector.size(classCount: 2, restClass: false), 12)
        XCTAssertEqual(StateVector.size(classCount: 2, restClass: true), 13)
    }

    func testRefusesAStateOfTheOtherLayout() {
        XCTAssertThrowsError(try StateVector([0.5, 0.5, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1], classCount: 2, restClass: true)) {
            XCTAssertEqual($0 as? StateVectorError, .wrongLength(expected: 13, got: 12))
        }
        XCTAssertThrowsError(try StateVector([0.2, 0.1, 0.7, 2, 2, 3, 0, 0, 0, 0, 0, 0, 1], classCount: 2)) {
            XCTAssertEqual($0 as? StateVectorError, .wrongLength(expected: 12, got: 13))
        }
        // With a rest class the last output is rest (label K); there is no label K + 1.
        XCTAssertThrowsError(try StateVector([0.2, 0.1, 0.7, 3, 2, 1, 0, 0, 0, 0, 0, 0, 1], classCount: 2, restClass: true)) {
            XCTAssertEqual($0 as? StateVectorError, .badLabel(name: "shown label", value: 3, classCount: 2))
        }
    }

    func testRefusesWhatIsNotAState() {
        XCTAssertThrowsError(try StateVector([0.5, 0.5, 2, 2], classCount: 2)) {
            XCTAssertEqual($0 as? StateVectorError, .wrongLength(expected: 12, got: 4))
        }
        for bad: Float in [3, -1, 1.5, .nan] {
            XCTAssertThrowsError(try StateVector([0.5, 0.5, bad, 2, 0, 0, 0, 0, 0, 0, 0, 1], classCount: 2), "shown \(bad)")
            XCTAssertThrowsError(try StateVector([0.5, 0.5, 2, bad, 0, 0, 0, 0, 0, 0, 0, 1], classCount: 2), "candidate \(bad)")
        }
        XCTAssertThrowsError(try StateVector([0.5, 0.5, 2, 2, 0.5, 0, 0, 0, 0, 0, 0, 1], classCount: 2))
        XCTAssertThrowsError(try StateVector([], classCount: 0)) {
            XCTAssertEqual($0 as? StateVectorError, .noClasses)
        }
    }

    func testReadsTheRepCount() throws {
        let state = try StateVector([0.9, 0.1, 0, 0, 8, 0, -0.4, 0, 0, 8, 7, 1], classCount: 2)
        XCTAssertEqual(state.reps, 7)
        XCTAssertEqual(state.value(of: "rep_rising"), 8)
        XCTAssertEqual(state.value(of: "rep_baseline"), -0.4)
        XCTAssertThrowsError(try StateVector([0.9, 0.1, 0, 0, 8, 0, 0, 0, 0, 0, 1.5, 1], classCount: 2)) {
            XCTAssertEqual($0 as? StateVectorError, .badReps(value: 1.5))
        }
        XCTAssertThrowsError(try StateVector([0.9, 0.1, 0, 0, 8, 0, 0, 0, 0, 0, -1, 1], classCount: 2))
    }

    func testReadsFieldsWhereTheMetadataSaysTheyAre() throws {
        // A layout that puts reps first: the values move, the readings follow the map.
        let fields = ["reps": 2, "shown": 3, "candidate": 4, "held": 5]
        let state = try StateVector([0.8, 0.2, 4, 0, 0, 6], classCount: 2, fields: fields)
        XCTAssertEqual(state.reps, 4)
        XCTAssertEqual(state.shownLabel, 0)
        XCTAssertEqual(state.heldSteps, 6)
        XCTAssertNil(state.value(of: "rep_baseline"))
        XCTAssertEqual(StateVector.defaultFields(outputCount: 2)["reps"], 10)
        XCTAssertEqual(StateVector.defaultFields(outputCount: 3)["shown"], 3)

        XCTAssertThrowsError(try StateVector([0.8, 0.2, 0, 0, 6], classCount: 2, fields: ["shown": 2, "candidate": 3, "held": 4])) {
            XCTAssertEqual($0 as? StateVectorError, .missingField(name: "reps"))
        }
        XCTAssertThrowsError(try StateVector([0.8, 0.2, 4, 0, 0, 6], classCount: 2, fields: ["reps": 1, "shown": 3, "candidate": 4, "held": 5])) {
            XCTAssertEqual($0 as? StateVectorError, .badFieldIndex(name: "reps", index: 1, size: 6))
        }
        XCTAssertThrowsError(try StateVector([0.8, 0.2, 4, 0, 0, 6], classCount: 2, fields: ["reps": 3, "shown": 3, "candidate": 4, "held": 5])) {
            XCTAssertEqual($0 as? StateVectorError, .sharedFieldIndex)
        }
    }
}
