/// The database files in a directory, by kind.
struct DirectoryListing {
    var tables: Set<UInt64> = []
    /// Write-ahead logs, by ascending number.
    var logs: [UInt64] = []
    var manifests: [UInt64] = []
    var temporaries: [String] = []

    init(_ names: [String]) {
        for name in names {
            switch FileNames.parse(name) {
            case .table(let number): tables.insert(number)
            case .wal(let number): logs.append(number)
            case .manifest(let number): manifests.append(number)
            case .temporary: temporaries.append(name)
            case .current, .lock, nil: break
            }
        }
        logs.sort()
    }

    /// Every file number in use.
    var numbers: [UInt64] { Array(tables) + logs + manifests }
}
