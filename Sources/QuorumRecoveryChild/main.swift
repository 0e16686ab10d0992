// quorum-recovery-child JOURNAL_DIR FEED_FILE [CHECKPOINT_EVERY] [SEGMENT_BYTES]
//
// The process the recovery crash tests kill: a `RecoveryDrill` over an ITCH day file,
// journaling through a writer whose loop runs on its own thread. On a directory that holds a
// journal it recovers first (`CoordinatorRecovery.recover`) and says what it found; then it
// trades on to the end of the feed. Lines on standard output, written unbuffered:
//   fresh | recovered seq=N inputs=I checkpoints=C open=K market=M hash=H rewrote=0|1 ms=T
//   ready                  (from here on it may be killed)
//   m I                    (update I done; every 32 updates)
//   d S                    (sequence S written to the kernel: survives this process)
//   done hash=H seq=S inputs=I
// Exit status 0 at the end of the feed, 2 on an error (printed to standard error).

import QuorumEngine
import QuorumJournal

#if canImport(Glibc)
import Glibc
#endif

func say(_ s: String, fd: Int32 = 1) {
    var line = s + "\n"
    line.withUTF8 { b in
        var done = 0
        while done < b.count {
            let n = write(fd, b.baseAddress! + done, b.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}

func fail(_ s: String) -> Never {
    say("recovery-child: \(s)", fd: 2)
    exit(2)
}

func readWholeFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    print("usage: quorum-recovery-child JOURNAL_DIR FEED_FILE [CHECKPOINT_EVERY] [SEGMENT_BYTES]")
    exit(64)
}
let directory = args[1]
guard let feed = readWholeFile(args[2]) else { fail("cannot read \(args[2])") }
let checkpointEvery = args.count > 3 ? Int(args[3]) ?? 200 : 200
var options = CoordinatorRecovery.defaultOptions
options.segmentSize = args.count > 4 ? Int(args[4]) ?? (4 << 20) : 4 << 20

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

let opened: JournaledCoordinator
let openStart = monotonicNanos()
do throws(RecoveryError) {
    if CoordinatorRecovery.hasJournal(directory: directory) {
        opened = try CoordinatorRecovery.recover(directory: directory, options: options, sink: { ThreadedJournal(writer: $0) })
    } else {
        var setup = BacktestSetup()
        setup.maxSymbols = 3
        setup.checkpointEvery = checkpointEvery
        setup.sampleNanos = 50_000_000
        setup = feed.withUnsafeBytes { Backtest.chooseSymbols(setup, feed: $0) }
        opened = try CoordinatorRecovery.start(directory: directory, setup: setup, options: options,
                                               sink: { ThreadedJournal(writer: $0) })
    }
} catch {
    fail("\(error)")
}
let openNanos = monotonicNanos() - openStart
let c = opened.coordinator
let writer = opened.writer
if let s = opened.summary {
    say("recovered seq=\(s.sequenceReached) inputs=\(s.inputsReplayed) checkpoints=\(s.checkpointsVerified) "
        + "open=\(s.openOrders.count) market=\(s.lastMarketSequence) hash=\(String(s.stateHash, radix: 16)) "
        + "rewrote=\(s.rewroteCheckpoint ? 1 : 0) ms=\(openNanos / 1_000_000)")
} else {
    say("fresh")
}
let drill = feed.withUnsafeBytes { RecoveryDrill(setup: opened.setup, feed: $0) }
let runner = JournalLoopThread(loop: writer.loop, idleSleepNs: 5_000)
runner.start()
say("ready")
var reported: UInt64 = 0
let step: (Int) -> Void = { i in
    if i % 32 == 0 { say("m \(i)") }
    let written = writer.writtenSequence
    if written > reported {
        reported = written
        say("d \(written)")
    }
}
if let s = opened.summary {
    drill.resume(c, lastMarketSequence: s.lastMarketSequence, afterUpdate: step)
} else {
    drill.run(c, from: 0, afterUpdate: step)
}
c.checkpoint()
guard writer.waitUntilDurable(writer.nextSequence - 1) else { fail("journal: \(writer.failure.map { "\($0)" } ?? "timeout")") }
runner.stop()
if c.counters.journalFailures > 0 { fail("\(c.counters.journalFailures) inputs were not journaled") }
say("d \(writer.writtenSequence)")
say("done hash=\(String(c.stateHash(), radix: 16)) seq=\(c.lastSequence) inputs=\(c.counters.inputs) runaway=\(drill.runawayCloses)")
exit(0)
