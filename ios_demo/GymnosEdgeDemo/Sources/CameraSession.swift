import AVFoundation
import WorkoutCore

/// Streams the front camera, classifies one frame per interval and reports each result.
///
/// Confinement instead of locks: the throttle is only touched on `videoQueue`,
/// the classifier only on `inferenceQueue`, the capture session only on
/// `sessionQueue`. Classification runs off the video queue, so frames that
/// arrive meanwhile are dropped by the throttle rather than queued.
final class CameraSession: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    let session = AVCaptureSession()
    /// Results and resets, in order; read by one consumer.
    let events: AsyncStream<CameraEvent>

    private let output = AVCaptureVideoDataOutput()
    private let sessionQueue = DispatchQueue(label: "gymnos-edge.camera.session")
    private let videoQueue = DispatchQueue(label: "gymnos-edge.camera.video")
    private let inferenceQueue = DispatchQueue(label: "gymnos-edge.inference")
    private let continuation: AsyncStream<CameraEvent>.Continuation
    private let classifier: FrameClassifier
    private var throttle: FrameThrottle

    static func frontCamera() -> AVCaptureDevice? {
        AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .front)
    }

    /// Asks for camera access when it was never asked; false when denied or restricted.
    static func requestAccess() async -> Bool {
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized:
            return true
        case .notDetermined:
            return await AVCaptureDevice.requestAccess(for: .video)
        default:
            return false
        }
    }

    init(device: AVCaptureDevice, classifier: FrameClassifier, interval: TimeInterval) throws {
        self.classifier = classifier
        throttle = FrameThrottle(interval: interval)
        var continuation: AsyncStream<CameraEvent>.Continuation?
        events = AsyncStream(bufferingPolicy: .unbounded) { continuation = $0 }
        self.continuation = continuation!
        super.init()
        try configure(device: device)
    }

    deinit {
        continuation.finish()
    }

    func start() {
        sessionQueue.async { [session] in
            if !session.isRunning { session.startRunning() }
        }
    }

    func stop() {
        sessionQueue.async { [session] in
            if session.isRunning { session.stopRunning() }
        }
    }

    /// Puts the model's state back to the initial one, after the frame in flight if any.
    func resetState(newWorkout: Bool) {
        inferenceQueue.async { [self] in
            classifier.reset()
            continuation.yield(.stateReset(newWorkout: newWorkout))
        }
    }

    private func configure(device: AVCaptureDevice) throws {
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        // The model takes a small square; VGA is plenty and keeps older phones cool.
        if session.canSetSessionPreset(.vga640x480) {
            session.sessionPreset = .vga640x480
        }
        let input = try AVCaptureDeviceInput(device: device)
        guard session.canAddInput(input) else { throw CameraError.cannotAddInput }
        session.addInput(input)

        output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_32BGRA]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: videoQueue)
        guard session.canAddOutput(output) else { throw CameraError.cannotAddOutput }
        session.addOutput(output)
        guard let connection = output.connection(with: .video) else { throw CameraError.noVideoConnection }
        Self.makeUprightAndUnmirrored(connection)
    }

    /// The only place orientation is handled: buffers arrive upright and NOT mirrored, as
    /// a saved video shows the scene (metadata.json's `mirrored: false`, the frames the model
    /// was trained on), and the classifier passes them to Vision as `.up`. Only the preview
    /// layer, on its own connection, mirrors the picture like a selfie view.
    private static func makeUprightAndUnmirrored(_ connection: AVCaptureConnection) {
        if #available(iOS 17.0, *) {
            if connection.isVideoRotationAngleSupported(90) {
                connection.videoRotationAngle = 90
            }
        } else if connection.isVideoOrientationSupported {
            connection.videoOrientation = .portrait
        }
        if connection.isVideoMirroringSupported {
            connection.automaticallyAdjustsVideoMirroring = false
            connection.isVideoMirrored = false
        }
    }

    func captureOutput(
        _ output: AVCaptureOutput,
        didOutput sampleBuffer: CMSampleBuffer,
        from connection: AVCaptureConnection
    ) {
        let timestamp = CMSampleBufferGetPresentationTimeStamp(sampleBuffer).seconds
        guard timestamp.isFinite, throttle.begin(at: timestamp) == .accept else { return }
        guard let pixelBuffer = CMSampleBufferGetImageBuffer(sampleBuffer) else {
            throttle.finish()
            return
        }
        inferenceQueue.async { [self] in
            let result = Result { try classifier.classify(pixelBuffer) }
                .map { ClassifiedFrame(timestamp: timestamp, nextState: $0) }
            continuation.yield(.frame(result))
            videoQueue.async { [self] in throttle.finish() }
        }
    }
}
