import WorkoutCore
import XCTest

final class FrameThrottleTests: XCTestCase {
    /// Offers every timestamp, finishing each accepted frame at once; returns the accepted ones.
    private func accepted(_ timestamps: [Double], interval: Double = 0.2) -> [Double] {
        var throttle = FrameThrottle(interval: interval)
        var taken: [Double] = []
        for timestamp in timestamps where throttle.begin(at: timestamp) == .accept {
            taken.append(timestamp)
            throttle.finish()
        }
        return taken
    }

    func testFixedRateTakesEveryNthFrame() {
        let frames = (0..<61).map { Double($0) / 30 }
        let taken = accepted(frames)
        XCTAssertEqual(taken.count, 11)
        for (index, timestamp) in taken.enumerated() {
            XCTAssertEqual(timestamp, Double(index) * 0.2, accuracy: 1e-9)
        }
    }

    func testStartsAtTheFirstFrameWhateverItsTimestamp() {
        XCTAssertEqual(accepted([1234.5, 1234.6, 1234.7, 1234.75]), [1234.5, 1234.7])
    }

    func testFramesJustBeforeTheirDueTimeWaitButKeepTheGrid() {
        // 0.19 is early; 0.205 is taken late, and the next due time is still 0.4.
        XCTAssertEqual(accepted([0, 0.19, 0.205, 0.39, 0.3995, 0.41, 0.59, 0.61]), [0, 0.205, 0.3995, 0.61])
    }

    func testJitteryVariableRateKeepsTheAveragePace() {
        var generator = SplitMix64(seed: 7)
        var timestamps: [Double] = []
        var time = 0.0
        while time < 30 {
            timestamps.append(time)
            time += Double.random(in: 1.0 / 60 ... 1.0 / 12, using: &generator)
        }
        let interval = 0.2
        let longestGap = zip(timestamps.dropFirst(), timestamps).map { $0 - $1 }.max() ?? 0
        let taken = accepted(timestamps, interval: interval)

        XCTAssertEqual(Double(taken.count), (timestamps.last ?? 0) / interval, accuracy: 1.5)
        for (index, timestamp) in taken.enumerated() {
            let due = Double(index) * interval
            XCTAssertGreaterThanOrEqual(timestamp, due - 0.001, "frame \(index) taken before its due time")
            XCTAssertLessThan(timestamp, due + longestGap, "frame \(index) taken more than one camera frame late")
        }
    }

    func testFramesAreDroppedWhileOneIsInFlight() {
        var throttle = FrameThrottle(interval: 0.2)
        XCTAssertEqual(throttle.begin(at: 0), .accept)
        XCTAssertTrue(throttle.isInFlight)
        XCTAssertEqual(throttle.begin(at: 0.1), .busy)
        XCTAssertEqual(throttle.begin(at: 0.2), .busy)
        XCTAssertEqual(throttle.begin(at: 0.3), .busy)
        throttle.finish()
        XCTAssertFalse(throttle.isInFlight)
        XCTAssertEqual(throttle.begin(at: 0.33), .accept, "the first free frame after its due time is taken")
        throttle.finish()
        XCTAssertEqual(throttle.begin(at: 0.36), .tooSoon)
        XCTAssertEqual(throttle.begin(at: 0.4), .accept, "the grid is kept after a slow frame")
    }

    func testTooSoonFramesDoNotMoveTheDueTime() {
        var throttle = FrameThrottle(interval: 0.5)
        XCTAssertEqual(throttle.begin(at: 10), .accept)
        throttle.finish()
        for timestamp in stride(from: 10.05, to: 10.45, by: 0.05) {
            XCTAssertEqual(throttle.begin(at: timestamp), .tooSoon)
        }
        XCTAssertEqual(throttle.begin(at: 10.5), .accept)
        XCTAssertEqual(throttle.lastAccepted, 10.5)
    }

    func testLongPauseResumesOnTheNextFrame() {
        XCTAssertEqual(accepted([0, 0.2, 3600.05, 3600.1, 3600.25]), [0, 0.2, 3600.05, 3600.25])
    }

    func testTimestampGoingBackStartsANewTimeline() {
        XCTAssertEqual(accepted([5, 5.2, 5.4, 0, 0.1, 0.2]), [5, 5.2, 5.4, 0, 0.2])
    }

    func testResetForgetsTheTimelineAndTheFrameInFlight() {
        var throttle = FrameThrottle(interval: 0.2)
        XCTAssertEqual(throttle.begin(at: 1), .accept)
        throttle.reset()
        XCTAssertFalse(throttle.isInFlight)
        XCTAssertNil(throttle.lastAccepted)
        XCTAssertEqual(throttle.begin(at: 1.05), .accept)
    }
}

/// A small seeded generator, so the jittery timestamps are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
