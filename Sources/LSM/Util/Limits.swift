/// The size limits the library enforces on what it is given.
public enum Limits {
    /// Longest key accepted, in bytes.
    public static let maxKeySize = 65_536
    /// Longest value accepted, in bytes.
    public static let maxValueSize = 64 << 20
    /// Largest encoded write batch accepted, in bytes.
    public static let maxBatchSize = 1 << 30
}
