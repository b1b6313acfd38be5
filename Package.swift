// swift-tools-version:6.2
import Foundation
import PackageDescription

let package = Package(
    name: "swift-lsm",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LSM", targets: ["LSM"]),
        .library(name: "LSMFoundation", targets: ["LSMFoundation"]),
        .library(name: "LSMServer", targets: ["LSMServer"]),
        .executable(name: "lsm", targets: ["lsm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // CRC32C (SSE4.2 instruction with a table fallback) and the acquire/release atomics the skiplist needs
        // on arena memory.
        .target(name: "CLSMSupport"),
        .target(
            name: "LSM",
            dependencies: [
                "CLSMSupport",
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // Foundation's `Data` as keys and values: kept out of `LSM`, which does not depend on Foundation.
        .target(name: "LSMFoundation", dependencies: ["LSM"]),
        // The Redis-protocol server (`lsm serve`): SwiftNIO stays out of `LSM`.
        .target(
            name: "LSMServer",
            dependencies: [
                "LSM",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The tools behind the `lsm` command, as a library so tests can run them in-process.
        .target(
            name: "LSMTools",
            dependencies: [
                "LSM",
                "LSMServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(name: "lsm", dependencies: ["LSMTools"]),
        // Fuzzing: the entry points (replayed over Fuzz/corpus by the tests), and `lsm-fuzz`, which
        // scripts/fuzz.sh builds against libFuzzer; CLSMFuzzer declares libFuzzer's driver.
        .target(
            name: "LSMFuzzTargets",
            dependencies: ["LSM", "LSMTools", "LSMServer", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(name: "CLSMFuzzer"),
        .executableTarget(name: "lsm-fuzz", dependencies: ["LSM", "LSMFuzzTargets", "CLSMFuzzer"]),
        // Fixtures/ holds databases of earlier format versions, read through #filePath.
        .testTarget(name: "LSMTests", dependencies: ["LSM", "LSMTools"], exclude: ["Fixtures"]),
        .testTarget(name: "LSMFoundationTests", dependencies: ["LSMFoundation", "LSM"]),
        // Serve/Python holds the redis-py script that the client tests run.
        .testTarget(
            name: "LSMToolsTests", dependencies: ["LSMTools", "LSM", "LSMFuzzTargets"], exclude: ["Serve/Python"]
        ),
        .testTarget(
            name: "LSMServerTests",
            dependencies: [
                "LSMServer",
                "LSM",
                "LSMFuzzTargets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The documentation plugin, for `LSM_DOCS=1 swift package generate-documentation --target LSM`. It is added only
// when LSM_DOCS is set, so that building, testing and depending on this package never fetch it.
if ProcessInfo.processInfo.environment["LSM_DOCS"] != nil {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
