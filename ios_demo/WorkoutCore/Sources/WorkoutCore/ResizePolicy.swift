/// How a camera frame becomes the model's square input; recorded by the exporter
/// so the phone prepares frames the way training did (gymnos_edge/data/sampler.py).
public enum ResizePolicy: String, Codable, CaseIterable, Sendable {
    /// Stretch the whole frame to the square.
    case squash
    /// Cut the centre square, then resize.
    case crop
    /// Fit the frame inside the square and pad with black.
    case letterbox
}
