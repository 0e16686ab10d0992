import QuorumWire

/// Where finished MoldUDP64 datagrams go (the glue sends each to a UDP socket). Taken as a
/// generic `inout` parameter: no existential on the hot path. The bytes are valid only
/// during the call.
public protocol MoldPacketSink {
    mutating func send(_ packet: UnsafeRawBufferPointer)
}

/// Settings of a `MoldPublisher`, fixed at `init`.
public struct MoldPublisherConfig: Sendable, Equatable {
    public var session: SessionID
    /// Largest datagram, header included (at most `MoldUDP64.maxPacketLength`).
    public var maxPacketBytes: Int
    /// Most messages in one packet.
    public var maxMessagesPerPacket: Int
    /// A heartbeat goes out when nothing was sent for this long.
    public var heartbeatIntervalNanos: UInt64
    /// Retransmission store: most messages kept (rounded up to a power of two) …
    public var storeMessages: Int
    /// … and most bytes of message payload kept (rounded up to a power of two).
    public var storeBytes: Int
    /// Sequence number of the session's first message.
    public var firstSequence: UInt64

    public init(session: SessionID, maxPacketBytes: Int = 1400, maxMessagesPerPacket: Int = 1000,
                heartbeatIntervalNanos: UInt64 = 1_000_000_000, storeMessages: Int = 1 << 20,
                storeBytes: Int = 1 << 26, firstSequence: UInt64 = 1) {
        self.session = session
        self.maxPacketBytes = min(max(maxPacketBytes, MoldUDP64.headerLength + 2 + ITCH.maxMessageLength),
                                  MoldUDP64.maxPacketLength)
        self.maxMessagesPerPacket = min(max(1, maxMessagesPerPacket), Int(MoldUDP64.endOfSessionCount) - 1)
        self.heartbeatIntervalNanos = heartbeatIntervalNanos
        self.storeMessages = max(1, storeMessages)
        self.storeBytes = max(ITCH.maxMessageLength, storeBytes)
        self.firstSequence = firstSequence
    }
}

/// What a `MoldPublisher` did, for the operator and the tests.
@frozen public struct MoldPublisherCounters: Equatable, Sendable {
    public var messages: UInt64 = 0
    public var packets: UInt64 = 0
    public var heartbeats: UInt64 = 0
    public var bytesSent: UInt64 = 0
    /// Messages offered after the end of session (dropped).
    public var afterEndOfSession: UInt64 = 0
    public var retransmitRequests: UInt64 = 0
    public var retransmitPackets: UInt64 = 0
    public var retransmittedMessages: UInt64 = 0
    /// Requests of which some messages could not be sent: evicted from the store, or not
    /// yet published.
    public var requestsPartlyUnavailable: UInt64 = 0
    /// Requested messages that had been evicted from the store.
    public var messagesNoLongerAvailable: UInt64 = 0
    /// Requested messages past the last one published.
    public var messagesNotYetPublished: UInt64 = 0
    /// Requests too short or for another session (ignored).
    public var malformedRequests: UInt64 = 0
    public var wrongSessionRequests: UInt64 = 0

    public init() {}
}

/// The answer to one re-request.
@frozen public struct RetransmitOutcome: Equatable, Sendable {
    /// First sequence number sent and how many messages, in `packets` packets.
    public var firstSequence: UInt64
    public var messages: Int
    public var packets: Int
    /// Requested messages older than the store keeps.
    public var noLongerAvailable: Int
    /// Requested messages past the last published.
    public var notYetPublished: Int
    /// False when the request was malformed or for another session (nothing sent).
    public var valid: Bool
}

/// The ITCH publisher of the simulator: packs messages into MoldUDP64 downstream packets,
/// numbers them, sends heartbeats when idle and the end-of-session packet, and keeps recent
/// messages in a bounded store to answer re-requests.
///
/// A packet is sent when the next message would overflow `maxPacketBytes` or
/// `maxMessagesPerPacket`, or on `flush` (the glue flushes after each batch of work, so a
/// message waits at most one loop turn). Times are whatever nanosecond clock the caller uses.
///
/// The store is a byte ring of message payloads and a ring of (position, length) per
/// sequence number; the oldest messages are evicted when either bound would be exceeded.
/// All buffers are allocated at `init`; publishing and answering never allocate.
/// Not thread-safe: one loop owns it.
public final class MoldPublisher {
    public let config: MoldPublisherConfig
    public var counters: MoldPublisherCounters { _counters }
    /// The sequence number the next published message gets.
    public var nextSequence: UInt64 { _nextSequence }
    /// The oldest sequence number the store still holds (== `nextSequence` when empty).
    public var oldestStoredSequence: UInt64 { _oldestStoredSequence }
    public var endedSession: Bool { _st.pointee.endedSession }

    /// The mutable state lives behind a pointer: a class's stored `var`s are checked for
    /// exclusive access at run time on every access (see `MatchingEngine._st`).
    @usableFromInline let _st: UnsafeMutablePointer<_PublisherState>
    @inlinable var _counters: MoldPublisherCounters {
        get { _st.pointee.counters }
        set { _st.pointee.counters = newValue }
    }
    @inlinable var _nextSequence: UInt64 {
        get { _st.pointee.nextSequence }
        set { _st.pointee.nextSequence = newValue }
    }
    @inlinable var _oldestStoredSequence: UInt64 {
        get { _st.pointee.oldestStoredSequence }
        set { _st.pointee.oldestStoredSequence = newValue }
    }
    @inlinable var _writer: MoldUDP64.PacketWriter {
        get { _st.pointee.writer }
        set { _st.pointee.writer = newValue }
    }
    @inlinable var _lastSendAt: UInt64 {
        get { _st.pointee.lastSendAt }
        set { _st.pointee.lastSendAt = newValue }
    }
    @inlinable var _headByte: UInt64 {
        get { _st.pointee.headByte }
        set { _st.pointee.headByte = newValue }
    }
    @inlinable var _tailByte: UInt64 {
        get { _st.pointee.tailByte }
        set { _st.pointee.tailByte = newValue }
    }

    @usableFromInline let _packet: UnsafeMutableRawBufferPointer
    @usableFromInline let _resend: UnsafeMutableRawBufferPointer
    @usableFromInline let _bytes: UnsafeMutableRawPointer
    @usableFromInline let _byteMask: UInt64
    @usableFromInline let _positions: UnsafeMutablePointer<UInt64>
    @usableFromInline let _lengths: UnsafeMutablePointer<UInt16>
    @usableFromInline let _indexMask: UInt64

    /// `now` starts the heartbeat clock.
    public init(_ config: MoldPublisherConfig, now: UInt64 = 0) {
        self.config = config
        _packet = .allocate(byteCount: config.maxPacketBytes, alignment: 16)
        _packet.initializeMemory(as: UInt8.self, repeating: 0)
        _resend = .allocate(byteCount: config.maxPacketBytes, alignment: 16)
        _resend.initializeMemory(as: UInt8.self, repeating: 0)
        _st = .allocate(capacity: 1)
        // Safe: the buffer is at least a header long (the config clamps it).
        _st.initialize(to: _PublisherState(
            writer: try! MoldUDP64.PacketWriter(_packet, session: config.session, sequenceNumber: config.firstSequence),
            nextSequence: config.firstSequence, lastSendAt: now))
        let byteCapacity = config.storeBytes.nextPowerOfTwo
        _bytes = .allocate(byteCount: byteCapacity, alignment: 64)
        _bytes.initializeMemory(as: UInt8.self, repeating: 0, count: byteCapacity)
        _byteMask = UInt64(byteCapacity - 1)
        let entries = config.storeMessages.nextPowerOfTwo
        _positions = .allocate(capacity: entries)
        _positions.initialize(repeating: 0, count: entries)
        _lengths = .allocate(capacity: entries)
        _lengths.initialize(repeating: 0, count: entries)
        _indexMask = UInt64(entries - 1)
    }

    deinit {
        _packet.deallocate()
        _resend.deallocate()
        _bytes.deallocate()
        _positions.deallocate()
        _lengths.deallocate()
        _st.deallocate()
    }

    /// Messages waiting in the packet being built.
    @inlinable public var pendingMessages: Int { Int(_writer.header.messageCount) }

    /// Messages the store holds.
    @inlinable public var storedMessages: Int { Int(nextSequence - oldestStoredSequence) }

    // MARK: - Publishing

    /// Adds one message to the current packet (sending the packet first if it is full) and
    /// to the retransmission store. Ignored and counted after `endSession`.
    /// - Complexity: O(1); never allocates.
    @inlinable
    public func publish<S: MoldPacketSink>(_ message: ITCHMessage, now: UInt64, _ sink: inout S) {
        guard !endedSession else {
            _counters.afterEndOfSession &+= 1
            return
        }
        let n = message.length
        if !_fits(n) { _send(now, &sink) }
        let base = _packet.baseAddress! + _writer.length
        // Safe: `_fits` left room for the 2-byte length and the message (at most 50 bytes).
        base.storeBytes(of: UInt16(n).bigEndian, as: UInt16.self)
        _ = try! message.encode(into: UnsafeMutableRawBufferPointer(start: base + 2, count: n))
        _writer.length += 2 + n
        _writer.header.messageCount += 1
        _store(UnsafeRawPointer(base + 2), n)
    }

    /// Adds one already-encoded message (a replayed file's bytes).
    /// - Complexity: O(message length); never allocates.
    @inlinable
    public func publish<S: MoldPacketSink>(bytes: UnsafeRawBufferPointer, now: UInt64, _ sink: inout S) {
        guard !endedSession else {
            _counters.afterEndOfSession &+= 1
            return
        }
        let n = bytes.count
        guard n > 0, 2 + n + MoldUDP64.headerLength <= config.maxPacketBytes else { return }
        if !_fits(n) { _send(now, &sink) }
        let base = _packet.baseAddress! + _writer.length
        base.storeBytes(of: UInt16(n).bigEndian, as: UInt16.self)
        (base + 2).copyMemory(from: bytes.baseAddress!, byteCount: n)
        _writer.length += 2 + n
        _writer.header.messageCount += 1
        _store(UnsafeRawPointer(base + 2), n)
    }

    /// Sends the packet being built, if it holds any message.
    @inlinable
    public func flush<S: MoldPacketSink>(now: UInt64, _ sink: inout S) {
        if _writer.header.messageCount > 0 { _send(now, &sink) }
    }

    /// Sends a heartbeat (count 0, the next sequence number) when nothing was sent for
    /// `heartbeatIntervalNanos`; returns whether it did. Call from the loop's timer.
    @inlinable
    @discardableResult
    public func poll<S: MoldPacketSink>(now: UInt64, _ sink: inout S) -> Bool {
        guard !endedSession, _writer.header.messageCount == 0,
              now &- _lastSendAt >= config.heartbeatIntervalNanos else { return false }
        _sendHeader(MoldUDP64.heartbeatCount, now, &sink)
        _counters.heartbeats &+= 1
        return true
    }

    /// Flushes, then sends the end-of-session packet (count 0xFFFF). Later messages are
    /// ignored; re-requests are still answered. Call again to repeat the packet.
    public func endSession<S: MoldPacketSink>(now: UInt64, _ sink: inout S) {
        flush(now: now, &sink)
        _st.pointee.endedSession = true
        _sendHeader(MoldUDP64.endOfSessionCount, now, &sink)
    }

    @inlinable @inline(__always)
    func _fits(_ n: Int) -> Bool {
        _writer.length + 2 + n <= config.maxPacketBytes && Int(_writer.header.messageCount) < config.maxMessagesPerPacket
    }

    @inlinable
    func _send<S: MoldPacketSink>(_ now: UInt64, _ sink: inout S) {
        let length = _writer.finish()
        sink.send(UnsafeRawBufferPointer(start: _packet.baseAddress, count: length))
        _counters.packets &+= 1
        _counters.messages &+= UInt64(_writer.header.messageCount)
        _counters.bytesSent &+= UInt64(length)
        _lastSendAt = now
        _writer.header.sequenceNumber = nextSequence
        _writer.header.messageCount = 0
        _writer.length = MoldUDP64.headerLength
    }

    @inlinable
    func _sendHeader<S: MoldPacketSink>(_ count: UInt16, _ now: UInt64, _ sink: inout S) {
        let header = MoldUDP64.Header(session: config.session, sequenceNumber: nextSequence, messageCount: count)
        let n = try! header.encode(into: _resend)  // Safe: the buffer is longer than a header.
        sink.send(UnsafeRawBufferPointer(start: _resend.baseAddress, count: n))
        _counters.bytesSent &+= UInt64(n)
        _lastSendAt = now
    }

    // MARK: - Retransmission store

    /// Stores the message that gets `nextSequence`, evicting the oldest as needed.
    @inlinable
    func _store(_ p: UnsafeRawPointer, _ n: Int) {
        let capacity = _byteMask + 1
        while storedMessages > Int(_indexMask) || _headByte + UInt64(n) - _tailByte > capacity {
            _oldestStoredSequence += 1
            _tailByte = _oldestStoredSequence == _nextSequence
                ? _headByte : _positions[Int(_oldestStoredSequence & _indexMask)]
        }
        let slot = Int(nextSequence & _indexMask)
        _positions[slot] = _headByte
        _lengths[slot] = UInt16(n)
        _copyIn(p, n, at: _headByte)
        _headByte += UInt64(n)
        _nextSequence += 1
    }

    /// Copies into the byte ring at absolute position `at`, in two parts across the end.
    @inlinable
    func _copyIn(_ p: UnsafeRawPointer, _ n: Int, at: UInt64) {
        let start = Int(at & _byteMask)
        let first = min(n, Int(_byteMask) + 1 - start)
        (_bytes + start).copyMemory(from: p, byteCount: first)
        if first < n { _bytes.copyMemory(from: p + first, byteCount: n - first) }
    }

    @inlinable
    func _copyOut(_ to: UnsafeMutableRawPointer, _ n: Int, at: UInt64) {
        let start = Int(at & _byteMask)
        let first = min(n, Int(_byteMask) + 1 - start)
        to.copyMemory(from: _bytes + start, byteCount: first)
        if first < n { (to + first).copyMemory(from: _bytes, byteCount: n - first) }
    }

    /// The stored bytes of message `sequence`, copied to `out`; returns the length or nil
    /// when the store does not hold it. Allocation-free; for tests and tools.
    public func storedMessage(_ sequence: UInt64, into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard sequence >= oldestStoredSequence, sequence < nextSequence else { return nil }
        let slot = Int(sequence & _indexMask)
        let n = Int(_lengths[slot])
        guard out.count >= n else { return nil }
        _copyOut(out.baseAddress!, n, at: _positions[slot])
        return n
    }

    /// Answers a MoldUDP64 re-request packet (session, first sequence, count) with downstream
    /// packets carrying the stored messages of that range, to `sink` (the glue sends them to
    /// the requester). The part of the range no longer stored, or not yet published, is
    /// skipped and counted. Malformed requests and requests for another session send nothing.
    /// - Complexity: O(messages sent); never allocates.
    @discardableResult
    public func answer<S: MoldPacketSink>(request: UnsafeRawBufferPointer, _ sink: inout S) -> RetransmitOutcome {
        _counters.retransmitRequests &+= 1
        var outcome = RetransmitOutcome(firstSequence: 0, messages: 0, packets: 0, noLongerAvailable: 0,
                                        notYetPublished: 0, valid: false)
        guard request.count == MoldUDP64.headerLength, let header = try? MoldUDP64.Header.decode(request) else {
            _counters.malformedRequests &+= 1
            return outcome
        }
        guard header.session == config.session else {
            _counters.wrongSessionRequests &+= 1
            return outcome
        }
        guard header.messageCount != MoldUDP64.endOfSessionCount else {
            _counters.malformedRequests &+= 1
            return outcome
        }
        outcome.valid = true
        let first = header.sequenceNumber
        let (end, overflow) = first.addingReportingOverflow(UInt64(header.messageCount))
        let last = overflow ? UInt64.max : end  // one past the last wanted
        var from = first
        if from < oldestStoredSequence {
            let gone = min(last, oldestStoredSequence) - from
            outcome.noLongerAvailable = Int(gone)
            from = min(last, oldestStoredSequence)
        }
        let to = min(last, nextSequence)
        if last > max(nextSequence, from) { outcome.notYetPublished = Int(last - max(nextSequence, from)) }
        if outcome.noLongerAvailable > 0 || outcome.notYetPublished > 0 {
            _counters.requestsPartlyUnavailable &+= 1
            _counters.messagesNoLongerAvailable &+= UInt64(outcome.noLongerAvailable)
            _counters.messagesNotYetPublished &+= UInt64(outcome.notYetPublished)
        }
        outcome.firstSequence = from
        guard from < to else { return outcome }
        let base = _resend.baseAddress!
        var length = MoldUDP64.headerLength
        var count = 0
        var packetFirst = from
        var s = from
        while s < to {
            let slot = Int(s & _indexMask)
            let n = Int(_lengths[slot])
            if count > 0 && (length + 2 + n > config.maxPacketBytes || count >= config.maxMessagesPerPacket) {
                _sendResend(packetFirst, count, length, &sink)
                outcome.packets += 1
                length = MoldUDP64.headerLength
                count = 0
                packetFirst = s
            }
            (base + length).storeBytes(of: UInt16(n).bigEndian, as: UInt16.self)
            _copyOut(base + length + 2, n, at: _positions[slot])
            length += 2 + n
            count += 1
            outcome.messages += 1
            s += 1
        }
        _sendResend(packetFirst, count, length, &sink)
        outcome.packets += 1
        _counters.retransmittedMessages &+= UInt64(outcome.messages)
        return outcome
    }

    func _sendResend<S: MoldPacketSink>(_ first: UInt64, _ count: Int, _ length: Int, _ sink: inout S) {
        let header = MoldUDP64.Header(session: config.session, sequenceNumber: first, messageCount: UInt16(count))
        _ = try! header.encode(into: _resend)  // Safe: the buffer is longer than a header.
        sink.send(UnsafeRawBufferPointer(start: _resend.baseAddress, count: length))
        _counters.retransmitPackets &+= 1
    }
}

extension Int {
    /// The smallest power of two at least `self` (and at least 1).
    @usableFromInline var nextPowerOfTwo: Int {
        var p = 1
        while p < self { p <<= 1 }
        return p
    }
}

/// A publisher's mutable state.
@usableFromInline
struct _PublisherState {
    @usableFromInline var counters = MoldPublisherCounters()
    @usableFromInline var writer: MoldUDP64.PacketWriter
    @usableFromInline var nextSequence: UInt64
    @usableFromInline var oldestStoredSequence: UInt64
    @usableFromInline var lastSendAt: UInt64
    /// Absolute byte positions in the store: where the next message goes, where the oldest starts.
    @usableFromInline var headByte: UInt64 = 0
    @usableFromInline var tailByte: UInt64 = 0
    @usableFromInline var endedSession = false

    @inlinable
    init(writer: MoldUDP64.PacketWriter, nextSequence: UInt64, lastSendAt: UInt64) {
        self.writer = writer
        self.nextSequence = nextSequence
        self.oldestStoredSequence = nextSequence
        self.lastSendAt = lastSendAt
    }
}

/// The usual wiring of an engine's sink: order events go to `orders` (the FIX glue), ITCH
/// messages to the publisher (and to `orders` too, after the publisher), whose packets go to `packets` (the UDP socket). Set `now`
/// before each request; flush the publisher after each batch.
public struct MoldFeed<Orders: MatchingEvents, Packets: MoldPacketSink>: MatchingEvents {
    public let publisher: MoldPublisher
    public var orders: Orders
    public var packets: Packets
    /// The caller's clock, used for packet send times (heartbeat idleness).
    public var now: UInt64

    @inlinable
    public init(publisher: MoldPublisher, orders: Orders, packets: Packets, now: UInt64 = 0) {
        self.publisher = publisher
        self.orders = orders
        self.packets = packets
        self.now = now
    }

    @inlinable public mutating func accepted(_ event: OrderAccepted) { orders.accepted(event) }
    @inlinable public mutating func rejected(_ event: OrderRejected) { orders.rejected(event) }
    @inlinable public mutating func filled(_ event: Fill) { orders.filled(event) }
    @inlinable public mutating func cancelled(_ event: OrderCancelled) { orders.cancelled(event) }
    @inlinable public mutating func replaced(_ event: OrderReplaced) { orders.replaced(event) }

    @inlinable
    public mutating func published(_ message: ITCHMessage) {
        publisher.publish(message, now: now, &packets)
        orders.published(message)
    }

    /// Sends the packet being built.
    @inlinable
    public mutating func flush() { publisher.flush(now: now, &packets) }
}
