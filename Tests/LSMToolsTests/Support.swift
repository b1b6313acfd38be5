import ArgumentParser
import Foundation
import LSM
import Testing
@testable import LSMTools

/// What a tool printed and its exit status.
struct ToolRun {
    var out: String
    var err: String
    var status: Int32

    /// Runs `body` with capturing sinks.
    init(_ body: (OutputSink, OutputSink) -> Int32) {
        let out = OutputSink.capturing()
        let err = OutputSink.capturing()
        status = body(out, err)
        self.out = out.text
        self.err = err.text
    }
}

/// A fresh directory under /tmp for one test of the inspection commands, and file helpers to make and damage files.
struct InspectionScratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("swift-lsm-inspect-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Changes one bit pattern of the byte at `offset`.
    static func flip(_ path: String, at offset: Int) throws {
        var bytes = try read(path)
        bytes[offset] ^= 0x5A
        try write(bytes, to: path)
    }
}
