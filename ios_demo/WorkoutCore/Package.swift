// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "WorkoutCore",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "WorkoutCore", targets: ["WorkoutCore"]),
    ],
    targets: [
        .target(name: "WorkoutCore"),
        .testTarget(name: "WorkoutCoreTests", dependencies: ["WorkoutCore"]),
    ]
)
