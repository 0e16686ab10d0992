// quorum-journal-crashchild DIR [SEGMENT_BYTES] [MAX_PAYLOAD] [RECORDS]
// See JournalCrashChild in QuorumJournal: appends under group commit and prints every
// durable sequence until it is killed. Used by the crash-safety tests.

import QuorumJournal

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count >= 2 else {
    print("usage: quorum-journal-crashchild DIR [SEGMENT_BYTES] [MAX_PAYLOAD] [RECORDS]")
    exit(64)
}
let segmentSize = args.count > 2 ? Int(args[2]) ?? (256 << 10) : 256 << 10
let maxPayload = args.count > 3 ? Int(args[3]) ?? 200 : 200
let records = args.count > 4 ? Int(args[4]) : nil
exit(JournalCrashChild.run(directory: args[1], segmentSize: segmentSize, maxPayload: maxPayload, records: records))
