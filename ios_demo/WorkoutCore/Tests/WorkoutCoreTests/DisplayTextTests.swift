import WorkoutCore
import XCTest

final class DisplayTextTests: XCTestCase {
    func testDurationsReadAsAClock() {
        XCTAssertEqual(DisplayText.duration(0), "0:00")
        XCTAssertEqual(DisplayText.duration(7.9), "0:07")
        XCTAssertEqual(DisplayText.duration(65), "1:05")
        XCTAssertEqual(DisplayText.duration(3723), "1:02:03")
        XCTAssertEqual(DisplayText.duration(-1), "0:00")
        XCTAssertEqual(DisplayText.duration(.nan), "0:00")
    }

    func testLabelsReadAsWords() {
        XCTAssertEqual(DisplayText.label("overhead_press"), "Overhead press")
        XCTAssertEqual(DisplayText.label("squat"), "Squat")
        XCTAssertEqual(DisplayText.label(""), "")
    }

    func testPercentages() {
        XCTAssertEqual(DisplayText.percent(0.874), "87%")
        XCTAssertEqual(DisplayText.percent(1.2), "100%")
        XCTAssertEqual(DisplayText.percent(-0.1), "0%")
    }

    func testRepCounts() {
        XCTAssertEqual(DisplayText.reps(0), "0 reps")
        XCTAssertEqual(DisplayText.reps(1), "1 rep")
        XCTAssertEqual(DisplayText.reps(8), "8 reps")
        XCTAssertEqual(DisplayText.set("squat", reps: 8), "Squat · 8 reps")
        XCTAssertEqual(DisplayText.set("overhead_press", reps: 1), "Overhead press · 1 rep")
        XCTAssertEqual(DisplayText.set("squat", reps: nil), "Squat")
    }
}
