// Helpers for the journal tests: temporary directories, writing sample journals, and
// byte-level edits of segment files.

import Foundation
@testable import QuorumJournal
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed by `remove()`.
struct TempDirectory {
    let path: String

    init(_ label: String = "qj") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        path = String(cString: p!)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func segment(_ i: UInt64) -> String { path + "/" + JournalFileNames.segment(i) }
}

/// Whether heavier variants run (set QUORUM_JOURNAL_SOAK=1; `make soak`).
var soakEnabled: Bool { ProcessInfo.processInfo.environment["QUORUM_JOURNAL_SOAK"] == "1" }

/// Writes `count` demo records (payload by JournalDemo, checkpoints off) with policy `none`,
/// driving the loop on the calling thread, and returns the last sequence.
@discardableResult
func writeDemoJournal(_ dir: String, count: Int, segmentSize: Int = 64 << 10, maxPayload: Int = 200,
                      fsync: JournalFsyncPolicy = .none) throws -> UInt64 {
    var options = JournalWriterOptions(fsync: fsync, segmentSize: segmentSize, ringCapacity: 1 << 16)
    options.batchCapacity = 1 << 14
    options.maxPayload = 4096
    let writer = try JournalWriter(directory: dir, options: options)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(maxPayload, 16), alignment: 8)
    defer { buffer.deallocate() }
    var last: UInt64 = writer.nextSequence - 1
    for _ in 0..<count {
        let seq = writer.nextSequence
        let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<JournalDemo.payloadLength(for: seq, maxLength: maxPayload)])
        JournalDemo.fillPayload(view, sequence: seq)
        while true {
            if let s = writer.append(.demo, version: 2, timestampNs: 1_000 + seq, payload: UnsafeRawBufferPointer(view)) {
                last = s
                break
            }
            _ = writer.loop.poll()
        }
    }
    try writer.loop.drainAndSync()
    return last
}

/// Reads the whole file.
func readFile(_ path: String) -> [UInt8] {
    Array(FileManager.default.contents(atPath: path) ?? Data())
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// Offsets of every record in a segment file (walking lengths from the header on).
func recordOffsets(_ bytes: [UInt8]) -> [(offset: Int, size: Int, seq: UInt64)] {
    var out: [(Int, Int, UInt64)] = []
    var o = SegmentHeaderDescriptor.size
    bytes.withUnsafeBytes { b in
        while o + 32 <= b.count {
            let len = Int(b.loadUnaligned(fromByteOffset: o, as: UInt32.self))
            let seq = b.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self)
            if len == 0 && seq == 0 { break }
            let size = RecordHeaderDescriptor.recordSize(payloadLength: len)
            out.append((o, size, seq))
            o += size
        }
    }
    return out
}

/// Every record's sequence and whether it is intact, across the journal.
func readAll(_ dir: String, maxPayload: Int = 200) throws -> (report: JournalScanReport, sequences: [UInt64], allIntact: Bool) {
    var seqs: [UInt64] = []
    var intact = true
    let report = try JournalReader(directory: dir).scan { r in
        seqs.append(r.sequence)
        if !JournalDemo.isIntact(r, maxLength: maxPayload) { intact = false }
        return true
    }
    return (report, seqs, intact)
}

/// Path of a built executable next to the test bundle.
func builtExecutable(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = (exe as NSString).deletingLastPathComponent
    // swift-testing on Linux may run from inside an .xctest bundle directory.
    while !FileManager.default.fileExists(atPath: dir + "/" + name) && dir.count > 1 {
        dir = (dir as NSString).deletingLastPathComponent
    }
    return dir + "/" + name
}

/// A string sink for the tools.
struct Captured: TextOutputStream {
    var text = ""
    mutating func write(_ string: String) { text += string }
}

/// A string sink that a closure can look at while a tool writes to it.
final class SharedCapture: TextOutputStream {
    var text = ""
    func write(_ string: String) { text += string }
}
