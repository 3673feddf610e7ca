// `show sess [id|all]`, `shutdown session ID`, `shutdown sessions server B/S`: the workers list
// and close their own connections (mailbox jobs); a session's id encodes its worker, slot and
// generation, printed like HAProxy's stream pointer.
#if canImport(Glibc)
import Glibc
#endif
import CUring

extension RuntimeControl {
    struct SessionID: Equatable {
        var worker: Int
        var slot: UInt32
        var gen: UInt32
        var value: UInt64 { UInt64(worker & 0xff) << 56 | UInt64(gen & 0xff_ffff) << 32 | UInt64(slot) }
        init(worker: Int, slot: UInt32, gen: UInt32) { self.worker = worker; self.slot = slot; self.gen = gen }
        init?(_ text: String) {
            // strtoul(text, 0): 0x hex, 0 octal, else decimal.
            let v: UInt64?
            if text.hasPrefix("0x") || text.hasPrefix("0X") { v = UInt64(text.dropFirst(2), radix: 16) }
            else { v = UInt64(text) }
            guard let v, v != 0 else { return nil }
            worker = Int(v >> 56); gen = UInt32((v >> 32) & 0xff_ffff); slot = UInt32(v & 0xffff_ffff)
        }
    }

    /// Every worker's open client connections, tagged with the worker.
    func allConnections() -> [(worker: Int, info: rp_conn_info)] {
        guard let engine, let mailbox else { return [] }
        let lists = mailbox.gather { w in engine.connections(worker: w).map { (w, $0) } } ?? []
        return lists.flatMap { $0 }
    }

    static func addressText(_ ss: sockaddr_storage) -> (proto: String, text: String) {
        var s = ss
        switch Int32(s.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &s) { raw in
                var sin = raw.load(as: sockaddr_in.self)
                var buf = [CChar](repeating: 0, count: 32)
                inet_ntop(AF_INET, &sin.sin_addr, &buf, 32)
                return ("tcpv4", "\(CText.string(buf)):\(UInt16(bigEndian: sin.sin_port))")
            }
        case AF_INET6:
            return withUnsafeBytes(of: &s) { raw in
                var sin6 = raw.load(as: sockaddr_in6.self)
                var buf = [CChar](repeating: 0, count: 64)
                inet_ntop(AF_INET6, &sin6.sin6_addr, &buf, 64)
                return ("tcpv6", "\(CText.string(buf)):\(UInt16(bigEndian: sin6.sin6_port))")
            }
        default:
            return ("unix_stream", "unix:1")
        }
    }

    /// One line in HAProxy's `show sess` shape (ringproxy has no stream flags or tasks: those
    /// fields are printed empty or 0).
    func sessionLine(_ w: Int, _ c: rp_conn_info) -> String {
        let id = SessionID(worker: w, slot: c.slot, gen: c.gen).value
        let (proto, src) = Self.addressText(c.client)
        let fe = handler.frontendPlans.indices.contains(Int(c.frontend)) ? handler.frontendPlans[Int(c.frontend)].name : "<NONE>"
        var be = "<NONE>", srv = "<none>"
        if c.server >= 0, Int(c.server) < states.servers.count {
            let info = states.servers[Int(c.server)]
            be = info.proxyName; srv = states.name(Int(c.server))
        }
        let age = StatsHTML.duration(Int(max(0, c.age_ms) / 1000))
        let exp = c.cdl_ms >= 0 ? StatsHTML.duration(Int(c.cdl_ms / 1000)) : ""
        return "0x\(String(id, radix: 16)): proto=\(proto) src=\(src) fe=\(fe) be=\(be) srv=\(srv) ts=00 epoch=0 age=\(age) calls=\(c.req_index + 1) rate=0 cpu=0 lat=0 "
            + "rq[f=0h,i=0,an=00h,rx=,wx=,ax=] rp[f=0h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=\(c.cli_fd)] scb=[8,0h,fd=\(c.srv_fd)] exp=\(exp) rc=0 c_exp=\n"
    }

    func showSessions(_ arg: String) -> CLIReply {
        let conns = allConnections()
        if !arg.isEmpty && arg != "all" {
            guard let id = SessionID(arg), let c = conns.first(where: { $0.worker == id.worker && $0.info.slot == id.slot && $0.info.gen == id.gen }) else {
                return .dump("Session not found.\n")
            }
            return .dump(sessionLine(c.worker, c.info))
        }
        return .dump(conns.map { sessionLine($0.worker, $0.info) }.joined())
    }

    func shutdownSession(_ arg: String) -> CLIReply {
        guard let id = SessionID(arg) else { return .error("Session pointer expected (use 'show sess').\n") }
        guard let engine, let mailbox, id.worker < workers else { return .error("No such session (use 'show sess').\n") }
        let done = mailbox.gather { w in w == id.worker ? engine.kill(worker: w, slot: id.slot, generation: id.gen) : false } ?? []
        return done.contains(true) ? .none : .error("No such session (use 'show sess').\n")
    }

    func shutdownServerSessions(_ arg: String) -> CLIReply {
        switch findServer(arg) {
        case .failure(let e): return e.reply
        case .success(let (_, slot)):
            if let engine, let mailbox { _ = mailbox.gather { w in engine.killServerSessions(worker: w, server: slot) } }
            return .none
        }
    }
}
