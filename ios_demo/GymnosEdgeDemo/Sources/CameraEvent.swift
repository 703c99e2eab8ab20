/// What the camera pipeline reports, in the order it happened.
enum CameraEvent {
    case frame(Result<ClassifiedFrame, Error>)
    /// The model's state went back to the initial one, for a new workout or
    /// because frames stopped for a while and its smoothing is stale.
    case stateReset(newWorkout: Bool)
}
