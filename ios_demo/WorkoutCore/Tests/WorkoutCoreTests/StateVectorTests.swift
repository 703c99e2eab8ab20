import WorkoutCore
import XCTest

final class StateVectorTests: XCTestCase {
    func testReadsTheDocumentedLayout() throws {
        let state = try StateVector([0.2, 0.7, 0.1, 1, 0, 4], classCount: 3)
        XCTAssertEqual(Array(state.smoothed), [0.2, 0.7, 0.1])
        XCTAssertEqual(state.shownLabel, 1)
        XCTAssertEqual(state.candidateLabel, 0)
        XCTAssertEqual(state.heldSteps, 4)
        XCTAssertFalse(state.isRest)
        XCTAssertEqual(state.shownConfidence, 0.7)
    }

    func testLabelKMeansRest() throws {
        let state = try StateVector([0.5, 0.5, 2, 2, 0], classCount: 2)
        XCTAssertTrue(state.isRest)
        XCTAssertNil(state.shownConfidence)
    }

    func testRefusesWhatIsNotAState() {
        XCTAssertThrowsError(try StateVector([0.5, 0.5, 2, 2], classCount: 2)) {
            XCTAssertEqual($0 as? StateVectorError, .wrongLength(expected: 5, got: 4))
        }
        for bad: Float in [3, -1, 1.5, .nan] {
            XCTAssertThrowsError(try StateVector([0.5, 0.5, bad, 2, 0], classCount: 2), "shown \(bad)")
            XCTAssertThrowsError(try StateVector([0.5, 0.5, 2, bad, 0], classCount: 2), "candidate \(bad)")
        }
        XCTAssertThrowsError(try StateVector([0.5, 0.5, 2, 2, 0.5], classCount: 2))
        XCTAssertThrowsError(try StateVector([], classCount: 0)) {
            XCTAssertEqual($0 as? StateVectorError, .noClasses)
        }
    }
}
