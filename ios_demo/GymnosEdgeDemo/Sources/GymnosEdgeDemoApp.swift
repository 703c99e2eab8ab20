import SwiftUI

@main
struct GymnosEdgeDemoApp: App {
    @StateObject private var model = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            ContentView(model: model)
                .task { await model.start() }
                .onChange(of: scenePhase) { phase in
                    model.sceneBecame(active: phase == .active)
                }
        }
    }
}
