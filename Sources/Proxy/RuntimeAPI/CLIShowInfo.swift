// `show info [typed|json] [desc] [float]`: the process facts, HAProxy 2.6.12's fields in its
// order. Values ringproxy has no equivalent for (SSL, compression, pools, peers) are 0, so
// parsers keep their types; empty ones (description) are left out as HAProxy does.
#if canImport(Glibc)
import Glibc
#endif

/// The version strings ringproxy reports where HAProxy reports its own.
public enum ProductIdentity {
    /// HAProxy's version it behaves as, with ringproxy's after a dash (parsers that read
    /// the leading `2.6.12` keep working).
    public static var version: String { "2.6.12-ringproxy-\(ringproxyVersion)" }
    public static let releaseDate = "2023/03/28"
}

extension RuntimeControl {
    /// The `show info` values, by field name.
    func infoValues(nowWallMs: Int64 = WallClock.nowMs()) -> [String: FieldValue] {
        let m = handler.statsModel()
        let c = m.counters
        var cumConns = 0, cumReq = 0, bytesOut = 0, connRate = 0, connRateMax = 0
        for (_, row) in c.layout.frontendRows {
            cumConns += Int(c[row, .connTot]); cumReq += Int(c[row, .reqTot]); bytesOut += Int(c[row, .bout])
            connRate += Int(c.rate(row)); connRateMax = max(connRateMax, Int(c[row, .rateMax]))
        }
        let cli = cliConnections.load(ordering: .relaxed)
        let receivedLogs = logRelays.withLock { $0.reduce(0) { $0 + $1.received.load(ordering: .relaxed) } }
        cumConns += cli; cumReq += cli
        let up = Int(max(0, nowWallMs - startWallMs) / 1000)
        var rl = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
        let ulimit = Int(min(rl.rlim_cur, UInt(Int32.max)))
        let s = settings.withLock { $0 }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let listeners = configuration.proxies.reduce(0) { $0 + ($1.isFrontend ? $1.binds.count : 0) } + sockets.count
        let current = engine?.activeConnections ?? 0
        var v: [String: FieldValue] = [
            "Name": .str("HAProxy"), "Version": .str(ProductIdentity.version), "Release_date": .str(ProductIdentity.releaseDate),
            "Nbthread": .u32(workers), "Nbproc": .u32(1), "Process_num": .u32(1), "Pid": .u32(Int(pid)),
            "Uptime": .str(Self.uptimeText(up)), "Uptime_sec": .u32(up),
            "Memmax_MB": .u32(0), "PoolAlloc_MB": .u32(0), "PoolUsed_MB": .u32(0), "PoolFailed": .u32(0),
            "Ulimit-n": .u32(ulimit), "Maxsock": .u32(ulimit), "Maxconn": .u32(s.maxconn), "Hard_maxconn": .u32(configuration.global.maxconn ?? 4096),
            "CurrConns": .u32(current), "CumConns": .u32(cumConns), "CumReq": .u32(cumReq), "CumRecvLogs": .u32(receivedLogs),
            "ConnRate": .u32(connRate), "ConnRateLimit": .u32(s.connectionRateLimit), "MaxConnRate": .u32(connRateMax),
            "SslRateLimit": .u32(s.sslRateLimit), "CompressBpsRateLim": .u32(s.compressionRateLimit),
            "SessRate": .u32(connRate), "SessRateLimit": .u32(s.sessionRateLimit), "MaxSessRate": .u32(connRateMax),
            "node": .str(CText.string(host)),
            "Stopping": .u32(s.stopping ? 1 : 0), "Jobs": .u32(current + listeners), "Unstoppable Jobs": .u32(0),
            "Listeners": .u32(listeners),
            "TotalBytesOut": .u64(bytesOut), "TotalSplicdedBytesOut": .u64(0), "BytesOutRate": .u64(0),
            "Build info": .str("ringproxy \(ringproxyVersion)"),
            "Start_time_sec": .u32(Int(startWallMs / 1000)), "Tainted": .str("0"),
            "Tasks": .u32(workers + 2), "Run_queue": .u32(0), "Idle_pct": .u32(100),
            "ActivePeers": .u32(m.peers?.activePeers ?? 0), "ConnectedPeers": .u32(m.peers?.connectedPeers ?? 0),
        ]
        for f in InfoFields.all where v[f.name] == nil {
            v[f.name] = f.type == .u64 ? .u64(0) : f.type == .str ? .str("") : .u32(0)
        }
        return v
    }

    /// `0d 0h04m01s`
    static func uptimeText(_ s: Int) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(s / 86400)d \(s / 3600 % 24)h\(two(s / 60 % 60))m\(two(s % 60))s"
    }

    func showInfo(_ r: CLIRequest) -> CLIReply {
        var typed = false, json = false, desc = false
        for w in r.words.dropFirst(2) {
            switch w {
            case "typed": typed = true; json = false
            case "json": json = true; typed = false
            case "desc": desc = true
            default: break
            }
        }
        let values = infoValues()
        var out = ""
        if json {
            var items: [String] = []
            for f in InfoFields.all {
                guard let v = values[f.name], !(v.type == .str && v.text.isEmpty) else { continue }
                items.append("{\"field\":{\"pos\":\(f.pos),\"name\":\"\(f.name)\"},\"processNum\":1,\"tags\":\(f.tags.json),\"value\":\(v.json)}")
            }
            return .dump("[" + items.joined(separator: ",") + "]\n")
        }
        for f in InfoFields.all {
            guard let v = values[f.name], !(v.type == .str && v.text.isEmpty) else { continue }
            if typed { out += "\(f.pos).\(f.name).1:\(f.tags.letters):\(f.type.rawValue):\(v.text)" }
            else { out += "\(f.name): \(v.text)" }
            if desc { out += ":\"\(f.desc)\"" }
            out += "\n"
        }
        return .dump(out)
    }
}
