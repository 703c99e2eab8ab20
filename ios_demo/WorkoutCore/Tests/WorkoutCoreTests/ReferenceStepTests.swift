import WorkoutCore
import XCTest

/// Hand-made steps where a trained rest class changes the outcome. The shared vectors use
/// exit + enter > 1, where no other class can pass enter while rest is above exit, so keeping
/// rest by its own probability only shows with a lower exit. Expected states are those of
/// gymnos_edge/sets/smoothing.py `step` for the same inputs.
final class ReferenceStepTests: XCTestCase {
    /// No averaging and one step to show anything, so each case is one frame.
    private let params = SmoothingParameters(tau: 0, enter: 0.5, exit: 0.3, floor: 0.5, minSet: 0.2, minRest: 0.2)

    func testInitialStateShowsRestWithAndWithoutARestClass() {
        XCTAssertEqual(ReferenceStep.initialState(outputCount: 2, restClass: false), [0.5, 0.5, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1])
        let third = Float(1.0 / 3)
        XCTAssertEqual(ReferenceStep.initialState(outputCount: 3, restClass: true), [third, third, third, 2, 2, 0, 2, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(ReferenceStep.restIndex(outputCount: 3, restClass: true), 2)
        XCTAssertEqual(ReferenceStep.restIndex(outputCount: 2, restClass: false), 2)
    }

    func testATrainedRestIsKeptWhileItsProbabilityIsAboveExit() throws {
        let state: [Float] = [0.2, 0.1, 0.7, 2, 2, 3, 0, 0, 0, 0, 0, 0, 1]
        let next = ReferenceStep.next(state, probs: [0.6, 0.05, 0.35], params: params, restClass: true)
        XCTAssertEqual(Array(next.prefix(6)), [0.6, 0.05, 0.35, 2, 2, 4], "squat passes enter, but rest stays above exit")
        assertRepFields(next, outputs: 3, [0, 0.050612881779670715, 1, 1, 0, 0, 1])
        XCTAssertTrue(try StateVector(next, classCount: 2, restClass: true).isRest)
    }

    func testATrainedRestBelowExitGivesWayToAConfidentSet() {
        let state: [Float] = [0.2, 0.1, 0.7, 2, 2, 3, 0, 0, 0, 0, 0, 0, 1]
        let next = ReferenceStep.next(state, probs: [0.6, 0.15, 0.25], params: params, restClass: true)
        XCTAssertEqual(Array(next.prefix(6)), [0.6, 0.15, 0.25, 0, 0, 1])
        assertRepFields(next, outputs: 3, [0, 0.4054652452468872, 0, 1, 0, 0, 1])  // proposed: baseline restarts, trigger kept
    }

    func testWithoutARestClassRestIsNeverKept() {
        let state: [Float] = [0.2, 0.8, 2, 2, 3, 0, 0, 0, 0, 0, 0, 1]
        let next = ReferenceStep.next(state, probs: [0.6, 0.4], params: params, restClass: false)
        XCTAssertEqual(Array(next.prefix(5)), [0.6, 0.4, 0, 0, 1])
        assertRepFields(next, outputs: 2, [0, 0.4054652452468872, 0, 1, 0, 0, 1])
    }

    /// rep_class, rep_baseline (to float32 precision), rep_armed, rep_since, rep_rising, reps, rep_amplitude.
    private func assertRepFields(_ state: [Float], outputs: Int, _ expected: [Float], line: UInt = #line) {
        let got = Array(state[(outputs + 3)...])
        XCTAssertEqual(got.count, 7, line: line)
        guard got.count == 7 else { return }
        for index in 0..<7 {
            XCTAssertEqual(got[index], expected[index], accuracy: index == 1 ? 1e-6 : 0, "field \(index)", line: line)
        }
    }
}
