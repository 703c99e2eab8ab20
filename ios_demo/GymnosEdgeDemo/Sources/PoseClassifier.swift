import CoreML
import Vision
import WorkoutCore

/// Runs a pose model: Vision's body pose request finds the joints of the person in the frame,
/// `PoseJoints` puts them in the model's joint order, and the model (normalisation, motion
/// features, head and set tracker inside) takes them with the previous frame's state.
///
/// A frame with nobody in it is fed as all-zero keypoints, which the model reads as "no pose".
/// Not thread-safe: use it from one queue.
final class PoseClassifier: FrameClassifier {
    let metadata: PoseModelMetadata
    private let model: MLModel
    private let joints: PoseJoints
    private let request = VNDetectHumanBodyPoseRequest()
    private let keypointsShape: [NSNumber]
    private let stateShape: [NSNumber]
    private var state: [Float]

    init(metadata: PoseModelMetadata, bundle: Bundle) throws {
        let file = metadata.tracker.modelFile
        guard let url = bundle.url(forResource: metadata.tracker.modelName, withExtension: "mlmodelc") else {
            throw ClassifierError.modelMissing(file: file)
        }
        let configuration = MLModelConfiguration()
        configuration.computeUnits = .cpuOnly  // a few kB of float32 work: the CPU is there first
        model = try MLModel(contentsOf: url, configuration: configuration)
        joints = try PoseJoints(jointNames: metadata.joints)

        let inputs = model.modelDescription.inputDescriptionsByName
        guard let keypoints = inputs[metadata.keypointsInput]?.multiArrayConstraint else {
            throw ClassifierError.missingInput(name: metadata.keypointsInput, kind: "multi-array")
        }
        guard keypoints.shape.reduce(1, { $0 * $1.intValue }) == joints.count else {
            throw ClassifierError.missingInput(name: metadata.keypointsInput, kind: "\(joints.count / 3)×3 multi-array")
        }
        guard let stateConstraint = inputs[metadata.stateInput]?.multiArrayConstraint else {
            throw ClassifierError.missingInput(name: metadata.stateInput, kind: "multi-array")
        }
        let stateCount = stateConstraint.shape.reduce(1) { $0 * $1.intValue }
        guard stateCount == metadata.stateSize else {
            throw ClassifierError.stateSizeMismatch(expected: metadata.stateSize, got: stateCount)
        }
        self.metadata = metadata
        keypointsShape = keypoints.shape
        stateShape = stateConstraint.shape
        state = metadata.initialState
    }

    func classify(_ pixelBuffer: CVPixelBuffer) throws -> [Float] {
        // The capture connection already rotated and mirrored the frame.
        let handler = VNImageRequestHandler(cvPixelBuffer: pixelBuffer, orientation: .up, options: [:])
        try handler.perform([request])
        let points = try request.results?.first.map(Self.points) ?? [:]
        let keypoints = joints.keypoints(from: points, width: CVPixelBufferGetWidth(pixelBuffer),
                                         height: CVPixelBufferGetHeight(pixelBuffer))
        let inputs = try MLDictionaryFeatureProvider(dictionary: [
            metadata.keypointsInput: MLFeatureValue(multiArray: Self.array(keypoints, shape: keypointsShape)),
            metadata.stateInput: MLFeatureValue(multiArray: Self.array(state, shape: stateShape)),
        ])
        let name = metadata.tracker.outputs.nextState
        guard let output = try model.prediction(from: inputs).featureValue(for: name)?.multiArrayValue else {
            throw ClassifierError.noOutput(name: name)
        }
        let next = (0..<output.count).map { output[$0].floatValue }
        guard next.count == metadata.stateSize else {
            throw ClassifierError.stateSizeMismatch(expected: metadata.stateSize, got: next.count)
        }
        state = next
        return metadata.trackerState(next)
    }

    func reset() {
        state = metadata.initialState
    }

    /// Vision's joints under WorkoutCore's names (the cases are named after `JointName`'s constants).
    private static func points(of observation: VNHumanBodyPoseObservation) throws -> [VisionJoint: VisionPoint] {
        let names: [VNHumanBodyPoseObservation.JointName: VisionJoint] = [
            .nose: .nose, .leftEye: .leftEye, .rightEye: .rightEye, .leftEar: .leftEar, .rightEar: .rightEar,
            .neck: .neck, .leftShoulder: .leftShoulder, .rightShoulder: .rightShoulder, .leftElbow: .leftElbow,
            .rightElbow: .rightElbow, .leftWrist: .leftWrist, .rightWrist: .rightWrist, .root: .root,
            .leftHip: .leftHip, .rightHip: .rightHip, .leftKnee: .leftKnee, .rightKnee: .rightKnee,
            .leftAnkle: .leftAnkle, .rightAnkle: .rightAnkle,
        ]
        var points: [VisionJoint: VisionPoint] = [:]
        for (name, point) in try observation.recognizedPoints(.all) {
            guard let joint = names[name] else { continue }
            let location = point.location  // normalised, origin at the bottom left
            points[joint] = VisionPoint(x: Float(location.x), y: Float(location.y), confidence: point.confidence)
        }
        return points
    }

    private static func array(_ values: [Float], shape: [NSNumber]) throws -> MLMultiArray {
        let array = try MLMultiArray(shape: shape, dataType: .float32)
        for (index, value) in values.enumerated() {
            array[index] = NSNumber(value: value)
        }
        return array
    }
}
