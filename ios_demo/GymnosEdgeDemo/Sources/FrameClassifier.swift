import CoreVideo
import WorkoutCore

/// Either kind of exported model as the camera sees it: one upright frame in, the set tracker's
/// state out. metadata.json's `input` decides which one the app builds.
protocol FrameClassifier: AnyObject {
    /// The state `classify` returns is the set tracker's part (K+3 values).
    func classify(_ pixelBuffer: CVPixelBuffer) throws -> [Float]
    /// Starts again from the initial state, as for a new workout.
    func reset()
}

/// The image model: Core ML sees the frame itself, and its whole state is the set tracker's.
extension WorkoutClassifier: FrameClassifier {}
