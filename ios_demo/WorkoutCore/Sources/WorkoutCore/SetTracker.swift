import Foundation

/// Builds the list of sets and rests from the states the exported graph returns.
///
/// The graph runs the smoothing step (docs/smoothing.md) and hands back its
/// state; this type never re-derives a label, it only cuts the shown labels into
/// runs as "From labels to sets" says, the same way as gymnos_edge/sets/segments.py:
/// a frame at `t` covers `[t, t + interval)`, and when the shown label changes
/// the new run is dated back to the first frame its candidate was proposed
/// (`held - 1` frames earlier), taking those frames from the run before it.
/// A set's rep count is the state's `reps` at the last frame that showed it,
/// what the screen showed when the set ended.
public struct SetTracker: Sendable {
    /// The exercises, K of them; label index K is rest.
    public let labels: [String]
    public let restLabel: String
    /// Whether the model has a trained rest output, so each state holds K + 1 smoothed values.
    public let restClass: Bool
    public let interval: TimeInterval
    /// Where `consume(timestamp:nextState:)` reads each state field; the documented layout when `nil`.
    public let stateFields: [String: Int]?

    /// Runs that ended, oldest first; sets and rests alternate.
    public private(set) var finished: [Segment] = []
    /// The latest frame's state, or `nil` before the first frame.
    public private(set) var latestState: StateVector?
    public private(set) var latestTimestamp: TimeInterval?

    /// Frames of the run in progress, kept whole because a change of label may
    /// move its trailing frames into the next run.
    private var run: Run?

    private struct Run: Sendable {
        var label: Int
        var times: [TimeInterval] = []
        /// N smoothed probabilities per frame (K, plus rest with a rest class), frame after frame.
        var smoothed: [Float] = []
        /// The state's rep count per frame.
        var reps: [Int] = []
        /// Frames before this index were taken from the run before, shown under its label.
        var ownFrom = 0
        /// The rep count of the latest frame that showed this run's label.
        var shownReps = 0
    }

    public init(
        labels: [String],
        restLabel: String = "rest",
        restClass: Bool = false,
        interval: TimeInterval,
        stateFields: [String: Int]? = nil
    ) {
        precondition(!labels.isEmpty, "a tracker needs at least one class")
        precondition(interval > 0, "the frame interval must be positive")
        self.labels = labels
        self.restLabel = restLabel
        self.restClass = restClass
        self.interval = interval
        self.stateFields = stateFields
    }

    public init(metadata: ModelMetadata) {
        self.init(
            labels: metadata.labels,
            restLabel: metadata.restLabel,
            restClass: metadata.restClass,
            interval: metadata.interval,
            stateFields: metadata.stateFields
        )
    }

    /// Number of exercises, K; also the label index of rest.
    public var classCount: Int { labels.count }
    /// Smoothed values per state, N: K, plus one with a rest class.
    public var outputCount: Int { StateVector.outputCount(classCount: classCount, restClass: restClass) }

    /// Adds one processed frame: its presentation time and the graph's `next_state`.
    public mutating func consume(timestamp: TimeInterval, state: StateVector) throws {
        guard state.classCount == classCount else {
            throw SetTrackerError.classCountMismatch(expected: classCount, got: state.classCount)
        }
        guard state.restClass == restClass else {
            throw SetTrackerError.restClassMismatch(expected: restClass, got: state.restClass)
        }
        if let previous = latestTimestamp, !(timestamp > previous) {
            throw SetTrackerError.timestampNotIncreasing(previous: previous, got: timestamp)
        }
        let label = state.shownLabel
        if var current = run, current.label != label {
            // Only the opening run can be swallowed whole: it starts without
            // its own candidate having been held.
            let movedBack = min(max(0, state.heldSteps - 1), current.times.count)
            let kept = current.times.count - movedBack
            var next = Run(label: label)
            next.times = Array(current.times[kept...])
            next.smoothed = Array(current.smoothed[(kept * outputCount)...])
            next.reps = Array(current.reps[kept...])
            next.ownFrom = movedBack
            if kept > 0 {
                current.times.removeLast(movedBack)
                current.smoothed.removeLast(movedBack * outputCount)
                current.reps.removeLast(movedBack)
                finished.append(segment(of: current))
            }
            run = next
        } else if run == nil {
            run = Run(label: label)
        }
        run?.times.append(timestamp)
        run?.smoothed.append(contentsOf: state.smoothed)
        run?.reps.append(state.reps)
        run?.shownReps = state.reps
        latestState = state
        latestTimestamp = timestamp
    }

    /// Adds one processed frame from the raw `next_state` values.
    public mutating func consume(timestamp: TimeInterval, nextState: [Float]) throws {
        try consume(
            timestamp: timestamp,
            state: StateVector(nextState, classCount: classCount, restClass: restClass, fields: stateFields)
        )
    }

    /// Forgets every frame, as at the start of a new session.
    public mutating func reset() {
        finished = []
        run = nil
        latestState = nil
        latestTimestamp = nil
    }

    /// The label on screen now, or `nil` before the first frame.
    public var current: LiveLabel? {
        guard let state = latestState, let timestamp = latestTimestamp else { return nil }
        return LiveLabel(
            labelIndex: state.shownLabel,
            name: name(ofLabel: state.shownLabel),
            isRest: state.isRest,
            confidence: state.shownConfidence,
            smoothed: Array(state.smoothed),
            timestamp: timestamp,
            reps: state.reps
        )
    }

    /// The run in progress (a set or a rest), ending after the latest frame.
    public var inProgress: Segment? { run.map(segment(of:)) }

    /// The set in progress, or `nil` at rest.
    public var setInProgress: Segment? { inProgress.flatMap { $0.isRest ? nil : $0 } }

    public var finishedSets: [Segment] { finished.filter { !$0.isRest } }

    /// Every run so far, the one in progress last.
    public var segments: [Segment] { finished + (inProgress.map { [$0] } ?? []) }

    /// Every set so far, including the one in progress.
    public var sets: [Segment] { segments.filter { !$0.isRest } }

    /// Every rest so far, including the one in progress.
    public var rests: [Segment] { segments.filter { $0.isRest } }

    public func name(ofLabel index: Int) -> String {
        labels.indices.contains(index) ? labels[index] : restLabel
    }

    private func segment(of run: Run) -> Segment {
        let isRest = run.label == classCount
        var confidence: Double?
        var reps: Int?
        if !isRest {
            let last = run.times.count - 1
            reps = last >= run.ownFrom ? run.shownReps : run.reps[last]
            var total = 0.0
            for frame in run.times.indices {
                total += Double(run.smoothed[frame * outputCount + run.label])
            }
            confidence = total / Double(run.times.count)
        }
        return Segment(
            labelIndex: run.label,
            label: name(ofLabel: run.label),
            isRest: isRest,
            start: run.times[0],
            end: run.times[run.times.count - 1] + interval,
            meanConfidence: confidence,
            reps: reps
        )
    }
}
