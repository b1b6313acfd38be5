import Testing
@testable import LSM

/// Every option documents its default, the documentation agrees with the code, and values outside each
/// documented range are refused.
@Suite struct OptionsTests {
    /// Options.swift, read through this file's path.
    private func optionsSource() throws -> String {
        let root = #filePath.split(separator: "/Tests/LSMTests/", maxSplits: 1)[0]
        let bytes = try PosixFileSystem().readWholeFile(root + "/Sources/LSM/DB/Options.swift")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Each stored setting of `Options` with the default its doc comment states ("The default is X.").
    private func documentedDefaults() throws -> [String: String] {
        let lines = try optionsSource().split(separator: "\n", omittingEmptySubsequences: false)
        var result: [String: String] = [:]
        var comment = ""
        for line in lines.map({ $0.trimmingPrefix(while: { $0 == " " }) }) {
            if line.hasPrefix("///") {
                comment += line.dropFirst(3) + " "
            } else if line.hasPrefix("public var "), line.contains(" = ") {
                let name = String(line.dropFirst("public var ".count).prefix(while: { $0 != ":" }))
                let stated = comment.split(separator: "The default is ", maxSplits: 1).dropFirst().first
                result[name] = stated.map { String($0.prefix(while: { $0 != "." && $0 != ":" })) } ?? "(none)"
                comment = ""
            } else {
                comment = ""
            }
        }
        return result
    }

    /// A documented default as the value it names: "4 MiB" as 4194304, "``SyncPolicy/perWrite``" as "perWrite".
    private func value(of stated: String) -> String {
        let words = stated.split(separator: " ")
        let units = ["KiB": 10, "MiB": 20, "GiB": 30]
        if words.count == 2, let number = Int(words[0]), let shift = units[String(words[1])] {
            return String(number << shift)
        }
        if stated.hasPrefix("``") { return String(stated.split(separator: "/").last!.dropLast(2)) }
        return stated.filter { $0 != "," }
    }

    @Test func everyDefaultIsDocumentedAndTrue() throws {
        let documented = try documentedDefaults()
        let actual = Mirror(reflecting: Options()).children.map { (String($0.label!), String(describing: $0.value)) }
        #expect(actual.count == 19)
        #expect(Set(documented.keys) == Set(actual.map(\.0)))
        for (name, value) in actual {
            #expect(documented[name].map(self.value(of:)) == value, "\(name): documented \(documented[name] ?? "-")")
        }
    }

    @Test func theDefaultsAreValid() throws {
        try Options().validate()
    }

    /// The default options with one setting changed.
    private func options(_ path: WritableKeyPath<Options, Int>, _ value: Int) -> Options {
        var options = Options()
        options[keyPath: path] = value
        return options
    }

    @Test func eachRangeIsEnforcedAtBothEnds() throws {
        let ranges: [(String, WritableKeyPath<Options, Int>, ClosedRange<Int>)] = [
            ("memtableSize", \.memtableSize, 1...(1 << 30)),
            ("blockSize", \.blockSize, 64...(64 << 20)),
            ("bloomBitsPerKey", \.bloomBitsPerKey, 0...64),
            ("blockCacheBytes", \.blockCacheBytes, 0...(1 << 40)),
            ("maxOpenTables", \.maxOpenTables, 16...(1 << 20)),
            ("maxImmutableMemtables", \.maxImmutableMemtables, 1...64),
            ("level1MaxBytes", \.level1MaxBytes, 1...(1 << 40)),
            ("levelSizeMultiplier", \.levelSizeMultiplier, 2...100),
            ("targetFileSize", \.targetFileSize, 1...(1 << 32)),
        ]
        for (name, path, range) in ranges {
            for accepted in [range.lowerBound, range.upperBound] {
                try options(path, accepted).validate()
            }
            for refused in [range.lowerBound - 1, range.upperBound + 1, Int.min, Int.max] {
                let error = #expect(throws: LSMError.self, "\(name) = \(refused)") {
                    try options(path, refused).validate()
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.hasPrefix("\(name) must be in \(range)") == true)
            }
        }
    }

    @Test func levelZeroTriggersAreBoundedAndOrdered() throws {
        func triggers(_ compaction: Int, _ slowdown: Int, _ stop: Int) -> Options {
            var options = Options()
            options.level0CompactionTrigger = compaction
            options.level0SlowdownTrigger = slowdown
            options.level0StopTrigger = stop
            return options
        }
        try triggers(1, 1, 1).validate()
        try triggers(1000, 1000, 1000).validate()
        for refused in [triggers(0, 8, 12), triggers(4, 8, 1001), triggers(5, 4, 12), triggers(4, 13, 12)] {
            let error = #expect(throws: LSMError.self) { try refused.validate() }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func openRefusesOptionsOutOfRange() throws {
        let dir = TemporaryDirectory("options-range")
        defer { dir.remove() }
        var options = Options()
        options.levelSizeMultiplier = 1000
        var refused = false
        do {
            _ = try Database.open(dir.path, options: options)
        } catch LSMError.invalidArgument {
            refused = true
        } catch {
            Issue.record("the open failed with \(error)")
        }
        #expect(refused)
        #expect(try PosixFileSystem().listDirectory(dir.path).isEmpty)
    }
}
