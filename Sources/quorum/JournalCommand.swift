// `quorum journal …`: thin shells over QuorumJournal's JournalTools. Every subcommand
// writes its report to standard output; errors go to standard error with exit status 2,
// a failed verification exits with status 1.

import ArgumentParser
import QuorumJournal

#if canImport(Glibc)
import Glibc
#endif

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Inspect, check, export and recover a Quorum journal.",
        subcommands: [Info.self, Verify.self, Dump.self, Export.self, Tail.self, Recover.self, DemoWrite.self, Bench.self]
    )
}

/// Runs `body`, turning a journal error into a message on stderr and exit status 2.
private func runTool(_ body: () throws(JournalError) -> Void) throws {
    do throws(JournalError) {
        try body()
    } catch {
        let err = JournalFileOutput(fd: 2)
        err.write("quorum journal: \(error)\n")
        err.flush()
        throw ExitCode(2)
    }
}

struct JournalFilterOptions: ParsableArguments {
    @Option(name: .customLong("type"), help: "Only records of this type (name or number; repeatable).")
    var types: [String] = []
    @Option(name: .customLong("from-seq"), help: "First sequence to show.")
    var fromSeq: UInt64?
    @Option(name: .customLong("to-seq"), help: "Last sequence to show.")
    var toSeq: UInt64?
    @Option(name: .customLong("from-time"), help: "Earliest timestamp: ns since 1970 or 2026-11-22T02:10:00[.fraction]Z.")
    var fromTime: String?
    @Option(name: .customLong("to-time"), help: "Latest timestamp (same forms as --from-time).")
    var toTime: String?

    func filter() throws -> JournalRecordFilter {
        var f = JournalRecordFilter()
        if !types.isEmpty {
            var set = Set<JournalRecordType>()
            for t in types {
                guard let type = JournalRecordRegistry.type(named: t) else {
                    let known = JournalRecordRegistry.schemas.map(\.name).joined(separator: ", ")
                    throw ValidationError("unknown record type '\(t)' (known: \(known), or a number)")
                }
                set.insert(type)
            }
            f.types = set
        }
        if let s = fromSeq { f.fromSequence = s }
        if let s = toSeq { f.toSequence = s }
        if let t = fromTime {
            guard let ns = JournalTools.parseTimestamp(t) else { throw ValidationError("cannot read time '\(t)'") }
            f.fromTimeNs = ns
        }
        if let t = toTime {
            guard let ns = JournalTools.parseTimestamp(t) else { throw ValidationError("cannot read time '\(t)'") }
            f.toTimeNs = ns
        }
        return f
    }
}

extension JournalCommand {
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Segments, sequence and time range, record counts by type, size, tail status.")
        @Argument(help: "The journal directory.") var directory: String

        func run() throws {
            let out = JournalFileOutput(fd: 1)
            var o = out
            try runTool { () throws(JournalError) in _ = try JournalTools.info(directory: directory, to: &o) }
            out.flush()
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every CRC and the sequence continuity; with --replayer, replay and check every checkpoint hash.")
        @Argument(help: "The journal directory.") var directory: String
        @Option(help: "Replay through this state machine and check checkpoints (available: demo).")
        var replayer: String?
        @Flag(help: "Start the replay from the newest valid snapshot.")
        var fromSnapshot = false

        func run() throws {
            let out = JournalFileOutput(fd: 1)
            var o = out
            var ok = true
            try runTool { () throws(JournalError) in
                if let name = replayer {
                    guard name == "demo" else {
                        throw JournalError.invalidOptions("unknown replayer '\(name)' (available: demo)")
                    }
                    var r: JournalDemoReplayer? = JournalDemoReplayer()
                    ok = try JournalTools.verify(directory: directory, replayer: &r, useSnapshot: fromSnapshot, to: &o).ok
                } else {
                    ok = try JournalTools.verify(directory: directory, to: &o).ok
                }
            }
            out.flush()
            if !ok { throw ExitCode(1) }
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print records, one line each, with decoded fields.")
        @Argument(help: "The journal directory.") var directory: String
        @OptionGroup var filterOptions: JournalFilterOptions

        func run() throws {
            let filter = try filterOptions.filter()
            let out = JournalFileOutput(fd: 1)
            var o = out
            try runTool { () throws(JournalError) in _ = try JournalTools.dump(directory: directory, filter: filter, to: &o) }
            out.flush()
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One row per record (seq, timestamp_ns, type, version, flags, length, payload hex, fields) as CSV or JSON lines.")
        @Argument(help: "The journal directory.") var directory: String
        @Option(help: "csv or jsonl.") var format: String = "csv"
        @Option(help: "Write to this file instead of standard output.") var out: String?
        @OptionGroup var filterOptions: JournalFilterOptions

        func run() throws {
            guard let fmt = JournalExportFormat(rawValue: format) else {
                throw ValidationError("--format must be csv or jsonl, not '\(format)'")
            }
            let filter = try filterOptions.filter()
            try runTool { () throws(JournalError) in
                let sink = try out.map { (p) throws(JournalError) in try JournalFileOutput(path: p) } ?? JournalFileOutput(fd: 1)
                var o = sink
                let rows = try JournalTools.export(directory: directory, format: fmt, filter: filter, to: &o)
                sink.flush()
                if let path = out {
                    let err = JournalFileOutput(fd: 2)
                    err.write("exported \(rows) records to \(path)\n")
                    err.flush()
                }
            }
        }
    }

    struct Tail: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last records; with -f, follow new ones as they are written.")
        @Argument(help: "The journal directory.") var directory: String
        @Option(name: .short, help: "How many of the last records to print first.") var n: Int = 10
        @Flag(name: .short, help: "Follow: keep printing records as they are appended (Ctrl-C stops).") var f = false
        @OptionGroup var filterOptions: JournalFilterOptions

        func run() throws {
            let filter = try filterOptions.filter()
            let out = JournalFileOutput(fd: 1)
            var o = out
            try runTool { () throws(JournalError) in
                _ = try JournalTools.tail(directory: directory, count: n, follow: f, filter: filter, to: &o)
            }
            out.flush()
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open for writing and close: cut a torn tail; refuse damage elsewhere unless --repair.")
        @Argument(help: "The journal directory.") var directory: String
        @Flag(help: "Cut the journal at damage outside the tail (later segments are renamed *.damaged-<time>).")
        var repair = false

        func run() throws {
            let out = JournalFileOutput(fd: 1)
            var o = out
            try runTool { () throws(JournalError) in _ = try JournalTools.recover(directory: directory, repair: repair, to: &o) }
            out.flush()
        }
    }

    struct DemoWrite: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo-write",
            abstract: "Append sample records (type demo) with checkpoints and snapshots, creating the journal if needed.")
        @Argument(help: "The journal directory.") var directory: String
        @Option(help: "How many demo records to append.") var records: Int = 100_000
        @Option(help: "fsync policy: none, group, or interval:MS.") var policy: String = "group"
        @Option(help: "Segment size in bytes.") var segmentSize: Int = 64 << 20
        @Option(help: "A checkpoint record every N records (0: none).") var checkpointEvery: Int = 10_000
        @Option(help: "A snapshot every N records (0: none).") var snapshotEvery: Int = 0
        @Flag(help: "Open even when damage is found outside the tail, cutting the journal there.") var repair = false

        func run() throws {
            guard let fsync = JournalFsyncPolicy(parsing: policy) else {
                throw ValidationError("--policy must be none, group or interval:MS, not '\(policy)'")
            }
            var options = JournalWriterOptions(fsync: fsync, segmentSize: segmentSize)
            options.repair = repair
            let out = JournalFileOutput(fd: 1)
            try runTool { () throws(JournalError) in
                let start = ContinuousClock.now
                let s = try JournalDemo.write(directory: directory, records: records, options: options,
                                              checkpointEvery: checkpointEvery, snapshotEvery: snapshotEvery)
                let elapsed = ContinuousClock.now - start
                if let t = s.recovery.truncatedTail { out.write("recovered  \(t)\n") }
                if let d = s.recovery.repairedDamage { out.write("repaired   cut at \(d)\n") }
                out.write("wrote      \(s.records) demo records and \(s.checkpoints) checkpoints, sequences \(s.firstSequence) … \(s.lastSequence), policy \(fsync), in \(elapsed)\n")
                if !s.snapshots.isEmpty { out.write("snapshots  \(s.snapshots.count), newest \(s.snapshots.last!)\n") }
                out.flush()
                if let f = s.failure { throw f }
            }
            out.flush()
        }
    }
}

extension JournalCommand {
    /// Throughput figures for tools/baselines/journal-group-commit.sh (not for end users).
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure append-to-durable throughput and replay speed in DIR (which it creates).",
            shouldDisplay: false)
        @Argument(help: "A new journal directory.") var directory: String
        @Option(help: "Records to append.") var records: Int = 100_000
        @Option(help: "Payload bytes per record.") var payload: Int = 4096
        @Option(help: "fsync policy: none, group, or interval:MS.") var policy: String = "group"
        @Option(help: "Segment size in bytes.") var segmentSize: Int = 256 << 20
        @Option(help: "Hand-off ring bytes (a power of two).") var ringSize: Int = 16 << 20
        @Option(help: "Bytes one loop poll writes at most before it syncs.") var maxBytesPerPoll: Int = 16 << 20
        @Flag(help: "Do not start writeback after each write (sync_file_range) under group/interval.") var noEarlyWriteback = false
        @Flag(help: "Also replay the journal and report records/s.") var replay = false

        func run() throws {
            guard let fsync = JournalFsyncPolicy(parsing: policy) else { throw ValidationError("bad --policy '\(policy)'") }
            var options = JournalWriterOptions(fsync: fsync, segmentSize: segmentSize, ringCapacity: ringSize)
            options.maxPayload = max(payload, 64)
            options.maxBytesPerPoll = maxBytesPerPoll
            options.startWritebackEarly = !noEarlyWriteback
            let out = JournalFileOutput(fd: 1)
            try runTool { () throws(JournalError) in
                let w = try JournalBench.write(directory: directory, records: records, payloadSize: payload, options: options)
                out.write("write      records=\(w.records) payload=\(payload) policy=\(fsync) bytes=\(w.journalBytes) seconds=\(w.seconds) syncs=\(w.syncs) MBps=\(w.megabytesPerSecond)\n")
                if replay {
                    let r = try JournalBench.replay(directory: directory)
                    out.write("replay     records=\(r.records) seconds=\(r.seconds) records_per_s=\(r.recordsPerSecond)\n")
                }
            }
            out.flush()
        }
    }
}
