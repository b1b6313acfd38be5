// swift-tools-version: 6.3
// Micro-benchmarks of swift-lsm's hot paths, with ordo-one/benchmark. A package of its own so that the library
// never depends on the benchmark harness: `cd Benchmarks && swift package --disable-sandbox benchmark`.
import PackageDescription

let package = Package(
    name: "swift-lsm-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so that the product reference below does not depend on the name of the checkout's folder.
        .package(name: "swift-lsm", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "LSMBenchmarks",
            dependencies: [
                .product(name: "LSM", package: "swift-lsm"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/LSMBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
