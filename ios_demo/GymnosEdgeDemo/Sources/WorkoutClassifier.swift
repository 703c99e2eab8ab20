import CoreML
import Vision
import WorkoutCore

/// Runs the exported model on camera frames, feeding each frame's `next_state`
/// back as the next frame's `state`.
///
/// The model does all the work, smoothing included; this type only moves
/// pixels and the state in and out. Not thread-safe: use it from one queue.
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
        guard description.outputDescriptionsByName[metadata.outputs.nextState] != nil else {
            throw ClassifierError.missingOutput(name: metadata.outputs.nextState)
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
        let name = metadata.outputs.nextState
        guard let array = observations.first(where: { $0.featureName == name })?.featureValue.multiArrayValue else {
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
