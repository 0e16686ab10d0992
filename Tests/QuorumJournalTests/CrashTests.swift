import Foundation
import Testing
@testable import QuorumJournal
#if canImport(Glibc)
import Glibc
#endif

/// A child process appends under group commit and prints each durable sequence; it is
/// killed with SIGKILL at a random moment. After each kill the journal must recover and
/// hold every sequence the child reported durable, intact. Trials share a directory in
/// runs of 10 so recovery of an already-recovered journal is exercised too.
@Suite("Crash safety under SIGKILL")
struct CrashTests {
    struct Trial {
        var reportedDurable: UInt64 = 0
        var tornTail = false
    }

    /// Starts the child; when `waitForOpen`, waits for its `open` line (recovery done) and its
    /// first durable sequence before the random delay — so the trial kills an appending child
    /// however slowly a loaded machine starts it — else the delay runs from the spawn (a kill
    /// during start-up/recovery).
    static func runChild(_ exe: String, dir: String, killAfterUs: UInt32, waitForOpen: Bool) throws -> Trial {
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addopen(&actions, 2, dir + "/child.stderr", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let args = [exe, dir, String(128 << 10), "300"]
        var cargs = args.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, &cargs, environ)
        #expect(rc == 0, "posix_spawn \(exe): \(rc)")
        close(pipeFDs[1])
        var text = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        if waitForOpen {
            while text.lazy.filter({ $0 == UInt8(ascii: "\n") }).count < 2 {
                let n = read(pipeFDs[0], &chunk, chunk.count)
                if n <= 0 { break }
                text.append(contentsOf: chunk[..<n])
            }
        }
        usleep(killAfterUs)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // The child is dead: everything it printed is in the pipe.
        while true {
            let n = read(pipeFDs[0], &chunk, chunk.count)
            if n <= 0 { break }
            text.append(contentsOf: chunk[..<n])
        }
        close(pipeFDs[0])
        var trial = Trial()
        // A line is complete only with its newline; a cut last line is ignored.
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if let v = UInt64(line) { trial.reportedDurable = max(trial.reportedDurable, v) }
        }
        return trial
    }

    @Test("SIGKILL at random moments: recovery succeeds and every reported-durable record is intact")
    func killLoop() throws {
        let exe = builtExecutable("quorum-journal-crashchild")
        try #require(FileManager.default.isExecutableFile(atPath: exe), "build the crash child first: \(exe)")
        let trials = soakEnabled ? 2000 : 200
        var rng = SystemRandomNumberGenerator()
        var dir = TempDirectory("qj-crash")
        var everDurable: UInt64 = 0
        var torn = 0
        var withData = 0
        // Payloads up to here were compared byte for byte in an earlier trial; every trial
        // still checks every CRC and the sequence order of the whole journal.
        var checkedThrough: UInt64 = 0
        for trial in 0..<trials {
            if trial % 10 == 0 {
                dir.remove()
                dir = TempDirectory("qj-crash")
                everDurable = 0
                checkedThrough = 0
            }
            // One trial in ten is killed during start-up or recovery; the rest while appending.
            let duringStart = trial % 10 == 3
            let t = try Self.runChild(exe, dir: dir.path, killAfterUs: UInt32.random(in: duringStart ? 1_000...30_000 : 0...40_000, using: &rng),
                                      waitForOpen: !duringStart)
            everDurable = max(everDurable, t.reportedDurable)
            if t.reportedDurable > 0 { withData += 1 }
            // Read-only check first: damage is never allowed, a torn tail is.
            var seen: UInt64 = 0
            var intact = true
            var inOrder = true
            let report = try JournalReader(directory: dir.path).scan { r in
                seen += 1
                if r.sequence != seen { inOrder = false }
                if r.sequence > checkedThrough && !JournalDemo.isIntact(r, maxLength: 300) { intact = false }
                return true
            }
            #expect(report.damage == nil, "trial \(trial): \(String(describing: report.damage))")
            #expect(intact && inOrder, "trial \(trial)")
            #expect(seen >= everDurable, "trial \(trial): durable \(everDurable) reported, \(seen) on disk")
            if report.tornTail != nil { torn += 1 }
            checkedThrough = min(seen, everDurable)
            // Then recovery proper: opening for writing must succeed and continue after the last intact record.
            if trial % 5 == 4 {
                let writer = try JournalWriter(directory: dir.path, options: JournalWriterOptions(fsync: .group, segmentSize: 128 << 10, ringCapacity: 1 << 16))
                #expect(writer.nextSequence == seen + 1)
            }
            if Double(trial).truncatingRemainder(dividingBy: 50) == 49 {
                print("crash trials \(trial + 1): \(withData) with durable data, \(torn) torn tails, last durable \(everDurable)")
            }
        }
        dir.remove()
        #expect(withData > trials / 2)
    }
}
