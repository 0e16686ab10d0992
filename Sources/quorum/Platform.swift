#if canImport(Glibc)
import Glibc
#endif

/// write(2) under a name that does not collide with TextOutputStream's `write`.
func _write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    Glibc.write(fd, buffer, count)
}

/// Whether `fd` is a terminal (progress lines only go to terminals).
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
