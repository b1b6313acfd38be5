#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A line chart drawn as inline SVG, for the stress report: time on the x axis, one line per series, a linear
/// or logarithmic y axis with labelled grid lines, and a legend. No scripts or external assets.
struct StressChart {
    /// One line of the chart.
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    /// What the y axis measures, printed beside it.
    var unit: String
    var logarithmic = false
    /// Whether grid lines fall on round numbers of KiB, MiB or GiB rather than of powers of ten.
    var binaryUnits = false
    var series: [Series]
    /// How y values are printed at the grid lines.
    var format: (Double) -> String

    private static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    ]
    private static let width = 820.0
    private static let height = 320.0
    private static let left = 80.0
    private static let right = 20.0
    private static let top = 40.0
    private static let bottom = 40.0

    /// The chart as an `<svg>` element.
    func svg() -> String {
        let plotted = series.map { line in
            Series(name: line.name, points: line.points.filter { $0.y.isFinite && (!logarithmic || $0.y > 0) })
        }
        let all = plotted.flatMap(\.points)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" "
        svg += "width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" role=\"img\" font-family=\"sans-serif\">"
        svg += "<title>\(StressReport.escape(title))</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        guard !all.isEmpty else {
            svg += Self.text("no samples", x: Self.width / 2, y: Self.height / 2, anchor: "middle", size: 14)
            return svg + "</svg>"
        }
        let xMax = Self.linearTicks(max(all.map(\.x).max() ?? 1, 1e-3)).last ?? 1
        let yMax = all.map(\.y).max() ?? 0
        var scale = 1.0
        while binaryUnits && scale * 1024 <= yMax { scale *= 1024 }
        let yTicks = logarithmic ? Self.logTicks(all.map(\.y)) : Self.linearTicks(yMax / scale).map { $0 * scale }
        let yLow = yTicks.first ?? 0
        let yHigh = yTicks.last ?? 1
        let right = Self.width - Self.right
        let baseline = Self.height - Self.bottom
        func px(_ x: Double) -> Double { Self.left + x / xMax * (right - Self.left) }
        func py(_ y: Double) -> Double {
            let fraction =
                logarithmic ? (log10(y) - log10(yLow)) / (log10(yHigh) - log10(yLow)) : (y - yLow) / (yHigh - yLow)
            return Self.top + (baseline - Self.top) * (1 - min(max(fraction, 0), 1))
        }

        for tick in yTicks {
            svg += Self.line(from: (Self.left, py(tick)), to: (right, py(tick)), color: "#e3e3e3")
            svg += Self.text(format(tick), x: Self.left - 6, y: py(tick) + 4, anchor: "end", size: 11)
        }
        for tick in Self.linearTicks(xMax) {
            svg += Self.line(from: (px(tick), baseline), to: (px(tick), baseline + 4), color: "#444")
            let label = tick == tick.rounded() ? String(Int(tick)) : StressFormat.significant(tick)
            svg += Self.text(label, x: px(tick), y: baseline + 16, anchor: "middle", size: 11)
        }
        svg += Self.line(from: (Self.left, Self.top), to: (Self.left, baseline), color: "#444")
        svg += Self.line(from: (Self.left, baseline), to: (right, baseline), color: "#444")
        svg += Self.text("seconds", x: (Self.left + right) / 2, y: Self.height - 6, anchor: "middle", size: 12)
        let middle = DecimalText.fixed((Self.top + baseline) / 2, 1)
        svg += "<g transform=\"translate(14 \(middle)) rotate(-90)\">"
        svg += Self.text(unit, x: 0, y: 0, anchor: "middle", size: 12) + "</g>"

        var legendX = Self.left
        for (index, line) in plotted.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            if !line.points.isEmpty {
                let coordinates = line.points.map { "\(Self.coordinate(px($0.x))),\(Self.coordinate(py($0.y)))" }
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" "
                svg += "points=\"\(coordinates.joined(separator: " "))\"/>"
                // Dots make sparse samples visible; on long runs they would only clutter the line.
                if line.points.count <= 60 {
                    for point in line.points {
                        svg += "<circle cx=\"\(Self.coordinate(px(point.x)))\" cy=\"\(Self.coordinate(py(point.y)))\" "
                        svg += "r=\"2.5\" fill=\"\(color)\"/>"
                    }
                }
            }
            svg += "<rect x=\"\(Self.coordinate(legendX))\" y=\"14\" width=\"12\" height=\"12\" fill=\"\(color)\"/>"
            svg += Self.text(line.name, x: legendX + 16, y: 24, anchor: "start", size: 12)
            legendX += 28 + Double(line.name.count) * 7
        }
        return svg + "</svg>"
    }

    /// An SVG line.
    private static func line(from start: (Double, Double), to end: (Double, Double), color: String) -> String {
        "<line x1=\"\(coordinate(start.0))\" y1=\"\(coordinate(start.1))\" x2=\"\(coordinate(end.0))\" "
            + "y2=\"\(coordinate(end.1))\" stroke=\"\(color)\"/>"
    }

    /// An SVG text label, escaped.
    private static func text(_ content: String, x: Double, y: Double, anchor: String, size: Int) -> String {
        "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" "
            + "fill=\"#333\">\(StressReport.escape(content))</text>"
    }

    /// A coordinate with one decimal, short enough to keep long runs' charts small.
    private static func coordinate(_ value: Double) -> String { DecimalText.fixed(value, 1) }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    private static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2, 5, 10] where step * power >= value * (1 - 1e-9) { return step * power }
        return 10 * power
    }

    /// About five evenly spaced round values from 0 to at least `maximum`.
    private static func linearTicks(_ maximum: Double) -> [Double] {
        let step = niceCeiling(max(maximum, 1e-9) / 5)
        let count = Int((max(maximum, step) / step).rounded(.up))
        return (0...count).map { Double($0) * step }
    }

    /// The powers of ten spanning the positive `values`.
    private static func logTicks(_ values: [Double]) -> [Double] {
        let positive = values.filter { $0 > 0 }
        let low = Int(floor(log10(positive.min() ?? 1)))
        var high = Int(ceil(log10(positive.max() ?? 10)))
        if high <= low { high = low + 1 }
        return (low...high).map { pow(10, Double($0)) }
    }
}
