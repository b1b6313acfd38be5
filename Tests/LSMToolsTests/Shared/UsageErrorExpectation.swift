import Testing

/// Expects `run` to be a usage error of the tool `name` (as in `lsm name`) that the test pins down only by a
/// fragment of its message: exit status 2, nothing on standard output, and one line on standard error that names
/// the tool and contains `fragment`.
func expectUsageError(
    _ run: ToolRun, of name: String, containing fragment: String, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(run.status == 2, comment, sourceLocation: sourceLocation)
    #expect(run.out.isEmpty, comment, sourceLocation: sourceLocation)
    #expect(run.err.hasPrefix("lsm \(name): "), comment, sourceLocation: sourceLocation)
    #expect(run.err.contains(fragment), "\(comment.map { "\($0): " } ?? "")\(run.err)", sourceLocation: sourceLocation)
    #expect(run.err.split(separator: "\n").count == 1, comment, sourceLocation: sourceLocation)
}
