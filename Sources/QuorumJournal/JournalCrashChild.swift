// The process the crash-safety test kills: it appends demo records under `group` commit
// and prints every new durable sequence on its own line to standard output, unbuffered,
// so whatever the parent read was durable before the child died. The first line,
// `open <next sequence>`, says recovery is done.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum JournalCrashChild {
    /// Runs until killed (or until `records` records are durable, when given).
    /// Exit status 0 after `records`, 2 on a journal error (printed to stderr).
    public static func run(directory: String, segmentSize: Int, maxPayload: Int, records: Int?) -> Int32 {
        var options = JournalWriterOptions(fsync: .group, segmentSize: segmentSize, ringCapacity: 1 << 18)
        options.batchCapacity = 1 << 16
        options.maxPayload = 4096
        let writer: JournalWriter
        do throws(JournalError) {
            writer = try JournalWriter(directory: directory, options: options)
        } catch {
            _writeStderr("crashchild: open failed: \(error)\n")
            return 2
        }
        if let t = writer.recovery.truncatedTail { _writeStderr("crashchild: recovered, \(t)\n") }
        // Tells the parent recovery is done and appends start (it may kill at any time after).
        _writeLine(1, "open \(writer.nextSequence)")
        let runner = JournalLoopThread(loop: writer.loop, idleSleepNs: 5_000)
        runner.start()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maxPayload, alignment: 8)
        var reported = writer.durableSequence
        var appended = 0
        while records.map({ appended < $0 }) ?? true {
            let seq = writer.nextSequence
            let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<JournalDemo.payloadLength(for: seq, maxLength: maxPayload)])
            JournalDemo.fillPayload(view, sequence: seq)
            guard writer.appendWaiting(.demo, version: 2, timestampNs: system_realtimeNanoseconds(),
                                       payload: UnsafeRawBufferPointer(view)) != nil else {
                _writeStderr("crashchild: append failed: \(writer.failure.map { "\($0)" } ?? "?")\n")
                return 2
            }
            appended += 1
            let durable = writer.durableSequence
            if durable > reported {
                reported = durable
                _writeLine(1, "\(durable)")
            }
        }
        _ = writer.waitUntilDurable(writer.nextSequence - 1)
        _writeLine(1, "\(writer.durableSequence)")
        runner.stop()
        return 0
    }
}

func _writeLine(_ fd: Int32, _ s: String) {
    var line = s + "\n"
    line.withUTF8 { b in
        var done = 0
        while done < b.count {
            let n = system_write(fd, b.baseAddress! + done, b.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}
