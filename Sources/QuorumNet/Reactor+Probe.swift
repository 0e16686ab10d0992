internal import CURing

/// The io_uring operations this kernel supports, as `io_uring_get_probe_ring` reports them.
public struct IOURingProbe: Sendable {
    /// An operation by its liburing name and opcode.
    public struct Operation: Sendable, Equatable {
        public let name: String
        public let opcode: UInt8
        public init(name: String, opcode: UInt8) {
            self.name = name
            self.opcode = opcode
        }
    }

    /// The highest opcode the kernel knows.
    public let lastOpcode: UInt8
    let supported: [Bool]

    /// What the reactor uses: TCP accept/connect/send/recv, UDP sendmsg/recvmsg (multishot,
    /// with provided buffers) and cancel-by-fd for closing.
    public static let reactorOperations: [Operation] = [
        .init(name: "IORING_OP_ACCEPT", opcode: UInt8(IORING_OP_ACCEPT.rawValue)),
        .init(name: "IORING_OP_CONNECT", opcode: UInt8(IORING_OP_CONNECT.rawValue)),
        .init(name: "IORING_OP_SEND", opcode: UInt8(IORING_OP_SEND.rawValue)),
        .init(name: "IORING_OP_RECV", opcode: UInt8(IORING_OP_RECV.rawValue)),
        .init(name: "IORING_OP_SENDMSG", opcode: UInt8(IORING_OP_SENDMSG.rawValue)),
        .init(name: "IORING_OP_RECVMSG", opcode: UInt8(IORING_OP_RECVMSG.rawValue)),
        .init(name: "IORING_OP_ASYNC_CANCEL", opcode: UInt8(IORING_OP_ASYNC_CANCEL.rawValue)),
    ]

    /// Builds a probe from explicit answers (tests use this to check `require`).
    public init(lastOpcode: UInt8, supported: [Bool]) {
        self.lastOpcode = lastOpcode
        self.supported = supported
    }

    init(ring: UnsafeMutablePointer<io_uring>) throws(NetError) {
        guard let p = io_uring_get_probe_ring(ring) else {
            throw .systemCall(name: "io_uring_get_probe_ring", errno: 0)
        }
        defer { io_uring_free_probe(p) }
        let last = p.pointee.last_op
        var s = [Bool](repeating: false, count: Int(last) + 1)
        for op in 0...Int(last) { s[op] = io_uring_opcode_supported(p, Int32(op)) != 0 }
        self.init(lastOpcode: last, supported: s)
    }

    public func supports(_ opcode: UInt8) -> Bool {
        Int(opcode) < supported.count && supported[Int(opcode)]
    }

    /// Throws `.unsupportedOperation` naming the first operation of `operations` missing.
    public func require(_ operations: [Operation]) throws(NetError) {
        for op in operations where !supports(op.opcode) {
            throw .unsupportedOperation(name: "\(op.name) (opcode \(op.opcode); kernel knows up to \(lastOpcode))")
        }
    }
}
