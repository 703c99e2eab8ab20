import Foundation
import WorkoutCore

/// The step of docs/smoothing.md (gymnos_edge/sets/smoothing.py `step`), replayed in
/// float32 over each vector's probabilities to check that its states follow the rule the
/// exported graph runs, the trained rest class included.
///
/// Only the tests use it: the app never computes a state, it feeds back the graph's.
enum ReferenceStep {
    /// Label value of rest for N model outputs: K, the number of exercises, either way.
    static func restIndex(outputCount: Int, restClass: Bool) -> Int {
        restClass ? outputCount - 1 : outputCount
    }

    /// Probabilities are clipped to [repEps, 1 - repEps] before their log-odds.
    static let repEps = 1e-3

    /// The band never narrows below this share of `repHysteresis` (smoothing.py REP_MIN_GAIN).
    static let repMinGain: Float = 0.2

    /// Uniform smoothed probabilities, showing rest, no candidate held, no exercise tracked, no reps, amplitude 1.
    static func initialState(outputCount: Int, restClass: Bool) -> [Float] {
        let rest = Float(restIndex(outputCount: outputCount, restClass: restClass))
        // 1/N in float64, then float32, as NumPy fills it.
        return Array(repeating: Float(1.0 / Double(outputCount)), count: outputCount) + [rest, rest, 0, rest, 0, 0, 0, 0, 0, 1]
    }

    /// One step: `state` holds N + 10 values for the N = `probs.count` outputs. Reps are counted on
    /// `repSignal` (N values, a pose model's) when given, else on the probabilities' log-odds.
    static func next(
        _ state: [Float],
        probs: [Float],
        params: SmoothingParameters,
        restClass: Bool,
        repSignal: [Float]? = nil
    ) -> [Float] {
        let n = probs.count
        precondition(state.count == n + StateVector.extraCount, "a state of \(state.count) values for \(n) outputs")
        let alpha = Float(params.alpha)
        let rest = Float(restIndex(outputCount: n, restClass: restClass))
        let shown = state[n]
        let candidate = state[n + 1]
        var held = state[n + 2]

        var ema = [Float](repeating: 0, count: n)
        for index in 0..<n {
            let difference = probs[index] - state[index]
            let update = alpha * difference
            ema[index] = state[index] + update
        }
        var top = 0
        for index in 1..<n where ema[index] > ema[top] {  // the first index on ties
            top = index
        }
        let topValue = ema[top]
        let shownValue: Float = ema.indices.contains(Int(shown)) ? ema[Int(shown)] : 0

        // Without a rest class, rest has no probability to keep it.
        var keep = shownValue >= Float(params.exit)
        if !restClass {
            keep = keep && shown < rest
        }
        let entered = topValue >= Float(params.enter) ? Float(top) : rest
        var proposal = keep ? shown : entered
        if topValue < Float(params.floor) {
            proposal = rest
        }

        held = proposal == candidate ? held + 1 : 1
        let needed = Float(proposal == rest ? params.minRestSteps : params.minSetSteps)
        let nextShown = held >= needed ? proposal : shown
        let reps = countReps(
            state, probs: probs, ema: ema,
            shown: shown, candidate: candidate, proposal: proposal, nextShown: nextShown,
            params: params, restClass: restClass, repSignal: repSignal
        )
        return ema + [nextShown, proposal, held] + reps
    }

    /// The rep fields of the next state (docs/smoothing.md, "Counting reps"), `_count_reps`:
    /// rep_class, rep_baseline, rep_armed, rep_since, rep_rising, reps, rep_amplitude.
    static func countReps(
        _ state: [Float],
        probs: [Float],
        ema: [Float],
        shown: Float,
        candidate: Float,
        proposal: Float,
        nextShown: Float,
        params: SmoothingParameters,
        restClass: Bool,
        repSignal: [Float]?
    ) -> [Float] {
        let n = probs.count
        let rest = Float(restIndex(outputCount: n, restClass: restClass))
        let trackedBefore = state[n + 3]
        var baseline = state[n + 4]
        var armed = state[n + 5]
        var since = state[n + 6]
        var rising = state[n + 7]
        var reps = state[n + 8]
        var amplitude = state[n + 9]

        // The exercise the machine is about: what it proposes, else what it shows, else the likeliest exercise.
        let exercises = restClass ? n - 1 : n
        var topExercise = 0
        for index in 1..<exercises where ema[index] > ema[topExercise] {  // the first index on ties
            topExercise = index
        }
        var tracked = nextShown < rest ? nextShown : Float(topExercise)
        tracked = proposal < rest ? proposal : tracked
        let trackedIndex = Int(tracked)
        let signal: Float
        if let repSignal {
            signal = repSignal[trackedIndex]
        } else {
            let p = min(max(probs[trackedIndex], Float(repEps)), Float(1 - repEps))
            signal = log(p) - log(Float(1) - p)
        }

        // A newly tracked or newly proposed exercise starts at its own level; a newly tracked one's first dip counts.
        let switched = tracked != trackedBefore
        let proposed = proposal == tracked && proposal != candidate
        if switched || proposed {
            baseline = signal
        } else {
            let difference = signal - baseline
            let update = Float(params.repAlpha) * difference
            baseline = baseline + update
        }
        let deviation = signal - baseline
        if switched {  // a proposal restarts the baseline but keeps the trigger as it was
            armed = 1
        }
        since = min(since + 1, Float(params.minRepSteps))
        // The band follows the recent amplitude when repGainTau > 0 (the deviation is measured in units of
        // it; a newly tracked exercise starts at 1); a fixed band leaves the amplitude as it is.
        var scaled = deviation
        if params.repGainAlpha != 0 {
            if switched {
                amplitude = 1
            } else {
                let difference = abs(deviation) - amplitude
                let update = Float(params.repGainAlpha) * difference
                amplitude = amplitude + update
            }
            scaled = deviation / max(amplitude, repMinGain)
        }
        let h = Float(params.repHysteresis)
        let dip = armed > 0.5 && scaled < -h
        let rep = dip && since >= Float(params.minRepSteps)
        let counted: Float = rep ? 1 : 0
        let up = scaled > h
        armed = rep ? 0 : (up ? 1 : armed)
        since = rep ? 0 : since

        // The count restarts whenever the tracked exercise is neither proposed nor rising.
        let oldValue = state[trackedIndex]
        let newValue = ema[trackedIndex]
        let restart = switched || (proposal != tracked && newValue - oldValue < Float(1e-3))
        rising = restart ? 0 : rising + counted
        let kept = tracked == nextShown ? reps + counted : reps
        reps = nextShown != shown ? rising : kept
        if nextShown == rest {
            reps = 0
        }
        return [tracked, baseline, armed, since, rising, reps, amplitude]
    }
}
