internal import CURing
import Glibc

/// Receives a UDP socket's datagrams. Called on the reactor's thread from `poll`; the bytes
/// are valid only during the call (their buffer goes back to the ring right after).
public protocol UDPHandler: AnyObject {
    func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket)
}

/// A UDP socket on a reactor.
///
/// Receiving (when it has a handler): one multishot recvmsg whose buffers come from a
/// provided-buffer ring of `bufferCount` buffers; each buffer goes back to the ring as soon
/// as the handler returns. When the kernel runs out of buffers (ENOBUFS) or the multishot
/// ends for any reason it is re-armed and counted; the datagram that found no buffer stays
/// queued in the socket, so nothing is lost unless the socket's own queue overflows.
///
/// Sending copies into one of `udpSendSlots` preallocated slots and submits a sendmsg;
/// `send` returns false (counted) when no slot is free. Not thread-safe.
public final class UDPSocket {
    // Safe: the reactor holds every socket in its table and outlives it.
    unowned(unsafe) let _reactor: Reactor
    let _index: Int
    let fd: Int32
    var _fdOpen = true
    var _handler: (any UDPHandler)?
    public let localAddress: SocketAddress
    /// The default destination set by `connect`, if any.
    public let connectedAddress: SocketAddress?
    public internal(set) var isOpen = true
    var _opsInFlight = 0

    // Receive side (unused when there is no handler).
    let _bufferCount: Int
    let _bufferStride: Int
    let _bufferLength: Int
    let _buffers: UnsafeMutableRawPointer?
    let _ring: UnsafeMutablePointer<io_uring_buf_ring>?
    let _ringMemory: UnsafeMutableRawPointer?
    let _group: UInt16
    let _msghdr: UnsafeMutablePointer<msghdr>
    var _recvArmed = false
    var _ringRegistered = false

    // Send side.
    let _slotCount: Int
    let _slotSize: Int
    let _slotData: UnsafeMutableRawPointer
    let _slotMsg: UnsafeMutablePointer<msghdr>
    let _slotIov: UnsafeMutablePointer<iovec>
    let _slotAddr: UnsafeMutablePointer<sockaddr_in>
    let _freeSlots: UnsafeMutablePointer<Int32>
    var _freeSlotCount: Int

    public private(set) var datagramsReceived: UInt64 = 0
    public private(set) var bytesReceived: UInt64 = 0
    /// Multishot receives that ended because the buffer ring was empty (ENOBUFS).
    public private(set) var bufferRingEmpty: UInt64 = 0
    /// Times the multishot receive was armed again after it ended.
    public private(set) var receiveRearms: UInt64 = 0
    /// Datagrams larger than a buffer (dropped, counted).
    public private(set) var truncatedDatagrams: UInt64 = 0
    public private(set) var receiveErrors: UInt64 = 0
    public private(set) var datagramsSent: UInt64 = 0
    /// `send` calls refused: no free slot, datagram larger than a slot, or socket closed.
    public private(set) var sendsRefused: UInt64 = 0
    public private(set) var sendErrors: UInt64 = 0

    init(reactor: Reactor, index: Int, fd: Int32, handler: (any UDPHandler)?, bufferCount: Int, bufferSize: Int,
         connected: SocketAddress?) {
        _reactor = reactor
        _index = index
        self.fd = fd
        _handler = handler
        localAddress = _Sockets.localAddress(fd)
        connectedAddress = connected
        _group = UInt16(index + 1)
        _msghdr = .allocate(capacity: 1)
        _msghdr.initialize(to: msghdr())
        // recvmsg multishot puts a header and the source address before the payload.
        _msghdr.pointee.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
        if handler != nil {
            _bufferCount = bufferCount
            _bufferLength = MemoryLayout<io_uring_recvmsg_out>.size + MemoryLayout<sockaddr_in>.size + bufferSize
            _bufferStride = (_bufferLength + 63) & ~63
            _buffers = .allocate(byteCount: _bufferStride * bufferCount, alignment: 64)
            let ringBytes = MemoryLayout<io_uring_buf>.stride * bufferCount
            let memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(ringBytes, 4096), alignment: 4096)
            memory.initializeMemory(as: UInt8.self, repeating: 0, count: Swift.max(ringBytes, 4096))
            _ringMemory = memory
            _ring = memory.assumingMemoryBound(to: io_uring_buf_ring.self)
        } else {
            _bufferCount = 0
            _bufferStride = 0
            _bufferLength = 0
            _buffers = nil
            _ring = nil
            _ringMemory = nil
        }
        _slotCount = reactor.options.udpSendSlots
        _slotSize = reactor.options.udpSendSlotSize
        _slotData = .allocate(byteCount: _slotCount * _slotSize, alignment: 64)
        _slotMsg = .allocate(capacity: _slotCount)
        _slotIov = .allocate(capacity: _slotCount)
        _slotAddr = .allocate(capacity: _slotCount)
        _freeSlots = .allocate(capacity: _slotCount)
        _freeSlotCount = _slotCount
        for i in 0..<_slotCount {
            _slotIov[i] = iovec(iov_base: _slotData + i * _slotSize, iov_len: 0)
            _slotAddr[i] = sockaddr_in()
            var m = msghdr()
            m.msg_iov = _slotIov + i
            m.msg_iovlen = 1
            _slotMsg[i] = m
            _freeSlots[i] = Int32(_slotCount - 1 - i)
        }
    }

    deinit {
        _msghdr.deallocate()
        _buffers?.deallocate()
        _ringMemory?.deallocate()
        _slotData.deallocate()
        _slotMsg.deallocate()
        _slotIov.deallocate()
        _slotAddr.deallocate()
        _freeSlots.deallocate()
    }

    /// Registers the buffer ring with the kernel and fills it.
    func _registerRing() throws(NetError) {
        guard let ring = _ring, let buffers = _buffers else { return }
        io_uring_buf_ring_init(ring)
        var reg = io_uring_buf_reg()
        reg.ring_addr = UInt64(UInt(bitPattern: ring))
        reg.ring_entries = UInt32(_bufferCount)
        reg.bgid = _group
        let rc = io_uring_register_buf_ring(_reactor._ring, &reg, 0)
        guard rc == 0 else { throw .systemCall(name: "io_uring_register_buf_ring (provided buffers, kernel 5.19+)", errno: -rc) }
        _ringRegistered = true
        let mask = io_uring_buf_ring_mask(UInt32(_bufferCount))
        for bid in 0..<_bufferCount {
            io_uring_buf_ring_add(ring, buffers + bid * _bufferStride, UInt32(_bufferLength), UInt16(bid), mask, Int32(bid))
        }
        io_uring_buf_ring_advance(ring, Int32(_bufferCount))
    }

    func _armRecv() {
        let sqe = _reactor._sqe()
        io_uring_prep_recvmsg_multishot(sqe, fd, _msghdr, 0)
        curing_sqe_select_buffer(sqe, _group)
        sqe.pointee.user_data = Reactor._tag(.udpRecv, _index)
        _recvArmed = true
        _opsInFlight += 1
    }

    @inline(__always)
    func _recycle(_ bid: Int) {
        let ring = _ring.unsafelyUnwrapped
        io_uring_buf_ring_add(ring, _buffers.unsafelyUnwrapped + bid * _bufferStride, UInt32(_bufferLength), UInt16(bid),
                              io_uring_buf_ring_mask(UInt32(_bufferCount)), 0)
        io_uring_buf_ring_advance(ring, 1)
    }

    func _recvCompleted(_ res: Int32, _ flags: UInt32, _ now: UInt64) {
        let bid = Int(curing_cqe_buffer_id(flags))
        if bid >= 0 {
            if res >= 0, isOpen, let out = io_uring_recvmsg_validate(_buffers.unsafelyUnwrapped + bid * _bufferStride, res, _msghdr) {
                if out.pointee.flags & UInt32(MSG_TRUNC) != 0 {
                    truncatedDatagrams &+= 1
                } else {
                    let payload = io_uring_recvmsg_payload(out, _msghdr)
                    let length = Int(io_uring_recvmsg_payload_length(out, res, _msghdr))
                    var source: SocketAddress? = nil
                    if out.pointee.namelen >= UInt32(MemoryLayout<sockaddr_in>.size) {
                        let sa = io_uring_recvmsg_name(out).unsafelyUnwrapped.loadUnaligned(as: sockaddr_in.self)
                        source = SocketAddress(_sockaddr: sa)
                    }
                    datagramsReceived &+= 1
                    bytesReceived &+= UInt64(length)
                    _handler.unsafelyUnwrapped.received(UnsafeRawBufferPointer(start: payload, count: length),
                                                       from: source, at: now, on: self)
                }
            }
            _recycle(bid)
        } else if res == -ENOBUFS {
            bufferRingEmpty &+= 1
        } else if res < 0 && res != -ECANCELED {
            receiveErrors &+= 1
        }
        if curing_cqe_has_more(flags) == 0 {
            _recvArmed = false
            _opsInFlight -= 1
            if isOpen {
                receiveRearms &+= 1
                _armRecv()
            } else {
                _finishIfIdle()
            }
        }
    }

    /// Sends one datagram to the connected address. False (counted) when refused.
    @discardableResult
    public func send(_ datagram: UnsafeRawBufferPointer) -> Bool { _send(datagram, to: nil) }

    /// Sends one datagram to `destination`. False (counted) when refused.
    @discardableResult
    public func send(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) -> Bool {
        _send(datagram, to: destination)
    }

    /// Free send slots right now.
    public var sendSlotsFree: Int { _freeSlotCount }

    @inline(__always)
    func _send(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress?) -> Bool {
        let n = datagram.count
        guard isOpen, n <= _slotSize, _freeSlotCount > 0 else {
            sendsRefused &+= 1
            return false
        }
        _freeSlotCount -= 1
        let slot = Int(_freeSlots[_freeSlotCount])
        if n > 0 { (_slotData + slot * _slotSize).copyMemory(from: datagram.baseAddress.unsafelyUnwrapped, byteCount: n) }
        _slotIov[slot].iov_len = n
        if let destination {
            _slotAddr[slot] = destination._sockaddr
            _slotMsg[slot].msg_name = UnsafeMutableRawPointer(_slotAddr + slot)
            _slotMsg[slot].msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else {
            _slotMsg[slot].msg_name = nil
            _slotMsg[slot].msg_namelen = 0
        }
        let sqe = _reactor._sqe()
        io_uring_prep_sendmsg(sqe, fd, _slotMsg + slot, UInt32(MSG_NOSIGNAL))
        sqe.pointee.user_data = Reactor._tag(.udpSend, _index, slot)
        _opsInFlight += 1
        return true
    }

    func _sendCompleted(_ slot: Int, _ res: Int32) {
        _freeSlots[_freeSlotCount] = Int32(slot)
        _freeSlotCount += 1
        _opsInFlight -= 1
        if res >= 0 { datagramsSent &+= 1 } else { sendErrors &+= 1 }
        if !isOpen { _finishIfIdle() }
    }

    /// Stops receiving, lets sends in flight finish, and closes the socket.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        if _recvArmed { _reactor._cancelAll(fd: fd) }
        _finishIfIdle()
    }

    func _finishIfIdle() {
        guard !isOpen, _opsInFlight == 0, _fdOpen else { return }
        if _ringRegistered {
            _ = io_uring_unregister_buf_ring(_reactor._ring, Int32(_group))
            _ringRegistered = false
        }
        _Sockets.close(fd)
        _fdOpen = false
        _reactor._udpSockets[_index] = nil
    }
}

extension Reactor {
    /// A UDP socket bound to `address` that receives through a multishot recvmsg and a ring
    /// of `bufferCount` (a power of two) buffers of `bufferSize` payload bytes. It can send too
    /// (`send(_:to:)`), e.g. re-requests whose answers come back to it.
    /// `receiveBufferBytes` sets SO_RCVBUF.
    public func udpReceiver(bind address: SocketAddress, handler: any UDPHandler, bufferCount: Int = 256,
                            bufferSize: Int = 2048, receiveBufferBytes: Int32? = nil) throws(NetError) -> UDPSocket {
        guard bufferCount > 0, bufferCount <= 32768, bufferCount & (bufferCount - 1) == 0 else {
            throw .invalidArgument(name: "bufferCount", value: "\(bufferCount)", reason: "must be a power of two in 1...32768")
        }
        guard bufferSize > 0, bufferSize <= 65536 else {
            throw .invalidArgument(name: "bufferSize", value: "\(bufferSize)", reason: "must be in 1...65536")
        }
        let socket = try _openUDP(bind: address, connect: nil, handler: handler, bufferCount: bufferCount,
                                  bufferSize: bufferSize, receiveBufferBytes: receiveBufferBytes)
        do { try socket._registerRing() } catch {
            socket.isOpen = false
            socket._finishIfIdle()
            throw error
        }
        socket._armRecv()
        return socket
    }

    /// A send-only UDP socket bound to `address` (port 0: any), connected to `destination`
    /// when given (then `send(_:)` goes there).
    public func udpSender(bind address: SocketAddress = .any(), connect destination: SocketAddress? = nil) throws(NetError) -> UDPSocket {
        try _openUDP(bind: address, connect: destination, handler: nil, bufferCount: 0, bufferSize: 0, receiveBufferBytes: nil)
    }

    func _openUDP(bind address: SocketAddress, connect destination: SocketAddress?, handler: (any UDPHandler)?,
                  bufferCount: Int, bufferSize: Int, receiveBufferBytes: Int32?) throws(NetError) -> UDPSocket {
        guard let index = _udpSockets.firstIndex(where: { $0 == nil }) else {
            throw .capacityExhausted(what: "UDP socket", limit: options.maxUDPSockets)
        }
        let fd = try _Sockets.open(udp: true)
        do {
            if let size = receiveBufferBytes { try _Sockets.setOption(fd, SOL_SOCKET, SO_RCVBUF, size, "SO_RCVBUF") }
            try _Sockets.bind(fd, address)
            if let destination { try _Sockets.connectUDP(fd, destination) }
        } catch {
            _Sockets.close(fd)
            throw error
        }
        let socket = UDPSocket(reactor: self, index: index, fd: fd, handler: handler, bufferCount: bufferCount,
                               bufferSize: bufferSize, connected: destination)
        _udpSockets[index] = socket
        return socket
    }
}
