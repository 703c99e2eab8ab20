import Foundation
import WorkoutCore
import XCTest

/// Checks WorkoutCore against every shared reference vector of the Python state machine:
/// the shapes the metadata implies, the rule that gives each state, and the set list.
final class SmoothingVectorTests: XCTestCase {
    private let tolerance = 1e-5

    func testEveryVectorGivesTheReferenceStatesAndSets() throws {
        let directory = SmoothingVector.directory
        let files: [URL]
        do {
            files = try SmoothingVector.files()
        } catch {
            return XCTFail("cannot list \(directory.path): \(error)")
        }
        XCTAssertFalse(files.isEmpty, "no *.json vectors in \(directory.path)")
        for file in files {
            let vector = try JSONDecoder().decode(SmoothingVector.self, from: Data(contentsOf: file))
            checkShapes(vector, file: file.lastPathComponent)
            checkStep(vector, file: file.lastPathComponent)
            checkSets(vector, file: file.lastPathComponent)
            print("consumed vector \(file.lastPathComponent)")
        }
        fflush(stdout)
    }

    /// The vector as a model's metadata.json would describe it.
    private func metadata(of vector: SmoothingVector) -> ModelMetadata {
        ModelMetadata(
            labels: vector.labels,
            restLabel: vector.restLabel,
            restClass: vector.restClass,
            imageSize: 96,
            smoothing: vector.params,
            initialState: vector.initialState,
            stateFields: StateVector.defaultFields(outputCount: vector.labels.count + (vector.restClass ? 1 : 0))
        )
    }

    /// Probabilities hold K values, K + 1 with a rest class; states N + 10; derived values match.
    private func checkShapes(_ vector: SmoothingVector, file: String) {
        let metadata = metadata(of: vector)
        XCTAssertNoThrow(try metadata.validate(), "\(file): metadata")
        XCTAssertEqual(metadata.outputCount, vector.labels.count + (vector.restClass ? 1 : 0), "\(file): outputs")
        XCTAssertEqual(vector.probs.count, vector.states.count, "\(file): probs and states differ in length")
        XCTAssertEqual(vector.smoothed.count, vector.states.count, "\(file): smoothed and states differ in length")
        for (step, row) in vector.probs.enumerated() {
            XCTAssertNoThrow(try metadata.checkOutput("probs", count: row.count), "\(file): probs of step \(step)")
        }
        for (step, row) in vector.smoothed.enumerated() {
            XCTAssertNoThrow(try metadata.checkOutput("smoothed", count: row.count), "\(file): smoothed of step \(step)")
        }
        XCTAssertEqual(vector.params.alpha, vector.derived.alpha, accuracy: 1e-12, "\(file): alpha")
        XCTAssertEqual(vector.params.minSetSteps, vector.derived.minSetSteps, "\(file): min_set_steps")
        XCTAssertEqual(vector.params.minRestSteps, vector.derived.minRestSteps, "\(file): min_rest_steps")
        XCTAssertEqual(vector.params.repAlpha, vector.derived.repAlpha ?? .nan, accuracy: 1e-12, "\(file): rep_alpha")
        XCTAssertEqual(vector.params.minRepSteps, vector.derived.minRepSteps, "\(file): min_rep_steps")
        XCTAssertEqual(vector.params.repGainAlpha, vector.derived.repGainAlpha ?? .nan, accuracy: 1e-12, "\(file): rep_gain_alpha")
        XCTAssertEqual(metadata.stateSize, metadata.outputCount + StateVector.extraCount, "\(file): state_size")
        let initial = ReferenceStep.initialState(outputCount: metadata.outputCount, restClass: vector.restClass)
        XCTAssertEqual(vector.initialState, initial, "\(file): initial_state")
        let rest = ReferenceStep.restIndex(outputCount: metadata.outputCount, restClass: vector.restClass)
        XCTAssertEqual(rest, vector.labels.count, "\(file): rest is label K")
    }

    /// Replays the documented step from `initial_state` over `probs`; every state must match.
    private func checkStep(_ vector: SmoothingVector, file: String) {
        let n = vector.labels.count + (vector.restClass ? 1 : 0)
        var state = vector.initialState
        for (step, (probs, expected)) in zip(vector.probs, vector.states).enumerated() {
            guard probs.count == n, expected.count == n + StateVector.extraCount else {
                return XCTFail("\(file): step \(step) has \(probs.count) probabilities and \(expected.count) state values")
            }
            let signal = vector.repSignal?[step]
            state = ReferenceStep.next(state, probs: probs, params: vector.params, restClass: vector.restClass, repSignal: signal)
            for index in 0..<n {
                XCTAssertEqual(state[index], expected[index], accuracy: 1e-6, "\(file): step \(step) smoothed \(index)")
                XCTAssertEqual(state[index], vector.smoothed[step][index], accuracy: 1e-6, "\(file): step \(step) smoothed")
            }
            // Every field exactly but the rep baseline, a float32 log-odds whose last bit may differ
            // between NumPy's log and the platform's.
            let baseline = n + 4
            var diverged = false
            for index in n..<expected.count {
                let name = "\(file): step \(step) \(StateVector.fieldNames[index - n])"
                if index == baseline {
                    XCTAssertEqual(state[index], expected[index], accuracy: Float(tolerance), name)
                    diverged = diverged || abs(state[index] - expected[index]) > Float(tolerance)
                } else {
                    XCTAssertEqual(state[index], expected[index], name)
                    diverged = diverged || state[index] != expected[index]
                }
            }
            XCTAssertEqual(Int(state[n]), vector.labelsOut[step], "\(file): step \(step) label")
            if let repsOut = vector.repsOut {
                XCTAssertEqual(Int(state[n + 8]), repsOut[step], "\(file): step \(step) reps")
            }
            if diverged { return }  // one divergence is enough; the rest would follow it
        }
    }

    /// Reads the reference states as the app reads the graph's and cuts them into sets and rests.
    private func checkSets(_ vector: SmoothingVector, file: String) {
        let classCount = vector.labels.count
        XCTAssertEqual(vector.states.count, vector.labelsOut.count, "\(file): states and labels_out differ in length")
        XCTAssertNoThrow(
            try StateVector(vector.initialState, classCount: classCount, restClass: vector.restClass),
            "\(file): initial_state"
        )

        var tracker = SetTracker(
            labels: vector.labels,
            restLabel: vector.restLabel,
            restClass: vector.restClass,
            interval: vector.params.interval,
            stateFields: metadata(of: vector).stateFields
        )
        for (step, values) in vector.states.enumerated() {
            do {
                let state = try metadata(of: vector).state(values)
                if let repsOut = vector.repsOut {
                    XCTAssertEqual(state.reps, repsOut[step], "\(file): reps of step \(step)")
                }
                XCTAssertEqual(state.shownLabel, vector.labelsOut[step], "\(file): shown label of step \(step)")
                XCTAssertEqual(state.isRest, vector.labelsOut[step] == classCount, "\(file): rest at step \(step)")
                try tracker.consume(timestamp: Double(step) * vector.params.interval, nextState: values)
                XCTAssertEqual(tracker.current?.reps, state.reps, "\(file): live reps of step \(step)")
            } catch {
                return XCTFail("\(file): step \(step): \(error)")
            }
        }
        XCTAssertEqual(tracker.current?.smoothed.count, vector.smoothed.last?.count, "\(file): live smoothed values")

        let sets = tracker.sets
        XCTAssertEqual(sets.map(\.label), vector.sets.map(\.label), "\(file): set labels")
        XCTAssertEqual(sets.map(\.labelIndex), vector.sets.map(\.labelIndex), "\(file): set label indices")
        for (index, (got, want)) in zip(sets, vector.sets).enumerated() {
            let name = "\(file): set \(index) (\(want.label))"
            XCTAssertEqual(got.start, want.start, accuracy: tolerance, "\(name) start")
            XCTAssertEqual(got.end, want.end, accuracy: tolerance, "\(name) end")
            XCTAssertEqual(got.duration, want.duration, accuracy: tolerance, "\(name) duration")
            XCTAssertEqual(got.meanConfidence ?? .nan, want.meanConfidence, accuracy: tolerance, "\(name) confidence")
            if let reps = want.reps {
                XCTAssertEqual(got.reps, reps, "\(name) reps")
            }
        }

        let rests = tracker.rests
        XCTAssertEqual(rests.map(\.label), Array(repeating: vector.restLabel, count: rests.count), "\(file): rest labels")
        XCTAssertEqual(rests.count, vector.rests.count, "\(file): number of rests")
        for (index, (got, want)) in zip(rests, vector.rests).enumerated() {
            XCTAssertEqual(got.start, want.start, accuracy: tolerance, "\(file): rest \(index) start")
            XCTAssertEqual(got.end, want.end, accuracy: tolerance, "\(file): rest \(index) end")
            XCTAssertEqual(got.duration, want.duration, accuracy: tolerance, "\(file): rest \(index) duration")
        }
    }
}
