import Glibc

/// One worker's pending log lines for a file descriptor (stdout, stderr, fd@N), written with
/// one `write` per loop turn. Writes go in chunks of at most PIPE_BUF bytes cut at line ends, so
/// lines from several workers never interleave on a pipe; the descriptor is non-blocking (unless
/// it is a terminal, as in HAProxy) and what it does not take now is dropped. Owned by one thread.
final class LineBatch {
    let fd: Int32
    let buffer: UnsafeMutableRawBufferPointer
    var used = 0
    var lineEnds: [Int] = []
    var sent: UInt64 = 0
    var dropped: UInt64 = 0
    static let atomicWrite = 4096      // PIPE_BUF on Linux

    init(fd: Int32, longestLine: Int) {
        self.fd = fd
        buffer = .allocate(byteCount: max(64 * 1024, 4 * longestLine), alignment: 16)
        lineEnds.reserveCapacity(256)
        if isatty(fd) == 0 {
            let flags = fcntl(fd, F_GETFL)
            if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        }
    }

    deinit { buffer.deallocate() }

    func reserve(_ lineCapacity: Int) -> UnsafeMutableRawBufferPointer? {
        if buffer.count - used < lineCapacity { flush() }
        guard buffer.count - used >= lineCapacity else { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + lineCapacity])
    }

    func commit(length: Int) {
        used += length
        lineEnds.append(used)
    }

    func flush() {
        defer { used = 0; lineEnds.removeAll(keepingCapacity: true) }
        var start = 0
        var k = 0
        while k < lineEnds.count {
            // As many whole lines as fit in one atomic write (at least one line).
            var end = lineEnds[k]
            var lines = 1
            while k + lines < lineEnds.count && lineEnds[k + lines] - start <= Self.atomicWrite {
                end = lineEnds[k + lines]; lines += 1
            }
            var off = start
            while off < end {
                let n = write(fd, buffer.baseAddress! + off, end - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                off += n
            }
            if off == end { sent += UInt64(lines) } else { dropped += UInt64(lines) }
            start = end
            k += lines
        }
    }
}

/// One worker's pending lines for a ring: handed over under the ring's lock once per turn.
final class RingBatch {
    let ring: LogRing
    let buffer: UnsafeMutableRawBufferPointer
    var used = 0
    var lines: [(offset: Int, length: Int)] = []

    init(ring: LogRing, longestLine: Int) {
        self.ring = ring
        buffer = .allocate(byteCount: max(64 * 1024, 4 * longestLine), alignment: 16)
        lines.reserveCapacity(256)
    }

    deinit { buffer.deallocate() }

    func reserve(_ lineCapacity: Int) -> UnsafeMutableRawBufferPointer? {
        if buffer.count - used < lineCapacity { flush() }
        guard buffer.count - used >= lineCapacity else { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + lineCapacity])
    }

    func commit(length: Int) {
        lines.append((used, length))
        used += length
    }

    func flush() {
        defer { used = 0; lines.removeAll(keepingCapacity: true) }
        guard !lines.isEmpty else { return }
        lines.withUnsafeBufferPointer { ring.append(UnsafeRawBufferPointer(buffer), $0) }
    }
}
