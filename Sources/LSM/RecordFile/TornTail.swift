/// Why reading stopped before the end of the file without it being an error: the last record was cut short or
/// damaged by a crash while it was being written, so it was never acknowledged and can be dropped.
struct TornTail: Equatable {
    /// Where the torn record starts; everything before it is intact.
    var offset: UInt64
    var reason: String
}
