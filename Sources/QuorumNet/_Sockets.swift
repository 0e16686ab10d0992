internal import CURing
import Glibc

/// The few plain system calls the reactor makes while opening and closing sockets (never
/// on the hot path): socket, bind, listen, setsockopt, getsockname, shutdown, close.
enum _Sockets {
    static func open(udp: Bool) throws(NetError) -> Int32 {
        let type = udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .systemCall(name: "socket", errno: errno) }
        return fd
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws(NetError) {
        var v = value
        guard setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .systemCall(name: "setsockopt(\(what))", errno: errno)
        }
    }

    static func bind(_ fd: Int32, _ address: SocketAddress) throws(NetError) {
        var sa = address._sockaddr
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw .systemCall(name: "bind(\(address))", errno: errno) }
    }

    /// A plain (blocking) connect, used for UDP sockets only: it just sets the peer.
    static func connectUDP(_ fd: Int32, _ address: SocketAddress) throws(NetError) {
        var sa = address._sockaddr
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw .systemCall(name: "connect(\(address))", errno: errno) }
    }

    static func localAddress(_ fd: Int32) -> SocketAddress {
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return rc == 0 ? SocketAddress(_sockaddr: sa) : SocketAddress(host: 0, port: 0)
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
    static func shutdownBoth(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
}
