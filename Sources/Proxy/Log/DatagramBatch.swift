import Glibc

/// One worker's pending datagrams for one socket (UDP over IPv4 or IPv6, or UNIX datagram):
/// frames are written into a preallocated arena and described by msghdrs, all sent at once by
/// `flush` — through the worker's io_uring when the runtime attached it (`ringSend`), else
/// with one `sendmmsg(MSG_DONTWAIT)`. What the kernel does not take is dropped, as HAProxy
/// drops on EAGAIN. Owned by one thread.
final class DatagramBatch {
    let fd: Int32
    let capacity: Int
    let arena: UnsafeMutableRawBufferPointer
    let iovecs: UnsafeMutablePointer<iovec>
    let headers: UnsafeMutablePointer<MultiMessageHeader>
    let names: UnsafeMutablePointer<sockaddr_storage>
    var pending = 0
    var used = 0
    var sent: UInt64 = 0
    var dropped: UInt64 = 0

    /// `longestFrame`: the largest frame a logger may produce (len + 1).
    init?(family: Int32, capacity: Int, longestFrame: Int) {
        fd = socket(family, Int32(Glibc.SOCK_DGRAM.rawValue) | Int32(Glibc.SOCK_NONBLOCK.rawValue) | Int32(Glibc.SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var zero: Int32 = 0      // nothing is ever received on it
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &zero, socklen_t(MemoryLayout<Int32>.size))
        self.capacity = capacity
        arena = .allocate(byteCount: max(64 * 1024, 4 * longestFrame), alignment: 16)
        iovecs = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
        names = .allocate(capacity: capacity)
    }

    deinit {
        close(fd)
        arena.deallocate(); iovecs.deallocate(); headers.deallocate(); names.deallocate()
    }

    /// Room for a frame of up to `frameCapacity` bytes, flushing first when full.
    func reserve(_ frameCapacity: Int, ringSend: RingSend?) -> UnsafeMutableRawBufferPointer? {
        if pending == capacity || arena.count - used < frameCapacity { flush(ringSend) }
        guard arena.count - used >= frameCapacity else { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: arena[used..<used + frameCapacity])
    }

    /// Queues the `length` bytes just written at the reserved place for `address`.
    func commit(length: Int, to address: SocketAddress) {
        let base = arena.baseAddress! + used
        used += length
        names[pending] = address.storage
        iovecs[pending] = iovec(iov_base: base, iov_len: length)
        headers[pending] = MultiMessageHeader(msg_hdr: msghdr(), msg_len: 0)
        headers[pending].msg_hdr.msg_name = UnsafeMutableRawPointer(names + pending)
        headers[pending].msg_hdr.msg_namelen = address.length
        headers[pending].msg_hdr.msg_iov = iovecs + pending
        headers[pending].msg_hdr.msg_iovlen = 1
        pending += 1
    }

    /// Sends everything queued. Never blocks.
    func flush(_ ringSend: RingSend?) {
        defer { pending = 0; used = 0 }
        guard pending > 0 else { return }
        if let ringSend {
            let n = ringSend(fd, UnsafeMutableRawPointer(headers), MemoryLayout<MultiMessageHeader>.stride, pending)
            sent += UInt64(n)
            dropped += UInt64(pending - n)
            return
        }
        var start = 0
        while start < pending {
            let n = SendMany.send(fd, headers + start, pending - start, flags: Int32(MSG_DONTWAIT))
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                // EAGAIN (buffer full) or an error on this datagram: drop it and go on.
                dropped += 1
                start += 1
                continue
            }
            sent += UInt64(n)
            start += n
        }
    }
}

/// How a worker hands a batch of msghdrs to its io_uring: (socket, first header, header stride,
/// count) → datagrams queued.
public typealias RingSend = (Int32, UnsafeMutableRawPointer, Int, Int) -> Int
