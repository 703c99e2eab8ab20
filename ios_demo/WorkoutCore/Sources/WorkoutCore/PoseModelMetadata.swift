import Foundation

/// What a pose model's `metadata.json` says beyond an image model's: the model reads keypoints
/// instead of an image, in the order of `joints`, and its state carries the motion features after
/// the set tracker's state.
///
/// The metadata's `input` decides which path the app runs: "keypoints" means this one. The set
/// tracker needs only its own part of the state, so `tracker` is the metadata as `ModelMetadata`
/// sees it with the state cut to that part; the full state is fed back to the model as it is.
public struct PoseModelMetadata: Equatable, Sendable {
    /// The keypoint units every pose model of this version reads (`keypoint_units`): x and y in frame heights.
    public static let keypointUnits = "frame_heights"
    /// Labels, pacing and smoothing, with the set tracker's part of the state.
    public var tracker: ModelMetadata
    /// The model's joint order, e.g. "nose", "left_eye", … (COCO).
    public var joints: [String]
    /// Feature name of the keypoints input, shape (1, joints, 3).
    public var keypointsInput: String
    /// Feature name of the state input; `tracker.inputs.state` names the same input.
    public var stateInput: String
    /// Length of the whole state: the set tracker's part, then the motion's.
    public var stateSize: Int
    /// The whole state to feed with the first frame.
    public var initialState: [Float]

    /// Whether the metadata describes a pose model; an unreadable file is not one (and fails later).
    public static func isPose(_ data: Data) -> Bool {
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?["input"] as? String == "keypoints"
    }

    /// The set tracker's part of a whole state (its first `tracker.stateSize` values).
    public func trackerState(_ state: [Float]) -> [Float] {
        Array(state.prefix(tracker.stateSize))
    }

    /// Decodes and checks a pose model's metadata; every failure is a `ModelMetadataError`.
    public static func decode(from data: Data) throws -> PoseModelMetadata {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ModelMetadataError.malformedJSON(reason: "")
        }
        guard var object = parsed as? [String: Any] else {
            throw ModelMetadataError.malformedJSON(reason: "the top level must be an object")
        }
        guard object["input"] as? String == "keypoints" else {
            throw ModelMetadataError.invalidValue(key: "input", reason: "must be \"keypoints\" for a pose model")
        }
        guard object["keypoint_units"] as? String == Self.keypointUnits else {
            throw ModelMetadataError.invalidValue(
                key: "keypoint_units",
                reason: "must be \"\(Self.keypointUnits)\" (a model exported before keypoints were in frame heights: export it again)"
            )
        }
        let joints: [String] = try value(object, "joints", "a list of joint names")
        let layout: [String: Int] = try value(object, "state_layout", "an object of state lengths")
        let inputs: [String: String] = try value(object, "inputs", "an object of feature names")
        let stateSize: Int = try value(object, "state_size", "a whole number")
        let initialState = try numbers(object, "initial_state")
        guard let trackerSize = layout["set_tracker"], let motionSize = layout["motion"] else {
            throw ModelMetadataError.missingKey("state_layout.set_tracker")
        }
        guard let keypoints = inputs["keypoints"], let state = inputs["state"] else {
            throw ModelMetadataError.missingKey("inputs.keypoints")
        }
        if joints.isEmpty {
            throw ModelMetadataError.invalidValue(key: "joints", reason: "must name at least one joint")
        }
        if stateSize != trackerSize + motionSize || initialState.count != stateSize || trackerSize <= 0 {
            throw ModelMetadataError.invalidValue(
                key: "state_size",
                reason: "must be set_tracker + motion (\(trackerSize) + \(motionSize)) and the length of "
                    + "initial_state (\(initialState.count)), got \(stateSize)"
            )
        }
        // ModelMetadata calls the model's per-frame input "image"; here that input is the keypoints.
        // Vision sees the whole frame, so no resize policy applies ("fit", the estimator's, is not one).
        object.removeValue(forKey: "resize")
        object["state_size"] = trackerSize
        object["initial_state"] = Array(initialState.prefix(trackerSize))
        object["inputs"] = ["image": keypoints, "state": state]
        let tracker = try ModelMetadata.decode(from: JSONSerialization.data(withJSONObject: object))
        return PoseModelMetadata(
            tracker: tracker,
            joints: joints,
            keypointsInput: keypoints,
            stateInput: state,
            stateSize: stateSize,
            initialState: initialState.map(Float.init)
        )
    }

    /// Reads the metadata file at `url`; `nil` (a resource not found in a bundle) reports the file as missing.
    public static func load(from url: URL?) throws -> PoseModelMetadata {
        guard let url else { throw ModelMetadataError.fileNotFound(name: "metadata.json") }
        guard let data = try? Data(contentsOf: url) else {
            throw ModelMetadataError.fileNotFound(name: url.lastPathComponent)
        }
        return try decode(from: data)
    }

    /// JSON numbers arrive as Int, Double or NSNumber depending on the platform and the value.
    private static func numbers(_ object: [String: Any], _ key: String) throws -> [Double] {
        let list: [Any] = try value(object, key, "a list of numbers")
        return try list.map { element in
            if let number = element as? Double { return number }
            if let number = element as? Int { return Double(number) }
            if let number = element as? NSNumber { return number.doubleValue }
            throw ModelMetadataError.wrongType(key: key, expected: "a list of numbers")
        }
    }

    private static func value<T>(_ object: [String: Any], _ key: String, _ expected: String) throws -> T {
        guard let raw = object[key] else { throw ModelMetadataError.missingKey(key) }
        guard let typed = raw as? T else { throw ModelMetadataError.wrongType(key: key, expected: expected) }
        return typed
    }
}
