import SwiftUI

struct ContentView: View {
    @ObservedObject var model: AppModel

    var body: some View {
        switch model.phase {
        case .starting:
            ProgressView("Loading the model…")
        case .modelProblem(let message):
            MessageView(
                systemImage: "exclamationmark.triangle",
                title: "The workout model cannot be used",
                message: message
            )
        case .permissionDenied:
            PermissionView { model.openSettings() }
        case .noCamera:
            MessageView(
                systemImage: "video.slash",
                title: "No camera available",
                message: "This device has no front camera. Run Gymnos Edge on an iPhone; the simulator has no camera."
            )
        case .cameraProblem(let message):
            MessageView(systemImage: "video.slash", title: "The camera cannot start", message: message)
        case .running:
            WorkoutView(model: model)
        }
    }
}
