import CoreML
import Vision
import WorkoutCore

/// Runs the exported model on camera frames, feeding each frame's `next_state`
/// back as the next frame's `state`.
///
/// The model does all the work, smoothing included; this type only moves
/// pixels and the state in and out. Its `probs` and `smoothed` outputs hold one
/// value per exercise, plus one for rest when the model has a trained rest class
/// (`metadata.outputCount`); a model whose outputs do not match its metadata is
/// refused. Not thread-safe: use it from one queue.
final class WorkoutClassifier {
    let metadata: ModelMetadata
    private let model: VNCoreMLModel
    private let request: VNCoreMLRequest
    private let stateShape: [NSNumber]
    private let stateType: MLMultiArrayDataType
    private var state: [Float]

    init(metadata: ModelMetadata, bundle: Bundle) throws {
        // Xcode compiles GymnosEdge.mlpackage into GymnosEdge.mlmodelc inside the app.
        guard let url = bundle.url(forResource: metadata.modelName, withExtension: "mlmodelc") else {
            throw ClassifierError.modelMissing(file: metadata.modelFile)
        }
        let configuration = MLModelConfiguration()
        configuration.computeUnits = .all
        let coreMLModel = try MLModel(contentsOf: url, configuration: configuration)

        let description = coreMLModel.modelDescription
        let inputs = description.inputDescriptionsByName
        guard let image = inputs[metadata.inputs.image], let imageConstraint = image.imageConstraint else {
            throw ClassifierError.missingInput(name: metadata.inputs.image, kind: "image")
        }
        guard imageConstraint.pixelsWide == metadata.imageSize, imageConstraint.pixelsHigh == metadata.imageSize else {
            throw ClassifierError.imageSizeMismatch(
                expected: metadata.imageSize,
                width: imageConstraint.pixelsWide,
                height: imageConstraint.pixelsHigh
            )
        }
        guard let stateConstraint = inputs[metadata.inputs.state]?.multiArrayConstraint else {
            throw ClassifierError.missingInput(name: metadata.inputs.state, kind: "multi-array")
        }
        let stateCount = stateConstraint.shape.reduce(1) { $0 * $1.intValue }
        guard stateCount == metadata.stateSize else {
            throw ClassifierError.stateSizeMismatch(expected: metadata.stateSize, got: stateCount)
        }
        let outputs = description.outputDescriptionsByName
        guard outputs[metadata.outputs.nextState] != nil else {
            throw ClassifierError.missingOutput(name: metadata.outputs.nextState)
        }
        // One value per exercise, plus rest with a trained rest class; checked here when the
        // model declares its output shapes, and on every frame otherwise.
        for name in [metadata.outputs.probs, metadata.outputs.smoothed] {
            if let shape = outputs[name]?.multiArrayConstraint?.shape, !shape.isEmpty {
                try metadata.checkOutput(name, count: shape.reduce(1) { $0 * $1.intValue })
            }
        }

        let visionModel = try VNCoreMLModel(for: coreMLModel)
        visionModel.inputImageFeatureName = metadata.inputs.image
        let request = VNCoreMLRequest(model: visionModel)
        request.imageCropAndScaleOption = Self.cropAndScale(for: metadata.resize)
        model = visionModel
        self.request = request
        self.metadata = metadata
        stateShape = stateConstraint.shape
        stateType = stateConstraint.dataType
        state = metadata.initialState
    }

    /// Classifies one upright frame and returns the model's `next_state`.
    func classify(_ pixelBuffer: CVPixelBuffer) throws -> [Float] {
        model.featureProvider = try StateFeatureProvider(
            name: metadata.inputs.state,
            values: state,
            shape: stateShape,
            dataType: stateType
        )
        // The capture connection already made the frame upright, unmirrored like the training videos.
        let handler = VNImageRequestHandler(cvPixelBuffer: pixelBuffer, orientation: .up, options: [:])
        try handler.perform([request])
        let observations = request.results as? [VNCoreMLFeatureValueObservation] ?? []
        func output(_ name: String) -> MLMultiArray? {
            observations.first(where: { $0.featureName == name })?.featureValue.multiArrayValue
        }
        for name in [metadata.outputs.probs, metadata.outputs.smoothed] {
            if let values = output(name) {
                try metadata.checkOutput(name, count: values.count)
            }
        }
        let name = metadata.outputs.nextState
        guard let array = output(name) else {
            throw ClassifierError.noOutput(name: name)
        }
        let next = (0..<array.count).map { array[$0].floatValue }
        guard next.count == metadata.stateSize else {
            throw ClassifierError.stateSizeMismatch(expected: metadata.stateSize, got: next.count)
        }
        state = next
        return next
    }

    /// Starts again from the initial state, as for a new workout.
    func reset() {
        state = metadata.initialState
    }

    /// Vision's crop and scale for each resize policy the exporter can record.
    private static func cropAndScale(for policy: ResizePolicy) -> VNImageCropAndScaleOption {
        switch policy {
        case .squash:
            return .scaleFill
        case .crop:
            return .centerCrop
        case .letterbox:
            return .scaleFit
        }
    }
}
