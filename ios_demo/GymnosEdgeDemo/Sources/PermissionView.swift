import SwiftUI

/// Shown when camera access was denied: why the app needs it and a way to Settings.
struct PermissionView: View {
    let openSettings: () -> Void

    var body: some View {
        VStack(spacing: 20) {
            Image(systemName: "camera.fill")
                .font(.system(size: 48))
                .foregroundColor(.accentColor)
            Text("Camera access is off")
                .font(.title2.bold())
            Text(
                "Gymnos Edge watches you through the front camera to tell squats from overhead presses "
                    + "and to time your sets. Frames are classified on this iPhone and never leave it."
            )
            .multilineTextAlignment(.center)
            .foregroundColor(.secondary)
            Text("Turn on Camera for Gymnos Edge in Settings, then come back.")
                .multilineTextAlignment(.center)
                .foregroundColor(.secondary)
            Button(action: openSettings) {
                Label("Open Settings", systemImage: "gear")
                    .frame(maxWidth: .infinity)
            }
            .buttonStyle(.borderedProminent)
            .controlSize(.large)
        }
        .padding(32)
    }
}
