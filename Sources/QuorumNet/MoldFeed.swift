import QuorumWire

/// Receives a MoldUDP64 feed's messages in sequence order.
public protocol MoldFeedSink: AnyObject {
    /// One message, in order, exactly once. Stamp: when its packet's completion was reaped.
    func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64)
    /// Messages `[from, from + count)` could not be recovered and are skipped.
    func lost(from sequence: UInt64, count: UInt64)
    /// The session ended (0xFFFF packet) and every message before it was delivered or lost.
    func endOfSession(nextSequence: UInt64)
}

extension MoldFeedSink {
    public func lost(from sequence: UInt64, count: UInt64) {}
    public func endOfSession(nextSequence: UInt64) {}
}

/// Sends the receiver's re-requests (the reactor glue sends a UDP datagram and arms a timer).
public protocol MoldRequestSender: AnyObject {
    /// Ask the retransmission server for `request.messageCount` messages from
    /// `request.sequenceNumber`. `receiver.tick(now:)` should be called again at `deadline`.
    func sendRequest(_ request: MoldUDP64.RequestPacket, deadline: UInt64)
}

/// What a MoldUDP64 receiver has seen (all counts since start).
public struct MoldFeedCounters: Equatable, Sendable {
    public var packets: UInt64 = 0
    public var messagesDelivered: UInt64 = 0
    public var heartbeats: UInt64 = 0
    /// Messages that arrived again after delivery (retransmits, duplicated packets): dropped.
    public var duplicateMessages: UInt64 = 0
    public var gapsDetected: UInt64 = 0
    public var requestsSent: UInt64 = 0
    /// Re-requests sent again after a timeout.
    public var requestRetries: UInt64 = 0
    public var gapsLost: UInt64 = 0
    public var messagesLost: UInt64 = 0
    /// Out-of-order packets that found the store full (dropped; they will be re-requested).
    public var storeOverflows: UInt64 = 0
    /// Packets from another session than the first one seen: dropped.
    public var otherSession: UInt64 = 0
    /// Malformed packets, by reason: shorter than the header; a message block runs past the
    /// end (or the count claims more blocks than there are); bytes left after the last block.
    public var shortPackets: UInt64 = 0
    public var blockOverruns: UInt64 = 0
    public var trailingBytes: UInt64 = 0

    public var malformed: UInt64 { shortPackets + blockOverruns + trailingBytes }
    public init() {}
}

/// The MoldUDP64 receive state machine, with no sockets: feed it datagrams (`receive`) and
/// the time (`tick`); it delivers messages in order to its sink and asks its request sender
/// for retransmissions.
///
/// On a gap (a packet or heartbeat beyond the next expected sequence) it keeps the packets
/// that arrived early in a preallocated store, re-requests the missing range (at most
/// `maxRequestCount` messages at a time), re-sends the request every `requestTimeoutNanos`
/// up to `maxRetries` times, then reports the range lost and moves on. Not thread-safe.
public final class MoldFeedReceiver {
    public struct Options: Sendable {
        /// The first sequence expected; nil: join at the first packet seen.
        public var firstSequence: UInt64? = 1
        /// Early packets kept while a gap is open, and the largest packet kept.
        public var storeCapacity: Int = 64
        public var storeSlotSize: Int = 2048
        public var requestTimeoutNanos: UInt64 = 50_000_000
        public var maxRetries: Int = 3
        public var maxRequestCount: UInt16 = 1000
        public init() {}
    }

    public let options: Options
    public private(set) var counters = MoldFeedCounters()
    /// The session, set by the first well-formed packet.
    public private(set) var session: SessionID?
    /// The sequence of the next message to deliver.
    public private(set) var nextSequence: UInt64
    /// One past the highest sequence any packet or heartbeat announced.
    public private(set) var highWater: UInt64
    /// True once an end-of-session packet was seen and everything before it handled.
    public private(set) var isFinished = false
    var _endSequence: UInt64?
    var _joined: Bool

    let sink: any MoldFeedSink
    public weak var requester: (any MoldRequestSender)?

    // The open gap's request, if any.
    var _requestOpen = false
    var _requestSequence: UInt64 = 0
    var _requestEnd: UInt64 = 0
    var _requestRetries = 0
    var _requestDeadline: UInt64 = 0

    // Store of early packets.
    let _store: UnsafeMutableRawPointer
    var _storeFirst: ContiguousArray<UInt64>
    var _storeLength: ContiguousArray<Int>
    var _storeStamp: ContiguousArray<UInt64>
    var _storeUsed: ContiguousArray<Bool>
    var _storeCount = 0

    public init(sink: any MoldFeedSink, options: Options = .init()) {
        self.sink = sink
        self.options = options
        nextSequence = options.firstSequence ?? 0
        highWater = nextSequence
        _joined = options.firstSequence != nil
        _store = .allocate(byteCount: options.storeCapacity * options.storeSlotSize, alignment: 64)
        _storeFirst = ContiguousArray(repeating: 0, count: options.storeCapacity)
        _storeLength = ContiguousArray(repeating: 0, count: options.storeCapacity)
        _storeStamp = ContiguousArray(repeating: 0, count: options.storeCapacity)
        _storeUsed = ContiguousArray(repeating: false, count: options.storeCapacity)
    }

    deinit { _store.deallocate() }

    /// When `tick` next has work (an open re-request's timeout), if any.
    public var requestDeadline: UInt64? { _requestOpen ? _requestDeadline : nil }
    /// Early packets held in the store now.
    public var storedPackets: Int { _storeCount }

    /// Handles one datagram received at `nowNanos`.
    public func receive(_ datagram: UnsafeRawBufferPointer, at nowNanos: UInt64) {
        let packet: MoldUDP64.Packet
        do {
            packet = try MoldUDP64.Packet(datagram)
        } catch {
            switch error {
            case .truncated(let offset, _, _) where offset == 0: counters.shortPackets += 1
            case .truncated: counters.blockOverruns += 1
            default: counters.trailingBytes += 1
            }
            return
        }
        let header = packet.header
        if let session {
            guard header.session == session else { counters.otherSession += 1; return }
        } else {
            session = header.session
        }
        counters.packets += 1
        if !_joined {
            _joined = true
            nextSequence = header.sequenceNumber
            highWater = nextSequence
        }
        switch header.kind {
        case .heartbeat:
            counters.heartbeats += 1
            _announce(header.sequenceNumber)
        case .endOfSession:
            _endSequence = header.sequenceNumber
            _announce(header.sequenceNumber)
        case .messages(let count):
            let first = header.sequenceNumber
            let end = first &+ UInt64(count)
            _announce(end)
            if end <= nextSequence {
                counters.duplicateMessages += UInt64(count)
            } else if first <= nextSequence {
                _deliver(packet, at: nowNanos)
                _drainStore()
            } else {
                _keep(datagram, first: first, at: nowNanos)
            }
        }
        _afterProgress(now: nowNanos)
    }

    /// Re-sends or gives up on an open re-request whose timeout has passed.
    public func tick(now: UInt64) {
        guard _requestOpen, now >= _requestDeadline else { return }
        if _requestRetries < options.maxRetries {
            _requestRetries += 1
            counters.requestRetries += 1
            _sendRequest(now: now)
            return
        }
        // Give up on what is missing before the next thing we hold (or know of).
        let lossEnd = _lowestStored() ?? highWater
        if lossEnd > nextSequence {
            counters.gapsLost += 1
            counters.messagesLost += lossEnd - nextSequence
            sink.lost(from: nextSequence, count: lossEnd - nextSequence)
            nextSequence = lossEnd
        }
        _requestOpen = false
        _drainStore()
        _afterProgress(now: now)
    }

    // MARK: Internals

    func _announce(_ end: UInt64) {
        if end > highWater { highWater = end }
    }

    func _deliver(_ packet: MoldUDP64.Packet, at stamp: UInt64) {
        packet.forEachMessage { sequence, _, message in
            if sequence < nextSequence {
                counters.duplicateMessages += 1
            } else {
                nextSequence = sequence &+ 1
                counters.messagesDelivered += 1
                sink.message(message, sequence: sequence, receiveNanos: stamp)
            }
        }
    }

    /// Delivers stored packets that now continue the sequence; drops those already covered.
    func _drainStore() {
        guard _storeCount > 0 else { return }
        var progressed = true
        while progressed && _storeCount > 0 {
            progressed = false
            for slot in 0..<options.storeCapacity where _storeUsed[slot] && _storeFirst[slot] <= nextSequence {
                let bytes = UnsafeRawBufferPointer(start: _store + slot * options.storeSlotSize, count: _storeLength[slot])
                // Safe: only well-formed packets are stored.
                if let packet = try? MoldUDP64.Packet(bytes) { _deliver(packet, at: _storeStamp[slot]) }
                _storeUsed[slot] = false
                _storeCount -= 1
                progressed = true
            }
        }
    }

    func _keep(_ datagram: UnsafeRawBufferPointer, first: UInt64, at stamp: UInt64) {
        guard datagram.count <= options.storeSlotSize,
              let slot = _storeUsed.firstIndex(of: false) else {
            counters.storeOverflows += 1
            return
        }
        (_store + slot * options.storeSlotSize).copyMemory(from: datagram.baseAddress!, byteCount: datagram.count)
        _storeFirst[slot] = first
        _storeLength[slot] = datagram.count
        _storeStamp[slot] = stamp
        _storeUsed[slot] = true
        _storeCount += 1
    }

    func _lowestStored() -> UInt64? {
        guard _storeCount > 0 else { return nil }
        var lowest = UInt64.max
        for slot in 0..<options.storeCapacity where _storeUsed[slot] && _storeFirst[slot] < lowest {
            lowest = _storeFirst[slot]
        }
        return lowest
    }

    /// Opens, moves or closes the gap's request, and notices the end of the session.
    func _afterProgress(now: UInt64) {
        if highWater > nextSequence {
            if !_requestOpen {
                counters.gapsDetected += 1
                _requestOpen = true
                _requestRetries = 0
                _sendRequest(now: now)
            } else if nextSequence >= _requestEnd {
                // What was asked for is in (a capped request, or a new gap beyond it): ask for
                // the next range at once, with fresh retries.
                _requestRetries = 0
                _sendRequest(now: now)
            } else if nextSequence != _requestSequence {
                // The answer is arriving: give the rest of it a full timeout before asking again
                // (asking on every packet would multiply the retransmissions).
                _requestSequence = nextSequence
                _requestRetries = 0
                _requestDeadline = now &+ options.requestTimeoutNanos
            }
        } else {
            _requestOpen = false
            if let end = _endSequence, nextSequence >= end, !isFinished {
                isFinished = true
                sink.endOfSession(nextSequence: nextSequence)
            }
        }
    }

    func _sendRequest(now: UInt64) {
        let end = _lowestStored() ?? highWater
        let wanted = Swift.min(end - nextSequence, UInt64(options.maxRequestCount))
        _requestSequence = nextSequence
        _requestEnd = nextSequence &+ wanted
        _requestDeadline = now &+ options.requestTimeoutNanos
        counters.requestsSent += 1
        requester?.sendRequest(
            MoldUDP64.RequestPacket(session: session ?? .blank, sequenceNumber: nextSequence, messageCount: UInt16(wanted)),
            deadline: _requestDeadline)
    }
}
