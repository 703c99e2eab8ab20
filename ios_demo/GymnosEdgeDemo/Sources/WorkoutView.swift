import SwiftUI

/// Portrait layout: camera with the live label on top, set list below.
struct WorkoutView: View {
    @ObservedObject var model: AppModel

    var body: some View {
        VStack(spacing: 0) {
            ZStack(alignment: .bottom) {
                if let session = model.camera?.session {
                    CameraPreview(session: session)
                }
                LiveLabelView(live: model.live, current: model.segments.last, frameError: model.frameError)
                    .padding(12)
            }
            .frame(maxWidth: .infinity, maxHeight: .infinity)
            .background(Color.black)
            .clipped()
            .ignoresSafeArea(.container, edges: .top)

            SetListView(segments: model.segments) { model.resetWorkout() }
                .frame(height: 280)
        }
    }
}
