import WorkoutCore
import XCTest

final class SetTrackerTests: XCTestCase {
    private let squat = 0
    private let press = 1
    private let rest = 2

    private func makeTracker() -> SetTracker {
        SetTracker(labels: ["squat", "overhead_press"], restLabel: "rest", interval: 0.2)
    }

    /// A state as the graph returns it: smoothed probabilities, shown, candidate, held, the rep fields.
    private func state(_ smoothed: [Float], shown: Int, candidate: Int? = nil, held: Int) throws -> StateVector {
        try StateVector(smoothed + [Float(shown), Float(candidate ?? shown), Float(held), 0, 0, 0, 0, 0, 0, 1], classCount: 2)
    }

    /// Feeds frames at `index * 0.2` s, continuing the tracker's timeline.
    private func feed(
        _ tracker: inout SetTracker,
        _ frames: [(smoothed: [Float], shown: Int, candidate: Int, held: Int)]
    ) throws {
        var index = tracker.latestTimestamp.map { Int(($0 / 0.2).rounded()) + 1 } ?? 0
        for frame in frames {
            let value = try state(frame.smoothed, shown: frame.shown, candidate: frame.candidate, held: frame.held)
            try tracker.consume(timestamp: Double(index) * 0.2, state: value)
            index += 1
        }
    }

    func testStartsEmpty() {
        let tracker = makeTracker()
        XCTAssertNil(tracker.current)
        XCTAssertNil(tracker.inProgress)
        XCTAssertTrue(tracker.segments.isEmpty)
    }

    func testRestOnlyGivesOneRestInProgress() throws {
        var tracker = makeTracker()
        try feed(&tracker, Array(repeating: ([0.5, 0.5], rest, rest, 1), count: 4))
        XCTAssertTrue(tracker.sets.isEmpty)
        XCTAssertEqual(tracker.rests.count, 1)
        XCTAssertEqual(tracker.inProgress?.start, 0)
        XCTAssertEqual(tracker.inProgress?.end ?? 0, 0.8, accuracy: 1e-12)
        XCTAssertNil(tracker.setInProgress)
        XCTAssertEqual(tracker.current?.isRest, true)
        XCTAssertEqual(tracker.current?.name, "rest")
        XCTAssertNil(tracker.current?.confidence)
    }

    func testNewSetIsDatedBackToItsFirstProposal() throws {
        var tracker = makeTracker()
        // Rest on frames 0-1; squat proposed from frame 2, shown from frame 4 (held 3).
        try feed(&tracker, [
            ([0.5, 0.5], rest, rest, 1),
            ([0.6, 0.4], rest, rest, 2),
            ([0.7, 0.3], rest, squat, 1),
            ([0.8, 0.2], rest, squat, 2),
            ([0.9, 0.1], squat, squat, 3),
            ([0.9, 0.1], squat, squat, 4),
        ])
        XCTAssertEqual(tracker.finished, [
            Segment(labelIndex: rest, label: "rest", isRest: true, start: 0, end: 0.4, meanConfidence: nil),
        ])
        let set = try XCTUnwrap(tracker.setInProgress)
        XCTAssertEqual(set.label, "squat")
        XCTAssertEqual(set.start, 0.4, accuracy: 1e-12)
        XCTAssertEqual(set.end, 1.2, accuracy: 1e-12)
        XCTAssertEqual(set.duration, 0.8, accuracy: 1e-12)
        XCTAssertEqual(set.meanConfidence ?? 0, (0.7 + 0.8 + 0.9 + 0.9) / 4, accuracy: 1e-6)
        XCTAssertEqual(tracker.current?.name, "squat")
        XCTAssertEqual(tracker.current?.confidence ?? 0, 0.9, accuracy: 1e-7)
        XCTAssertEqual(tracker.current?.smoothed, [0.9, 0.1])
    }

    func testOpeningRestIsSwallowedWhenTheFirstSetWasProposedFromTheStart() throws {
        var tracker = makeTracker()
        try feed(&tracker, [
            ([0.8, 0.2], rest, squat, 1),
            ([0.8, 0.2], rest, squat, 2),
            ([0.8, 0.2], squat, squat, 3),
        ])
        XCTAssertTrue(tracker.finished.isEmpty)
        XCTAssertTrue(tracker.rests.isEmpty)
        XCTAssertEqual(tracker.sets.count, 1)
        XCTAssertEqual(tracker.sets.first?.start, 0)
        XCTAssertEqual(tracker.sets.first?.end ?? 0, 0.6, accuracy: 1e-12)
    }

    func testSetRestSetGivesAlternatingSegments() throws {
        var tracker = makeTracker()
        try feed(&tracker, [
            ([0.9, 0.1], squat, squat, 1),
            ([0.9, 0.1], squat, squat, 2),
            ([0.4, 0.4], squat, rest, 1),
            ([0.3, 0.3], rest, rest, 2),
            ([0.2, 0.8], rest, press, 1),
            ([0.1, 0.9], press, press, 2),
        ])
        XCTAssertEqual(tracker.segments.map(\.label), ["squat", "rest", "overhead_press"])
        XCTAssertEqual(tracker.finishedSets.map(\.label), ["squat"])
        XCTAssertEqual(tracker.sets.map(\.label), ["squat", "overhead_press"])
        let ends = tracker.segments.map(\.end)
        let starts = tracker.segments.map(\.start)
        XCTAssertEqual(starts[1], ends[0], accuracy: 1e-12, "a rest starts where its set ends")
        XCTAssertEqual(starts[2], ends[1], accuracy: 1e-12)
        XCTAssertEqual(tracker.segments[0].duration, 0.4, accuracy: 1e-12)
        XCTAssertEqual(tracker.segments[1].duration, 0.4, accuracy: 1e-12)
        XCTAssertEqual(tracker.segments[2].duration, 0.4, accuracy: 1e-12)
        XCTAssertEqual(tracker.finishedSets[0].meanConfidence ?? 0, 0.9, accuracy: 1e-6)
        XCTAssertEqual(tracker.sets[1].meanConfidence ?? 0, 0.85, accuracy: 1e-6)
    }

    func testVariableFrameTimesEndOneIntervalAfterTheLastFrame() throws {
        var tracker = makeTracker()
        let times = [0.0, 0.21, 0.43, 0.6, 0.95]
        let shown = [squat, squat, squat, rest, rest]
        for (time, label) in zip(times, shown) {
            try tracker.consume(timestamp: time, state: state([0.5, 0.5], shown: label, held: 1))
        }
        XCTAssertEqual(tracker.segments.map(\.start), [0.0, 0.6])
        XCTAssertEqual(tracker.segments[0].end, 0.63, accuracy: 1e-12)
        XCTAssertEqual(tracker.segments[1].end, 1.15, accuracy: 1e-12)
    }

    func testRefusesFramesOutOfOrderOrOfAnotherModel() throws {
        var tracker = makeTracker()
        try tracker.consume(timestamp: 1, state: state([0.5, 0.5], shown: rest, held: 1))
        XCTAssertThrowsError(try tracker.consume(timestamp: 1, state: state([0.5, 0.5], shown: rest, held: 2))) {
            XCTAssertEqual($0 as? SetTrackerError, .timestampNotIncreasing(previous: 1, got: 1))
        }
        let threeClasses = try StateVector([0.3, 0.3, 0.4, 3, 3, 1, 0, 0, 0, 0, 0, 0, 1], classCount: 3)
        XCTAssertThrowsError(try tracker.consume(timestamp: 2, state: threeClasses)) {
            XCTAssertEqual($0 as? SetTrackerError, .classCountMismatch(expected: 2, got: 3))
        }
        XCTAssertThrowsError(try tracker.consume(timestamp: 2, nextState: [0.5, 0.5, 2, 2])) {
            XCTAssertEqual($0 as? StateVectorError, .wrongLength(expected: 12, got: 4))
        }
        XCTAssertEqual(tracker.latestTimestamp, 1, "a refused frame changes nothing")
    }

    func testARestClassTrackerReadsKPlusOneSmoothedValues() throws {
        var tracker = SetTracker(labels: ["squat", "overhead_press"], restLabel: "rest", restClass: true, interval: 0.2)
        XCTAssertEqual(tracker.outputCount, 3)
        // Rest (its trained class leads) on frames 0-1; squat proposed from frame 2, shown from frame 3.
        let frames: [[Float]] = [
            [0.1, 0.1, 0.8, 2, 2, 1, 0, 0, 0, 0, 0, 0, 1],
            [0.2, 0.1, 0.7, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1],
            [0.7, 0.1, 0.2, 2, 0, 1, 0, 0, 0, 0, 0, 0, 1],
            [0.9, 0.05, 0.05, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1],
            [0.6, 0.1, 0.3, 0, 2, 1, 0, 0, 0, 0, 0, 0, 1],
            [0.2, 0.1, 0.7, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1],
        ]
        for (index, values) in frames.enumerated() {
            try tracker.consume(timestamp: Double(index) * 0.2, nextState: values)
        }
        XCTAssertEqual(tracker.segments.map(\.label), ["rest", "squat", "rest"])
        XCTAssertEqual(tracker.segments.map(\.labelIndex), [2, 0, 2])
        XCTAssertEqual(tracker.segments.map(\.isRest), [true, false, true])
        let set = try XCTUnwrap(tracker.sets.first)
        XCTAssertEqual(set.start, 0.4, accuracy: 1e-12)
        XCTAssertEqual(set.end, 0.8, accuracy: 1e-12)
        XCTAssertEqual(set.meanConfidence ?? 0, (0.7 + 0.9) / 2, accuracy: 1e-6, "the squat column, not the rest one")
        XCTAssertEqual(tracker.rests.count, 2)
        XCTAssertEqual(tracker.current?.isRest, true)
        XCTAssertEqual(tracker.current?.name, "rest")
        XCTAssertNil(tracker.current?.confidence)
        XCTAssertEqual(tracker.current?.smoothed, [0.2, 0.1, 0.7])
    }

    func testRefusesAStateWithOrWithoutARestClassThatTheTrackerDoesNotHave() throws {
        var tracker = makeTracker()
        let withRest = try StateVector([0.2, 0.1, 0.7, 2, 2, 1, 0, 0, 0, 0, 0, 0, 1], classCount: 2, restClass: true)
        XCTAssertThrowsError(try tracker.consume(timestamp: 0, state: withRest)) {
            XCTAssertEqual($0 as? SetTrackerError, .restClassMismatch(expected: false, got: true))
        }
        XCTAssertThrowsError(try tracker.consume(timestamp: 0, nextState: [0.2, 0.1, 0.7, 2, 2, 1, 0, 0, 0, 0, 0, 0, 1])) {
            XCTAssertEqual($0 as? StateVectorError, .wrongLength(expected: 12, got: 13))
        }
        var restTracker = SetTracker(labels: ["squat", "overhead_press"], restClass: true, interval: 0.2)
        XCTAssertThrowsError(try restTracker.consume(timestamp: 0, state: state([0.5, 0.5], shown: rest, held: 1))) {
            XCTAssertEqual($0 as? SetTrackerError, .restClassMismatch(expected: true, got: false))
        }
        XCTAssertNil(tracker.latestTimestamp)
        XCTAssertNil(restTracker.latestTimestamp)
        XCTAssertEqual(
            SetTrackerError.restClassMismatch(expected: false, got: true).description,
            "the state is for a model with a trained rest class, the tracker for one without a rest class"
        )
    }

    func testResetStartsOver() throws {
        var tracker = makeTracker()
        try feed(&tracker, [([0.9, 0.1], squat, squat, 1), ([0.9, 0.1], squat, squat, 2)])
        tracker.reset()
        XCTAssertTrue(tracker.segments.isEmpty)
        XCTAssertNil(tracker.current)
        XCTAssertNoThrow(try tracker.consume(timestamp: 0, nextState: [0.5, 0.5, 2, 2, 1, 0, 0, 0, 0, 0, 0, 1]))
    }

    func testBuildsFromMetadata() {
        let metadata = ModelMetadata(
            labels: ["squat", "overhead_press"],
            imageSize: 96,
            smoothing: SmoothingParameters(interval: 0.25),
            initialState: [0.5, 0.5, 2, 2, 0, 0, 0, 0, 0, 0, 0]
        )
        let tracker = SetTracker(metadata: metadata)
        XCTAssertEqual(tracker.interval, 0.25)
        XCTAssertEqual(tracker.name(ofLabel: 2), "rest")
        XCTAssertFalse(tracker.restClass)

        let third = Float(1.0 / 3)
        let withRest = ModelMetadata(
            labels: ["squat", "overhead_press"],
            restClass: true,
            imageSize: 96,
            initialState: [third, third, third, 2, 2, 0, 0, 0, 0, 0, 0, 0]
        )
        XCTAssertTrue(SetTracker(metadata: withRest).restClass)
        XCTAssertEqual(SetTracker(metadata: withRest).outputCount, 3)
    }

    func testASetCountsTheRepsOfTheLastFrameThatShowedIt() throws {
        var tracker = makeTracker()
        // Rest on frame 0; squat shown on frames 1-4 counting to 3; rest proposed from frame 3, shown on frame 5.
        let frames: [(shown: Int, candidate: Int, held: Int, reps: Float)] = [
            (rest, rest, 1, 0), (squat, squat, 1, 1), (squat, squat, 2, 2),
            (squat, rest, 1, 2), (squat, rest, 2, 3), (rest, rest, 3, 0),
        ]
        for (index, frame) in frames.enumerated() {
            let values: [Float] = [0.9, 0.1, Float(frame.shown), Float(frame.candidate), Float(frame.held), 0, 0, 0, 0, 0, frame.reps, 1]
            try tracker.consume(timestamp: Double(index) * 0.2, nextState: values)
            XCTAssertEqual(tracker.current?.reps, Int(frame.reps), "live count of frame \(index)")
            if index == 4 {
                XCTAssertEqual(tracker.setInProgress?.reps, 3, "the set in progress counts what is shown")
            }
        }
        let set = try XCTUnwrap(tracker.sets.first)
        XCTAssertEqual(set.end, 0.6, accuracy: 1e-12, "dated back to the rest's first proposal")
        XCTAssertEqual(set.reps, 3, "what the screen showed when the set ended")
        XCTAssertEqual(tracker.rests.map(\.reps), [nil, nil])
    }

    func testReadsTheRepCountWhereTheMetadataSaysItIs() throws {
        let metadata = ModelMetadata(
            labels: ["squat", "overhead_press"],
            imageSize: 96,
            initialState: [0.5, 0.5, 0, 2, 2, 0],
            stateFields: ["reps": 2, "shown": 3, "candidate": 4, "held": 5]
        )
        XCTAssertNoThrow(try metadata.validate())
        var tracker = SetTracker(metadata: metadata)
        try tracker.consume(timestamp: 0, nextState: [0.9, 0.1, 4, 0, 0, 1])
        XCTAssertEqual(tracker.current?.reps, 4)
        XCTAssertEqual(tracker.sets.first?.reps, 4)
    }
}
