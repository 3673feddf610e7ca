// `unix@PATH` and `abns@NAME` as a sockaddr_un, for servers the engine connects to. An
// abstract name is padded with zeros to the whole sun_path, as HAProxy does, so that a
// HAProxy listening on `abns@NAME` is found.

#if canImport(Glibc)
import Glibc
#endif

struct UnixSocketAddress {
    var address = sockaddr_un()
    var length: socklen_t

    init?(_ text: String) {
        let abstract: Bool
        let name: String
        if text.hasPrefix("unix@") { abstract = false; name = String(text.dropFirst(5)) }
        else if text.hasPrefix("abns@") { abstract = true; name = String(text.dropFirst(5)) }
        else { return nil }
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count < 107 else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i + (abstract ? 1 : 0)] = b }
        }
        length = abstract ? socklen_t(MemoryLayout<sockaddr_un>.size) : socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
    }
}
