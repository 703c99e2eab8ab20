import AVFoundation
import Foundation
import UIKit
import WorkoutCore

/// Loads the model, asks for the camera and turns classified frames into the set list.
@MainActor
final class AppModel: ObservableObject {
    enum Phase: Equatable {
        case starting
        /// The bundled model or its metadata cannot be used.
        case modelProblem(String)
        case permissionDenied
        case noCamera
        case cameraProblem(String)
        case running
    }

    @Published private(set) var phase: Phase = .starting
    @Published private(set) var live: LiveLabel?
    /// Sets and rests so far, the one in progress last.
    @Published private(set) var segments: [Segment] = []
    /// The latest frame that could not be classified, shown until the next good one.
    @Published private(set) var frameError: String?

    private(set) var metadata: ModelMetadata?
    private(set) var camera: CameraSession?
    private var tracker: SetTracker?
    private var started = false

    func start() async {
        guard !started else { return }
        started = true

        let metadata: ModelMetadata
        let classifier: FrameClassifier
        do {
            let loaded = try Self.loadClassifier()
            metadata = loaded.metadata
            classifier = loaded.classifier
        } catch {
            phase = .modelProblem(error.localizedDescription)
            return
        }
        self.metadata = metadata
        tracker = SetTracker(metadata: metadata)

        guard let device = CameraSession.frontCamera() else {
            phase = .noCamera
            return
        }
        guard await CameraSession.requestAccess() else {
            phase = .permissionDenied
            return
        }
        do {
            let camera = try CameraSession(device: device, classifier: classifier, interval: metadata.interval)
            self.camera = camera
            Task {
                for await event in camera.events {
                    self.handle(event)
                }
            }
            camera.start()
            UIApplication.shared.isIdleTimerDisabled = true
            phase = .running
        } catch {
            phase = .cameraProblem(error.localizedDescription)
        }
    }

    /// The bundled model and its metadata; metadata.json's `input` picks the image or the pose path.
    private static func loadClassifier() throws -> (metadata: ModelMetadata, classifier: FrameClassifier) {
        let url = Bundle.main.url(forResource: "metadata", withExtension: "json")
        if let url, let data = try? Data(contentsOf: url), PoseModelMetadata.isPose(data) {
            let pose = try PoseModelMetadata.decode(from: data)
            return (pose.tracker, try PoseClassifier(metadata: pose, bundle: .main))
        }
        let metadata = try ModelMetadata.load(from: url)
        return (metadata, try WorkoutClassifier(metadata: metadata, bundle: .main))
    }

    /// The camera stops in the background and resumes in the foreground. The set
    /// list is kept, but the model starts from its initial state again: its
    /// smoothing describes frames from before the pause.
    func sceneBecame(active: Bool) {
        guard let camera else { return }
        if active {
            camera.start()
        } else {
            camera.stop()
            camera.resetState(newWorkout: false)
        }
        UIApplication.shared.isIdleTimerDisabled = active
    }

    /// Clears the set list and the model's state to start a new workout.
    func resetWorkout() {
        camera?.resetState(newWorkout: true)
    }

    func openSettings() {
        if let url = URL(string: UIApplication.openSettingsURLString) {
            UIApplication.shared.open(url)
        }
    }

    private func handle(_ event: CameraEvent) {
        guard var tracker else { return }
        switch event {
        case .stateReset(let newWorkout):
            if newWorkout { tracker.reset() }
            frameError = nil
        case .frame(.success(let frame)):
            do {
                try tracker.consume(timestamp: frame.timestamp, nextState: frame.nextState)
                frameError = nil
            } catch SetTrackerError.timestampNotIncreasing {
                // The camera clock restarted; a new timeline cannot extend the old list.
                tracker.reset()
                try? tracker.consume(timestamp: frame.timestamp, nextState: frame.nextState)
            } catch {
                frameError = String(describing: error)
            }
        case .frame(.failure(let error)):
            frameError = error.localizedDescription
        }
        self.tracker = tracker
        publish()
    }

    private func publish() {
        live = tracker?.current
        segments = tracker?.segments ?? []
    }
}
