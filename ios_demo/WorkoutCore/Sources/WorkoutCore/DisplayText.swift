import Foundation

/// Text for the screen, kept here so it is tested on every platform.
public enum DisplayText {
    /// "0:07", "1:05", "1:02:03": whole seconds, rounded down.
    public static func duration(_ seconds: TimeInterval) -> String {
        let total = seconds.isFinite ? max(0, Int(seconds.rounded(.down))) : 0
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        if hours > 0 {
            return String(format: "%d:%02d:%02d", hours, minutes, rest)
        }
        return String(format: "%d:%02d", minutes, rest)
    }

    /// "overhead_press" becomes "Overhead press".
    public static func label(_ name: String) -> String {
        let spaced = name.replacingOccurrences(of: "_", with: " ")
        return spaced.prefix(1).uppercased() + spaced.dropFirst()
    }

    /// "87%" for 0.87.
    public static func percent(_ fraction: Double) -> String {
        let clamped = fraction.isFinite ? min(1, max(0, fraction)) : 0
        return "\(Int((clamped * 100).rounded()))%"
    }

    /// "1 rep", "8 reps".
    public static func reps(_ count: Int) -> String {
        count == 1 ? "1 rep" : "\(max(0, count)) reps"
    }

    /// "Squat · 8 reps"; the name alone when no count is known.
    public static func set(_ name: String, reps count: Int?) -> String {
        guard let count else { return label(name) }
        return "\(label(name)) · \(reps(count))"
    }
}
