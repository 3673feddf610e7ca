// The `addr` of a listener row whose socket was inherited (`fd@N`): HAProxy prints the address
// the socket is bound to, which only the socket knows. Read once per socket, when the stats
// model is built (a getsockname per inherited listener; none without `option socket-stats`).

enum ListenerBoundAddresses {
    /// Engine listener index → `A.B.C.D:P`, `[v6]:P` or `unix`, for the inherited listeners
    /// that have a statistics row.
    static func read(_ listeners: [StatsListener]) -> [Int: String] {
        var out: [Int: String] = [:]
        for l in listeners {
            guard case .inheritedFD(let fd) = l.bind.address else { continue }
            let probe = StatsSocketConfig(address: .inheritedFD(fd), location: l.bind.location)
            let name = RuntimeAPIServer.displayName(fd: fd, probe)
            if name.hasPrefix("ipv4@") || name.hasPrefix("ipv6@") { out[l.listener] = String(name.dropFirst(5)) }
            else if name.hasPrefix("unix@") || name.hasPrefix("abns@") { out[l.listener] = "unix" }
        }
        return out
    }
}
