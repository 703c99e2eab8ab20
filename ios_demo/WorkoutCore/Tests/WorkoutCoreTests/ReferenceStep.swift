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

    /// Uniform smoothed probabilities, showing rest, no candidate held.
    static func initialState(outputCount: Int, restClass: Bool) -> [Float] {
        let rest = Float(restIndex(outputCount: outputCount, restClass: restClass))
        // 1/N in float64, then float32, as NumPy fills it.
        return Array(repeating: Float(1.0 / Double(outputCount)), count: outputCount) + [rest, rest, 0]
    }

    /// One step: `state` holds N + 3 values for the N = `probs.count` outputs.
    static func next(
        _ state: [Float],
        probs: [Float],
        params: SmoothingParameters,
        restClass: Bool
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
        return ema + [nextShown, proposal, held]
    }
}
