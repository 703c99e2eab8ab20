import Foundation
import WorkoutCore
import XCTest

/// Checks the set list against every shared reference vector of the Python state machine.
final class SmoothingVectorTests: XCTestCase {
    private let tolerance = 1e-5

    func testEveryVectorGivesTheReferenceSets() throws {
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
            check(vector, file: file.lastPathComponent)
            print("consumed vector \(file.lastPathComponent)")
        }
        fflush(stdout)
    }

    private func check(_ vector: SmoothingVector, file: String) {
        let classCount = vector.labels.count
        XCTAssertEqual(vector.states.count, vector.labelsOut.count, "\(file): states and labels_out differ in length")
        XCTAssertNoThrow(try StateVector(vector.initialState, classCount: classCount), "\(file): initial_state")

        var tracker = SetTracker(labels: vector.labels, restLabel: vector.restLabel, interval: vector.params.interval)
        for (step, values) in vector.states.enumerated() {
            do {
                let state = try StateVector(values, classCount: classCount)
                XCTAssertEqual(state.shownLabel, vector.labelsOut[step], "\(file): shown label of step \(step)")
                try tracker.consume(timestamp: Double(step) * vector.params.interval, state: state)
            } catch {
                return XCTFail("\(file): step \(step): \(error)")
            }
        }

        let sets = tracker.sets
        XCTAssertEqual(sets.map(\.label), vector.sets.map(\.label), "\(file): set labels")
        XCTAssertEqual(sets.map(\.labelIndex), vector.sets.map(\.labelIndex), "\(file): set label indices")
        for (index, (got, want)) in zip(sets, vector.sets).enumerated() {
            let name = "\(file): set \(index) (\(want.label))"
            XCTAssertEqual(got.start, want.start, accuracy: tolerance, "\(name) start")
            XCTAssertEqual(got.end, want.end, accuracy: tolerance, "\(name) end")
            XCTAssertEqual(got.duration, want.duration, accuracy: tolerance, "\(name) duration")
            XCTAssertEqual(got.meanConfidence ?? .nan, want.meanConfidence, accuracy: tolerance, "\(name) confidence")
        }

        let rests = tracker.rests
        XCTAssertEqual(rests.count, vector.rests.count, "\(file): number of rests")
        for (index, (got, want)) in zip(rests, vector.rests).enumerated() {
            XCTAssertEqual(got.start, want.start, accuracy: tolerance, "\(file): rest \(index) start")
            XCTAssertEqual(got.end, want.end, accuracy: tolerance, "\(file): rest \(index) end")
            XCTAssertEqual(got.duration, want.duration, accuracy: tolerance, "\(file): rest \(index) duration")
        }
    }
}
