import CoreML

/// Hands the previous frame's `next_state` to the model as its `state` input.
final class StateFeatureProvider: NSObject, MLFeatureProvider {
    private let name: String
    private let value: MLFeatureValue

    init(name: String, values: [Float], shape: [NSNumber], dataType: MLMultiArrayDataType) throws {
        let array = try MLMultiArray(shape: shape, dataType: dataType)
        for (index, element) in values.enumerated() {
            array[index] = NSNumber(value: element)
        }
        self.name = name
        value = MLFeatureValue(multiArray: array)
    }

    var featureNames: Set<String> { [name] }

    func featureValue(for featureName: String) -> MLFeatureValue? {
        featureName == name ? value : nil
    }
}
