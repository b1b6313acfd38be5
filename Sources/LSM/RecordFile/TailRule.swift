/// Whether a log may end in a record a crash cut short.
enum TailRule: Sendable {
    /// The newest log of its kind, which was being appended to: its last record may be torn (cut short, or
    /// damaged with nothing but zeros after it). docs/FORMAT.md, "Reading: torn tail or corruption".
    case lastRecordMayBeTorn
    /// A log that was complete and synced before anything newer was written (an older write-ahead log): any
    /// damage, even at its end, is corruption.
    case mustBeWhole
}
