import Foundation

/// One camera frame after the model: its presentation time and the graph's `next_state`.
struct ClassifiedFrame {
    var timestamp: TimeInterval
    var nextState: [Float]
}
