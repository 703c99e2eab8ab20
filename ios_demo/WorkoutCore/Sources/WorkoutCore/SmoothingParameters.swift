import Foundation

/// The tuning of the smoothing state machine, as saved in the model's metadata.
///
/// The exported graph runs the state machine itself; the app only reads these
/// values to show them and to pace frames at `interval`. Whether the model has a
/// trained rest class is not a tuning value: it is `ModelMetadata.restClass`.
public struct SmoothingParameters: Codable, Equatable, Sendable {
    /// Seconds between two classified frames.
    public var interval: TimeInterval
    /// Time constant of the moving average, in seconds.
    public var tau: TimeInterval
    public var enter: Double
    public var exit: Double
    public var floor: Double
    /// A class must be proposed this long before it is shown.
    public var minSet: TimeInterval
    /// Rest must be proposed this long before it is shown.
    public var minRest: TimeInterval
    /// Time constant of the rep counter's baseline, in seconds.
    public var repTau: TimeInterval
    /// How far (in log-odds) the tracked exercise must rise above and dip under its baseline for a rep.
    public var repHysteresis: Double
    /// Shortest time between two counted reps.
    public var minRep: TimeInterval
    /// Time constant of the rep signal's recent amplitude that the band follows; 0 keeps the band at `repHysteresis`.
    public var repGainTau: TimeInterval

    public init(
        interval: TimeInterval = 0.2,
        tau: TimeInterval = 0.6,
        enter: Double = 0.7,
        exit: Double = 0.45,
        floor: Double = 0.5,
        minSet: TimeInterval = 1.0,
        minRest: TimeInterval = 1.0,
        repTau: TimeInterval = 1.5,
        repHysteresis: Double = 0.3,
        minRep: TimeInterval = 0.6,
        repGainTau: TimeInterval = 0
    ) {
        self.interval = interval
        self.tau = tau
        self.enter = enter
        self.exit = exit
        self.floor = floor
        self.minSet = minSet
        self.minRest = minRest
        self.repTau = repTau
        self.repHysteresis = repHysteresis
        self.minRep = minRep
        self.repGainTau = repGainTau
    }

    /// Exports from before rep counting (or before the following band) do not write those keys; they get the defaults.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = SmoothingParameters()
        interval = try container.decode(TimeInterval.self, forKey: .interval)
        tau = try container.decode(TimeInterval.self, forKey: .tau)
        enter = try container.decode(Double.self, forKey: .enter)
        exit = try container.decode(Double.self, forKey: .exit)
        floor = try container.decode(Double.self, forKey: .floor)
        minSet = try container.decode(TimeInterval.self, forKey: .minSet)
        minRest = try container.decode(TimeInterval.self, forKey: .minRest)
        repTau = try container.decodeIfPresent(TimeInterval.self, forKey: .repTau) ?? defaults.repTau
        repHysteresis = try container.decodeIfPresent(Double.self, forKey: .repHysteresis) ?? defaults.repHysteresis
        minRep = try container.decodeIfPresent(TimeInterval.self, forKey: .minRep) ?? defaults.minRep
        repGainTau = try container.decodeIfPresent(TimeInterval.self, forKey: .repGainTau) ?? defaults.repGainTau
    }

    /// Weight of a new frame in the moving average, so the time constant holds for any
    /// interval: `1 - exp(-interval / tau)`, or 1 when `tau` is 0 (docs/smoothing.md).
    public var alpha: Double {
        tau == 0 ? 1 : 1 - exp(-interval / tau)
    }

    /// Steps an exercise must be proposed before it is shown.
    public var minSetSteps: Int { Self.steps(minSet, interval: interval) }
    /// Steps rest must be proposed before it is shown.
    public var minRestSteps: Int { Self.steps(minRest, interval: interval) }
    /// Weight of a new frame in the rep counter's baseline: `1 - exp(-interval / rep_tau)`.
    public var repAlpha: Double { 1 - exp(-interval / repTau) }
    /// Weight of a new frame in the rep amplitude: `1 - exp(-interval / rep_gain_tau)`, or 0 when it is 0.
    public var repGainAlpha: Double { repGainTau == 0 ? 0 : 1 - exp(-interval / repGainTau) }
    /// Steps between two counted reps, at least.
    public var minRepSteps: Int { Self.steps(minRep, interval: interval) }

    /// Whole steps, so float32 graphs and float64 references agree on every comparison.
    private static func steps(_ seconds: TimeInterval, interval: TimeInterval) -> Int {
        max(1, Int((seconds / interval - 1e-9).rounded(.up)))
    }

    enum CodingKeys: String, CodingKey {
        case interval = "every_s"
        case tau = "tau_s"
        case enter
        case exit
        case floor
        case minSet = "min_set_s"
        case minRest = "min_rest_s"
        case repTau = "rep_tau_s"
        case repHysteresis = "rep_hysteresis"
        case minRep = "min_rep_s"
        case repGainTau = "rep_gain_tau_s"
    }
}
