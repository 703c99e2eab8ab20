import Foundation

/// What the app needs to know about an exported model, read from its `metadata.json`.
///
/// The metadata is the one source of truth for class names, input size, pacing
/// and the state layout; nothing here is duplicated in the app. Keys the app
/// does not use are ignored, so newer exports still load.
public struct ModelMetadata: Codable, Equatable, Sendable {
    /// Names of the exercises, in class-index order (K of them); rest is never among them.
    public var labels: [String]
    /// Name shown while no set is in progress; label index K.
    public var restLabel: String
    /// Whether the model has a trained rest class: its `probs` and `smoothed` outputs then hold
    /// K + 1 values, rest last (label index K either way). Exports from before the rest class
    /// do not write the key and have none.
    public var restClass: Bool
    /// Side of the square image the model takes, in pixels.
    public var imageSize: Int
    /// How frames are brought to `imageSize`; squash when the file does not say.
    public var resize: ResizePolicy
    /// Seconds between two classified frames.
    public var interval: TimeInterval
    /// Length of the state vector, N + 10 for N = K outputs (K + 1 with a rest class).
    public var stateSize: Int
    /// Where `next_state` holds each field after the smoothed probabilities (name → index);
    /// exports from before rep counting do not write it, and their states follow the documented layout.
    public var stateFields: [String: Int]?
    /// The state to feed with the first frame.
    public var initialState: [Float]
    public var smoothing: SmoothingParameters
    /// File name of the Core ML package, e.g. "GymnosEdge.mlpackage".
    public var modelFile: String
    public var inputs: Inputs
    public var outputs: Outputs

    /// Feature names of the model's inputs.
    public struct Inputs: Codable, Equatable, Sendable {
        public var image: String
        public var state: String

        public init(image: String = "image", state: String = "state_in") {
            self.image = image
            self.state = state
        }
    }

    /// Feature names of the model's outputs.
    public struct Outputs: Codable, Equatable, Sendable {
        public var probs: String
        public var smoothed: String
        public var label: String
        public var nextState: String

        public init(
            probs: String = "probs",
            smoothed: String = "smoothed",
            label: String = "label",
            nextState: String = "next_state"
        ) {
            self.probs = probs
            self.smoothed = smoothed
            self.label = label
            self.nextState = nextState
        }

        enum CodingKeys: String, CodingKey {
            case probs
            case smoothed
            case label
            case nextState = "next_state"
        }
    }

    enum CodingKeys: String, CodingKey {
        case labels
        case restLabel = "rest_label"
        case restClass = "rest_class"
        case imageSize = "image_size"
        case resize
        case interval = "every_s"
        case stateSize = "state_size"
        case stateFields = "state_fields"
        case initialState = "initial_state"
        case smoothing
        case modelFile = "model_file"
        case inputs
        case outputs
    }

    public init(
        labels: [String],
        restLabel: String = "rest",
        restClass: Bool = false,
        imageSize: Int,
        resize: ResizePolicy = .squash,
        smoothing: SmoothingParameters = SmoothingParameters(),
        initialState: [Float],
        stateFields: [String: Int]? = nil,
        modelFile: String = "GymnosEdge.mlpackage",
        inputs: Inputs = Inputs(),
        outputs: Outputs = Outputs()
    ) {
        self.labels = labels
        self.restLabel = restLabel
        self.restClass = restClass
        self.imageSize = imageSize
        self.resize = resize
        self.interval = smoothing.interval
        let outputCount = StateVector.outputCount(classCount: labels.count, restClass: restClass)
        self.stateSize = outputCount + (stateFields?.count ?? StateVector.extraCount)
        self.stateFields = stateFields
        self.initialState = initialState
        self.smoothing = smoothing
        self.modelFile = modelFile
        self.inputs = inputs
        self.outputs = outputs
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        labels = try container.decode([String].self, forKey: .labels)
        restLabel = try container.decode(String.self, forKey: .restLabel)
        restClass = try container.decodeIfPresent(Bool.self, forKey: .restClass) ?? false
        imageSize = try container.decode(Int.self, forKey: .imageSize)
        let resizeName = try container.decodeIfPresent(String.self, forKey: .resize)
        guard let resize = ResizePolicy(rawValue: resizeName ?? ResizePolicy.squash.rawValue) else {
            let known = ResizePolicy.allCases.map(\.rawValue).joined(separator: ", ")
            throw ModelMetadataError.invalidValue(
                key: "resize",
                reason: "must be one of \(known), got \"\(resizeName ?? "")\""
            )
        }
        self.resize = resize
        interval = try container.decode(TimeInterval.self, forKey: .interval)
        stateSize = try container.decode(Int.self, forKey: .stateSize)
        stateFields = try container.decodeIfPresent([String: Int].self, forKey: .stateFields)
        initialState = try container.decode([Float].self, forKey: .initialState)
        smoothing = try container.decode(SmoothingParameters.self, forKey: .smoothing)
        modelFile = try container.decode(String.self, forKey: .modelFile)
        inputs = try container.decode(Inputs.self, forKey: .inputs)
        outputs = try container.decode(Outputs.self, forKey: .outputs)
    }

    /// Number of exercises, K; also the label index of rest.
    public var classCount: Int { labels.count }

    /// Number of values in the model's `probs` and `smoothed` outputs, N: K, plus one with a rest class.
    public var outputCount: Int { StateVector.outputCount(classCount: classCount, restClass: restClass) }

    /// Name of the model file without its extension, as Xcode names the compiled model.
    public var modelName: String { (modelFile as NSString).deletingPathExtension }

    /// Name of label index `index`, where `classCount` means rest.
    public func name(ofLabel index: Int) -> String {
        labels.indices.contains(index) ? labels[index] : restLabel
    }

    /// Reads a `next_state` of this model.
    public func state(_ values: [Float]) throws -> StateVector {
        try StateVector(values, classCount: classCount, restClass: restClass, fields: stateFields)
    }

    /// Checks that a model output of per-class values (`probs`, `smoothed`) holds `count` values,
    /// one per exercise plus the rest class when there is one.
    public func checkOutput(_ name: String, count: Int) throws {
        guard count == outputCount else {
            throw ModelMetadataError.outputSizeMismatch(
                output: name,
                expected: outputCount,
                got: count,
                restClass: restClass
            )
        }
    }

    /// Decodes and checks metadata; every failure is a `ModelMetadataError`.
    public static func decode(from data: Data) throws -> ModelMetadata {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo["NSDebugDescription"] as? String
            throw ModelMetadataError.malformedJSON(reason: detail ?? "")
        }
        let metadata: ModelMetadata
        do {
            metadata = try JSONDecoder().decode(ModelMetadata.self, from: data)
        } catch let error as DecodingError {
            throw ModelMetadataError(error)
        }
        try metadata.validate()
        return metadata
    }

    /// Reads the metadata file at `url`; `nil` (a resource not found in a bundle) reports the file as missing.
    public static func load(from url: URL?) throws -> ModelMetadata {
        guard let url else { throw ModelMetadataError.fileNotFound(name: "metadata.json") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            if !FileManager.default.fileExists(atPath: url.path) {
                throw ModelMetadataError.fileNotFound(name: url.lastPathComponent)
            }
            throw ModelMetadataError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decode(from: data)
    }

    /// Checks the values that the app relies on and JSON types cannot express.
    public func validate() throws {
        if labels.isEmpty {
            throw ModelMetadataError.invalidValue(key: "labels", reason: "must name at least one class")
        }
        if Set(labels).count != labels.count {
            throw ModelMetadataError.invalidValue(key: "labels", reason: "must not repeat a name")
        }
        if labels.contains(restLabel) {
            throw ModelMetadataError.invalidValue(key: "rest_label", reason: "must differ from every class name")
        }
        if imageSize <= 0 {
            throw ModelMetadataError.invalidValue(key: "image_size", reason: "must be positive, got \(imageSize)")
        }
        if !(interval > 0) {
            throw ModelMetadataError.invalidValue(key: "every_s", reason: "must be positive, got \(interval)")
        }
        if abs(interval - smoothing.interval) > 1e-9 {
            throw ModelMetadataError.invalidValue(
                key: "every_s",
                reason: "(\(interval)) must equal smoothing.every_s (\(smoothing.interval))"
            )
        }
        var expectedSize = StateVector.size(classCount: labels.count, restClass: restClass)
        if let stateFields {
            do {
                expectedSize = try StateVector.checkFields(stateFields, outputCount: outputCount)
            } catch let error as StateVectorError {
                throw ModelMetadataError.invalidValue(key: "state_fields", reason: error.description)
            }
        }
        if stateSize != expectedSize {
            let classes = "\(labels.count) classes" + (restClass ? " plus rest" : "")
            throw ModelMetadataError.invalidValue(
                key: "state_size",
                reason: "must be \(expectedSize) for \(classes), got \(stateSize)"
            )
        }
        do {
            _ = try state(initialState)
        } catch let error as StateVectorError {
            throw ModelMetadataError.invalidValue(key: "initial_state", reason: error.description)
        }
        if modelFile.isEmpty {
            throw ModelMetadataError.invalidValue(key: "model_file", reason: "must name the model package")
        }
    }
}

extension ModelMetadataError {
    init(_ error: DecodingError) {
        func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            if keys.isEmpty { return "top level" }
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            self = .missingKey(path(context, key))
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            self = .malformedJSON(reason: "the top level must be an object")
        case .typeMismatch(let type, let context):
            self = .wrongType(key: path(context), expected: Self.typeName(type))
        case .valueNotFound(let type, let context):
            self = .wrongType(key: path(context), expected: Self.typeName(type) + ", not null")
        case .dataCorrupted(let context):
            self = .invalidValue(key: path(context), reason: "cannot be read: \(context.debugDescription)")
        @unknown default:
            self = .malformedJSON(reason: String(describing: error))
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        case is Double.Type, is Float.Type: return "a number"
        case is [String].Type: return "a list of strings"
        case is [Float].Type: return "a list of numbers"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") || name.hasPrefix("[") ? "a list" : "an object"
        }
    }
}
