import NIOCore

/// A redis.conf-style file (`lsm serve --config FILE`): one setting per line, `name value...`, words split and
/// quoted as Redis splits them, `#` starting a comment line.
extension ServerConfiguration {
    /// Applies every setting of a redis.conf-style file's `text` (`lsm serve --config FILE`); an error names the
    /// line and the setting.
    public mutating func apply(configurationFile text: String) throws(ServerConfigurationError) {
        try ConfigurationFile.apply(text, to: &self)
    }
}

enum ConfigurationFile {
    /// Applies every line of `text` to `configuration`; an error names the line.
    static func apply(_ text: String, to configuration: inout ServerConfiguration) throws(ServerConfigurationError) {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let bytes = Array(trimmed.utf8)
            let words: [ByteBuffer]
            do {
                words = try InlineCommand.split(bytes.span, 0..<bytes.count)
            } catch {
                throw ServerConfigurationError("line \(index + 1): unbalanced quotes")
            }
            guard let first = words.first else { continue }
            let arguments = words.dropFirst().map { String(buffer: $0) }
            do {
                try configuration.apply(directive: String(buffer: first).lowercased(), arguments: Array(arguments))
            } catch {
                throw ServerConfigurationError("line \(index + 1): \(error.message)")
            }
        }
    }
}

extension Substring {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
