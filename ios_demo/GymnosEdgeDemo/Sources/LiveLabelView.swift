import SwiftUI
import WorkoutCore

/// The label shown now, the reps of the set in progress, its confidence and how long the set or rest has lasted.
struct LiveLabelView: View {
    let live: LiveLabel?
    /// The run in progress: the set being done, or the rest.
    let current: Segment?
    let frameError: String?

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            HStack(alignment: .firstTextBaseline) {
                Text(title)
                    .font(.largeTitle.bold())
                    .lineLimit(1)
                    .minimumScaleFactor(0.6)
                Spacer()
                if let live, !live.isRest {
                    Text(DisplayText.reps(live.reps))
                        .font(.title2.bold().monospacedDigit())
                }
                if let current {
                    Text(DisplayText.duration(current.duration))
                        .font(.title2.monospacedDigit())
                }
            }
            if let confidence = live?.confidence {
                HStack {
                    ConfidenceBar(value: Double(confidence))
                    Text(DisplayText.percent(Double(confidence)))
                        .font(.callout.monospacedDigit())
                        .frame(width: 48, alignment: .trailing)
                }
            } else {
                Text(live == nil ? "Waiting for the camera…" : "No set in progress")
                    .font(.callout)
                    .foregroundColor(.white.opacity(0.8))
            }
            if let frameError {
                Text(frameError)
                    .font(.footnote)
                    .foregroundColor(.yellow)
            }
        }
        .foregroundColor(.white)
        .padding(16)
        .background(Color.black.opacity(0.55))
        .clipShape(RoundedRectangle(cornerRadius: 16, style: .continuous))
    }

    private var title: String {
        guard let live else { return "…" }
        // At rest (label K) the name is the model's rest label, with or without a trained rest class.
        return DisplayText.label(live.name)
    }
}

private struct ConfidenceBar: View {
    let value: Double

    var body: some View {
        GeometryReader { geometry in
            ZStack(alignment: .leading) {
                Capsule().fill(Color.white.opacity(0.25))
                Capsule()
                    .fill(Color.green)
                    .frame(width: geometry.size.width * CGFloat(min(1, max(0, value))))
            }
        }
        .frame(height: 10)
    }
}
