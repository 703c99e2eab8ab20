import Foundation

/// A body joint as Vision's body pose request names it (`VNHumanBodyPoseObservation.JointName`).
///
/// WorkoutCore does not import Vision, so that it builds and is tested on Linux; the app maps
/// each of Vision's joint names onto the case of the same name.
public enum VisionJoint: String, CaseIterable, Sendable {
    case nose, leftEye, rightEye, leftEar, rightEar, neck
    case leftShoulder, rightShoulder, leftElbow, rightElbow, leftWrist, rightWrist
    case root, leftHip, rightHip, leftKnee, rightKnee, leftAnkle, rightAnkle
}

/// A point Vision found: x and y normalised to the image with the origin at the bottom left
/// (Vision's convention), and its confidence in 0...1.
public struct VisionPoint: Equatable, Sendable {
    public var x: Float
    public var y: Float
    public var confidence: Float

    public init(x: Float, y: Float, confidence: Float) {
        self.x = x
        self.y = y
        self.confidence = confidence
    }
}

/// Turns the points Vision found into a pose model's `keypoints` input, in the joint order of the
/// model's metadata (`joints`).
///
/// The model wants x and y in frame heights with the origin at the top left (y pointing down, as
/// BlazePose's keypoints are in training): y is flipped, and x, which Vision gives in frame widths,
/// is multiplied by width / height, so a body keeps its shape whether the phone is held upright or
/// on its side. A joint Vision did not find (absent, or with confidence 0) becomes (0, 0, 0).
/// Vision's neck and root have no counterpart and are left out. The model normalises the rest itself. The rules are checked against tests/vectors/pose.
public struct PoseJoints: Equatable, Sendable {
    /// The model's joint names (metadata.json's `joints`) and the Vision joint each one is.
    public static let visionJoints: [String: VisionJoint] = [
        "nose": .nose, "left_eye": .leftEye, "right_eye": .rightEye, "left_ear": .leftEar, "right_ear": .rightEar,
        "left_shoulder": .leftShoulder, "right_shoulder": .rightShoulder, "left_elbow": .leftElbow,
        "right_elbow": .rightElbow, "left_wrist": .leftWrist, "right_wrist": .rightWrist, "left_hip": .leftHip,
        "right_hip": .rightHip, "left_knee": .leftKnee, "right_knee": .rightKnee, "left_ankle": .leftAnkle,
        "right_ankle": .rightAnkle,
    ]

    /// The Vision joint of each of the model's joints, in the model's order.
    public let joints: [VisionJoint]

    /// Every name must be one of the model joints Vision knows; metadata.json's `joints` are.
    public init(jointNames: [String]) throws {
        joints = try jointNames.map { name in
            guard let joint = Self.visionJoints[name] else { throw PoseJointsError.unknownJoint(name) }
            return joint
        }
    }

    /// Values per frame: three per joint.
    public var count: Int { joints.count * 3 }

    /// The model's input for one frame of `width` × `height` pixels (as Vision saw it, upright): x, y
    /// (frame heights, top-left origin), confidence per joint, row after row.
    public func keypoints(from points: [VisionJoint: VisionPoint], width: Int, height: Int) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        let aspect = Float(width) / Float(max(height, 1))
        for (index, joint) in joints.enumerated() {
            guard let point = points[joint], point.confidence > 0 else { continue }
            values[3 * index] = point.x * aspect
            values[3 * index + 1] = 1 - point.y
            values[3 * index + 2] = point.confidence
        }
        return values
    }
}
