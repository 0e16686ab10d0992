import Foundation
import Testing
@testable import QuorumJournal
#if canImport(Glibc)
import Glibc
#endif

/// Disk full, I/O errors and a vanished directory: the error surfaces (the failure state
/// and the owner's callback), the durable sequence stops, appends are refused, and every
/// record at or below the durable sequence is on disk.
@Suite("Writer failures", .serialized)
struct FailureTests {
    final class Box: @unchecked Sendable {
        var errors: [JournalError] = []
        let lock = NSLock()
        func add(_ e: JournalError) { lock.lock(); errors.append(e); lock.unlock() }
        var all: [JournalError] { lock.lock(); defer { lock.unlock() }; return errors }
    }

    /// Appends demo records until the writer fails (or `limit`), with the loop on its thread.
    static func appendUntilFailure(_ writer: JournalWriter, limit: Int = 2_000_000, timeoutNs: UInt64 = 20_000_000_000) -> Int {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 200, alignment: 8)
        defer { buffer.deallocate() }
        let deadline = DispatchTime.now().uptimeNanoseconds + timeoutNs
        var appended = 0
        while appended < limit && writer.failure == nil && DispatchTime.now().uptimeNanoseconds < deadline {
            let seq = writer.nextSequence
            let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<JournalDemo.payloadLength(for: seq)])
            JournalDemo.fillPayload(view, sequence: seq)
            if writer.append(.demo, version: 2, timestampNs: seq, payload: UnsafeRawBufferPointer(view)) != nil {
                appended += 1
            } else {
                sched_yield()
            }
        }
        return appended
    }

    /// After a failure: durable does not move, appends are refused, and what was durable reads back.
    static func checkStopped(_ writer: JournalWriter, _ dir: String, readBack: Bool = true) throws {
        let durable = writer.durableSequence
        usleep(50_000)
        #expect(writer.durableSequence == durable)
        var one = UInt64(1)
        #expect(withUnsafeBytes(of: &one) { writer.append(.demo, timestampNs: 1, payload: $0) } == nil)
        #expect(writer.nextSequence > durable)  // records appended but never written are not lost silently:
        #expect(writer.writtenSequence <= writer.nextSequence - 1)  // they are the ones above `durable`
        if readBack {
            let all = try readAll(dir)
            #expect(all.report.damage == nil)
            #expect((all.report.lastSequence ?? 0) >= durable)
            #expect(all.sequences.prefix(Int(durable)) == ArraySlice(1...max(durable, 1)).prefix(Int(durable)))
            #expect(all.allIntact)
        }
    }

    @Test("disk full on a 1 MiB tmpfs: ENOSPC surfaces, durable stops, owner told")
    func diskFull() throws {
        let dir = TempDirectory("qj-full")
        defer { dir.remove() }
        guard mount("tmpfs", dir.path, "tmpfs", 0, "size=1m") == 0 else {
            Issue.record("mount -t tmpfs failed (errno \(errno)); this test needs root and mount permission")
            return
        }
        defer { umount2(dir.path, 0) }
        var options = JournalWriterOptions(fsync: .group, segmentSize: 192 << 10, ringCapacity: 1 << 16)
        options.batchCapacity = 1 << 14
        options.maxPayload = 4096
        let writer = try JournalWriter(directory: dir.path, options: options)
        let box = Box()
        writer.loop.onFailure = { box.add($0) }
        let runner = JournalLoopThread(loop: writer.loop)
        runner.start()
        _ = Self.appendUntilFailure(writer)
        runner.stop()
        let failure = try #require(writer.failure)
        guard case .io(let op, let path, _, let errno) = failure else { Issue.record("\(failure)"); return }
        #expect(errno == .noSpace)
        #expect(op == "fallocate" || op == "pwrite" || op == "create")
        #expect(path.hasPrefix(dir.path))
        #expect(box.all == [failure])
        #expect(writer.durableSequence > 1000)
        try Self.checkStopped(writer, dir.path)
    }

    @Test("an I/O error from fdatasync: the error names the file, durable stops")
    func fsyncError() throws {
        let dir = TempDirectory("qj-eio")
        defer { dir.remove() }
        var options = JournalWriterOptions(fsync: .group, segmentSize: 1 << 20, ringCapacity: 1 << 16)
        options.batchCapacity = 1 << 14
        options.maxPayload = 4096
        let writer = try JournalWriter(directory: dir.path, options: options)
        let box = Box()
        writer.loop.onFailure = { box.add($0) }
        let fd = writer.loop._currentSegmentFD!
        let runner = JournalLoopThread(loop: writer.loop)
        runner.start()
        _ = Self.appendUntilFailure(writer, limit: 2000)
        #expect(writer.waitUntilDurable(2000))
        _JournalFaultInjection.fail = { op, target in op == .fdatasync && target == fd ? EIO : nil }
        defer { _JournalFaultInjection.fail = nil }
        _ = Self.appendUntilFailure(writer, limit: 2000)
        runner.stop()
        let failure = try #require(writer.failure)
        #expect(failure == .io(operation: "fdatasync", path: dir.segment(0), offset: nil, errno: .io))
        #expect(box.all.count == 1)
        #expect(writer.durableSequence == 2000)
        #expect(writer.writtenSequence > 2000)
        try Self.checkStopped(writer, dir.path)
    }

    @Test("the journal directory vanishes: the writer reports it and stops")
    func vanishedDirectory() throws {
        let dir = TempDirectory("qj-vanish")
        var options = JournalWriterOptions(fsync: .group, segmentSize: 64 << 10, ringCapacity: 1 << 16)
        options.batchCapacity = 1 << 14
        options.maxPayload = 4096
        options.directoryCheckIntervalNs = 5_000_000
        let writer = try JournalWriter(directory: dir.path, options: options)
        let runner = JournalLoopThread(loop: writer.loop)
        runner.start()
        _ = Self.appendUntilFailure(writer, limit: 100)
        #expect(writer.waitUntilDurable(100))
        dir.remove()
        _ = Self.appendUntilFailure(writer, timeoutNs: 5_000_000_000)
        runner.stop()
        let failure = try #require(writer.failure)
        switch failure {
        case .directoryVanished(let path): #expect(path == dir.path)
        case .io(_, let path, _, let errno): #expect(path.hasPrefix(dir.path) && errno == .noEntry)
        default: Issue.record("unexpected \(failure)")
        }
        try Self.checkStopped(writer, dir.path, readBack: false)
    }
}
