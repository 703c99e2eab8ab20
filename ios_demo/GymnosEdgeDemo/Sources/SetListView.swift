import SwiftUI
import WorkoutCore

/// Every set so far with its rep count, duration and mean confidence, and the rests around them; newest first.
///
/// Rows follow `gymnos-edge predict`: every run of the shown label in time order, a set
/// numbered with its confidence, a rest (label K, with or without a trained rest class)
/// under the model's rest label, and nothing but a hint until the first set is shown.
struct SetListView: View {
    let segments: [Segment]
    let onReset: () -> Void

    private struct Row: Identifiable {
        let id: Int
        let segment: Segment
        /// 1 for the first set; `nil` for a rest.
        let setNumber: Int?
        let inProgress: Bool
    }

    private var rows: [Row] {
        guard segments.contains(where: { !$0.isRest }) else { return [] }
        var rows: [Row] = []
        var sets = 0
        for (index, segment) in segments.enumerated() {
            if !segment.isRest {
                sets += 1
            }
            rows.append(Row(
                id: index,
                segment: segment,
                setNumber: segment.isRest ? nil : sets,
                inProgress: index == segments.count - 1
            ))
        }
        return rows.reversed()
    }

    var body: some View {
        VStack(alignment: .leading, spacing: 0) {
            HStack {
                Text("Sets").font(.headline)
                Spacer()
                Button("New workout", action: onReset)
                    .disabled(segments.isEmpty)
            }
            .padding(.horizontal)
            .padding(.vertical, 10)
            Divider()
            if rows.isEmpty {
                Text("Do a set of squats or overhead presses facing the camera; it appears here.")
                    .foregroundColor(.secondary)
                    .padding()
                Spacer()
            } else {
                List(rows) { row in
                    if let number = row.setNumber {
                        setRow(row.segment, number: number, inProgress: row.inProgress)
                    } else {
                        restRow(row.segment, inProgress: row.inProgress)
                    }
                }
                .listStyle(.plain)
            }
        }
    }

    private func setRow(_ segment: Segment, number: Int, inProgress: Bool) -> some View {
        HStack {
            Text("\(number)")
                .font(.headline.monospacedDigit())
                .frame(width: 28, alignment: .leading)
            VStack(alignment: .leading, spacing: 2) {
                // "Squat · 8 reps": the count the set ended with, or the running count while in progress.
                Text(DisplayText.set(segment.label, reps: segment.reps)).font(.headline)
                if inProgress {
                    Text("in progress").font(.caption).foregroundColor(.green)
                }
            }
            Spacer()
            Text(DisplayText.duration(segment.duration)).font(.body.monospacedDigit())
            Text(DisplayText.percent(segment.meanConfidence ?? 0))
                .font(.callout.monospacedDigit())
                .foregroundColor(.secondary)
                .frame(width: 48, alignment: .trailing)
        }
    }

    private func restRow(_ segment: Segment, inProgress: Bool) -> some View {
        HStack {
            Spacer().frame(width: 28)
            VStack(alignment: .leading, spacing: 2) {
                Text(DisplayText.label(segment.label))
                if inProgress {
                    Text("in progress").font(.caption)
                }
            }
            Spacer()
            Text(DisplayText.duration(segment.duration)).monospacedDigit()
            Spacer().frame(width: 48)
        }
        .font(.subheadline)
        .foregroundColor(.secondary)
    }
}
