import Glibc

/// `struct mmsghdr` and `sendmmsg(2)`: Glibc declares them only under _GNU_SOURCE, which the
/// Swift importer does not see, so the layout is mirrored here (checked at first use) and the
/// function is looked up once with dlsym.
struct MultiMessageHeader {
    var msg_hdr: msghdr
    var msg_len: UInt32
}

enum SendMany {
    typealias Fn = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32

    static let function: Fn? = {
        // C: sizeof(struct mmsghdr) == 64 on LP64 (56-byte msghdr + 4, padded to 8).
        precondition(MemoryLayout<MultiMessageHeader>.stride == 64)
        guard let p = dlsym(nil, "sendmmsg") else { return nil }
        return unsafeBitCast(p, to: Fn.self)
    }()

    /// Sends `count` datagrams; returns how many the kernel took, or -1 with errno set.
    static func send(_ fd: Int32, _ headers: UnsafeMutablePointer<MultiMessageHeader>, _ count: Int, flags: Int32) -> Int {
        if let f = function { return Int(f(fd, headers, UInt32(count), flags)) }
        // Fallback without sendmmsg: one sendmsg per datagram.
        var n = 0
        while n < count {
            if sendmsg(fd, &headers[n].msg_hdr, flags) < 0 { return n == 0 ? -1 : n }
            n += 1
        }
        return n
    }
}
