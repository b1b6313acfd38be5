/// The `--report` page: one self-contained HTML file (inline CSS and SVG, no scripts or external assets) with
/// the run's parameters, its summary table and charts of throughput, latency and the tree's shape over time.
struct StressReport {
    static let throughputTitle = "Throughput over time"
    static let latencyTitle = "Latency percentiles over time"
    static let filesTitle = "Files per level over time"
    static let bytesTitle = "Bytes per level over time"

    var parameters: [(String, String)]
    /// The latency table, header row first.
    var summary: [[String]]
    var outcome: StressRunner.Outcome

    func html() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>lsm stress report</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; max-width: 900px; }
            table { border-collapse: collapse; margin-bottom: 1em; }
            th, td { border: 1px solid #ccc; padding: 3px 10px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            h2 { margin-top: 1.6em; font-size: 1.2em; }
            </style>
            </head>
            <body>
            <h1>lsm stress report</h1>

            """
        page += "<h2>Parameters</h2>\n<table>\n"
        for (name, value) in parameters {
            page += "<tr><th>\(Self.escape(name))</th><td>\(Self.escape(value))</td></tr>\n"
        }
        page += "</table>\n<h2>Summary</h2>\n"
        let total = outcome.totals.totalCount
        page += "<p>\(StressFormat.count(total)) operations in \(StressFormat.significant(outcome.seconds)) s: "
        page += "\(StressFormat.rate(Double(total) / max(outcome.seconds, 1e-9))) ops/s. "
        page += "Closed, reopened and checked \(StressFormat.count(outcome.keysChecked)) keys "
        page += "(\(StressFormat.count(outcome.keysPresent)) present): every read, scan and key matched.</p>\n<table>\n"
        for (index, row) in summary.enumerated() {
            let cell = index == 0 ? "th" : "td"
            page += "<tr>" + row.map { "<\(cell)>\(Self.escape($0))</\(cell)>" }.joined() + "</tr>\n"
        }
        page += "</table>\n"
        for chart in charts() {
            page += "<h2>\(Self.escape(chart.title))</h2>\n\(chart.svg())\n"
        }
        page += "</body>\n</html>\n"
        return page
    }

    private func charts() -> [StressChart] {
        let samples = outcome.samples
        var throughput = [StressChart.Series(name: "all", points: samples.map { ($0.time, $0.throughput) })]
        for operation in StressOperation.allCases where outcome.totals.count(operation) > 0 {
            throughput.append(.init(name: operation.name, points: samples.map { ($0.time, $0.throughput(operation)) }))
        }
        let timed = samples.filter { $0.latency.count > 0 }
        let latency = StressPercentiles.labels.indices.map { index in
            StressChart.Series(
                name: StressPercentiles.labels[index],
                points: timed.map { ($0.time, Double($0.latency.values[index]) / 1000) })
        }
        let shaped = samples.compactMap { sample in sample.statistics.map { (sample.time, $0) } }
        let levelCount = shaped.map(\.1.levelFileCounts.count).max() ?? 0
        let deepest =
            (0..<levelCount).last { level in
                shaped.contains { level < $0.1.levelFileCounts.count && $0.1.levelFileCounts[level] > 0 }
            } ?? 0
        let levels = shaped.isEmpty ? [] : Array(0...deepest)
        let files = levels.map { level in
            StressChart.Series(
                name: "L\(level)",
                points: shaped.map {
                    ($0.0, Double(level < $0.1.levelFileCounts.count ? $0.1.levelFileCounts[level] : 0))
                })
        }
        let bytes = levels.map { level in
            StressChart.Series(
                name: "L\(level)",
                points: shaped.map { ($0.0, Double(level < $0.1.levelBytes.count ? $0.1.levelBytes[level] : 0)) })
        }
        return [
            StressChart(title: Self.throughputTitle, unit: "operations per second", series: throughput) {
                StressFormat.rate($0)
            },
            StressChart(title: Self.latencyTitle, unit: "latency (log scale)", logarithmic: true, series: latency) {
                StressFormat.latency(UInt64($0 * 1000))
            },
            StressChart(title: Self.filesTitle, unit: "table files", series: files) { StressFormat.rate($0) },
            StressChart(title: Self.bytesTitle, unit: "bytes in tables", binaryUnits: true, series: bytes) {
                StressFormat.bytes(UInt64($0))
            },
        ]
    }

    /// `text` safe inside HTML and SVG text and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
