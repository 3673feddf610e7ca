/// The `;csv` stats output: HAProxy 2.6.12's exact columns (captured from Debian's build,
/// 128 names after `# `), one row per frontend, server and backend, every line ending with `,`.
/// Counters we do not keep (compression, cache, SSL, H2, timing averages) are reported as 0
/// where HAProxy reports a number, so that parsers keep their types.
public enum StatsCSV {
    public static let columns: [String] = "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out".split(separator: ",").map(String.init)

    static let index: [String: Int] = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })

    public static var header: String { "# " + columns.joined(separator: ",") + ",\n" }

    /// Mux statistics HAProxy fills with numbers on frontend/backend rows.
    static let muxColumns = ["ssl_sess", "ssl_reused_sess", "ssl_failed_handshake",
        "h2_headers_rcvd", "h2_data_rcvd", "h2_settings_rcvd", "h2_rst_stream_rcvd", "h2_goaway_rcvd",
        "h2_detected_conn_protocol_errors", "h2_detected_strm_protocol_errors", "h2_rst_stream_resp",
        "h2_goaway_resp", "h2_open_connections", "h2_backend_open_streams", "h2_total_connections",
        "h2_backend_total_streams", "h1_open_connections", "h1_open_streams", "h1_total_connections",
        "h1_total_streams", "h1_bytes_in", "h1_bytes_out", "h1_spliced_bytes_in", "h1_spliced_bytes_out"]

    /// One CSV row under construction. A cell that was assigned (even "") is present: the
    /// typed and JSON dumps print exactly the present cells, as HAProxy prints set fields.
    struct Row {
        var cells = [String](repeating: "", count: StatsCSV.columns.count)
        var present = [Bool](repeating: false, count: StatsCSV.columns.count)
        var objectType = StatObjectType.frontend
        subscript(_ name: String) -> String {
            get { cells[StatsCSV.index[name]!] }
            set { let i = StatsCSV.index[name]!; cells[i] = newValue; present[i] = true }
        }
        mutating func set(_ names: [String], _ value: String) { for n in names { self[n] = value } }
        var line: String { cells.joined(separator: ",") + ",\n" }
    }

    /// Which rows a dump shows and how (the stats page's `;up` and `scope=`, the CLI's
    /// `show stat [<iid> <type> <sid>] [up] [no-maint]`).
    public struct Options: Sendable {
        /// `;up` / `up`: leave out servers that are DOWN or in maintenance.
        public var hideDown = false
        /// `no-maint`: leave out servers in maintenance.
        public var hideMaintenance = false
        /// addr, cookie and algo columns (`stats show-legends`, CLI at operator level or above).
        public var legends = false
        /// `scope=TEXT`: only proxies whose name contains TEXT, ignoring case (HAProxy's strnistr).
        public var scope: String? = nil
        /// `stats scope` lines of the page's section: only these proxies (empty: all).
        public var proxies: [String] = []
        /// `show stat <iid> <type> <sid>`: proxy id (-1: any), type mask (1 frontend, 2 backend,
        /// 4 server, 8 listener; -1: all) and server id (-1: any; a listener's id for listeners).
        public var proxyID = -1
        public var typeMask = -1
        public var serverID = -1
        public init() {}
    }

    /// The whole CSV document. `hideDown` implements `;up` (DOWN servers left out).
    public static func render(_ m: StatsModel, hideDown: Bool = false) -> String {
        var o = Options()
        o.hideDown = hideDown
        return render(m, options: o)
    }

    public static func render(_ m: StatsModel, options: Options) -> String {
        var out = header
        for r in rows(m, options: options) { out += r.line }
        return out
    }

    /// The rows of a dump, in HAProxy's order: per proxy, frontend, servers, backend.
    static func rows(_ m: StatsModel, options o: Options) -> [Row] {
        var out: [Row] = []
        for (pi, p) in m.configuration.proxies.enumerated() {
            if let scope = o.scope, !scope.isEmpty, !p.name.lowercased().contains(scope.lowercased()) { continue }
            if !o.proxies.isEmpty && !o.proxies.contains(p.name) { continue }
            if o.proxyID != -1 && m.proxyID(p.name) != o.proxyID { continue }
            if p.isFrontend && o.typeMask & 1 != 0 { out.append(frontendRow(m, p)) }
            if p.isFrontend && o.typeMask & 8 != 0 {
                for l in m.counters.layout.listeners where l.proxy == pi && (o.serverID == -1 || l.id == o.serverID) {
                    var r = listenerRow(m, p, l)
                    if o.legends { r["addr"] = l.addressText(bound: m.listenerAddresses[l.listener]) }
                    out.append(r)
                }
            }
            if p.isBackend, let b = m.states.backendIndex(named: p.name) {
                if o.typeMask & 4 != 0 {
                    let ids = ObjectIDs.servers(p)
                    for (sid, slot) in m.states.listedPositions(backend: b) {
                        if o.serverID != -1 && ids[sid] != o.serverID { continue }
                        let v = m.states.view(slot, nowMs: m.nowMs)
                        if o.hideMaintenance && v.maintenance { continue }
                        if o.hideDown && !m.states.isUp(slot) { continue }
                        var r = serverRow(m, p, slot: slot, sid: sid + 1)
                        if o.legends {
                            let s = p.servers[sid]
                            r["addr"] = m.serverAddress(slot) ?? "\(s.host):\(s.port)"
                            if let c = s.cookie { r["cookie"] = c }
                        }
                        out.append(r)
                    }
                }
                if o.typeMask & 2 != 0 {
                    var r = backendRow(m, p, index: b)
                    if o.hideDown || o.hideMaintenance {
                        // HAProxy then says how many servers are up: `UP (2/3)`.
                        let list = m.states.listedServers(backend: b)
                        r["status"] += " (\(list.filter { m.states.isUp($0) }.count)/\(list.count))"
                    }
                    if o.legends {
                        if let c = p.cookie { r["cookie"] = c.name }
                        r["algo"] = algorithmName(p.balance)
                    }
                    out.append(r)
                }
            }
        }
        return out
    }

    /// HAProxy's `algo` column.
    static func algorithmName(_ b: BalanceAlgorithm) -> String {
        switch b {
        case .roundRobin: return "roundrobin"
        case .staticRoundRobin: return "static-rr"
        case .leastConn: return "leastconn"
        case .source: return "source"
        case .uri: return "uri"
        case .urlParam: return "url_param"
        case .header: return "hdr"
        case .random: return "unknown"      // HAProxy 2.6's name table lacks random
        case .first: return "first"
        case .rdpCookie: return "rdp-cookie"
        }
    }

    static func common(_ r: inout Row, _ m: StatsModel, _ c: CountersSnapshot, row: Int) {
        r["scur"] = "\(c[row, .scur])"; r["smax"] = "\(c[row, .smax])"; r["stot"] = "\(c[row, .stot])"
        r["bin"] = "\(c[row, .bin])"; r["bout"] = "\(c[row, .bout])"
        r["dresp"] = "\(c[row, .dresp])"
        r["rate"] = "\(c.rate(row))"; r["rate_max"] = "\(c[row, .rateMax])"
        r["pid"] = "\(m.processNumber)"
    }

    static func httpResponses(_ r: inout Row, _ c: CountersSnapshot, row: Int) {
        r["hrsp_1xx"] = "\(c[row, .hrsp1xx])"; r["hrsp_2xx"] = "\(c[row, .hrsp2xx])"
        r["hrsp_3xx"] = "\(c[row, .hrsp3xx])"; r["hrsp_4xx"] = "\(c[row, .hrsp4xx])"
        r["hrsp_5xx"] = "\(c[row, .hrsp5xx])"; r["hrsp_other"] = "\(c[row, .hrspOther])"
    }

    static func lastSession(_ m: StatsModel, _ c: CountersSnapshot, row: Int) -> String {
        let last = c[row, .lastSessionSecond]
        return last == 0 ? "-1" : "\(m.nowSecond >= last ? m.nowSecond - last : 0)"
    }

    static func splicedBytes(_ r: inout Row, _ c: CountersSnapshot, row: Int) {
        r["h1_spliced_bytes_in"] = "\(c[row, .h1SplicedIn])"; r["h1_spliced_bytes_out"] = "\(c[row, .h1SplicedOut])"
    }

    static func frontendRow(_ m: StatsModel, _ p: ProxyConfig) -> Row {
        let c = m.counters
        let row = c.layout.frontendRows[p.name]!
        var r = Row()
        r.objectType = .frontend
        r["pxname"] = p.name; r["svname"] = "FRONTEND"
        common(&r, m, c, row: row)
        r["slim"] = "\(m.frontendMaxconn(p))"
        r["dreq"] = "\(c[row, .dreq])"; r["ereq"] = "\(c[row, .ereq])"
        r["status"] = m.pausedFrontends.contains(p.name) ? "PAUSED" : "OPEN"
        r["iid"] = "\(m.proxyID(p.name))"; r["sid"] = "0"; r["type"] = "0"
        r["rate_lim"] = "0"
        r["req_rate"] = "\(c.requestRate(row))"; r["req_rate_max"] = "\(c[row, .reqRateMax])"
        r["req_tot"] = "\(c[row, .reqTot])"
        r["mode"] = p.mode.rawValue
        r["conn_rate"] = "\(c.rate(row))"; r["conn_rate_max"] = "\(c[row, .rateMax])"
        r["conn_tot"] = "\(c[row, .connTot])"
        r.set(["comp_in", "comp_out", "comp_byp", "comp_rsp", "dcon", "dses", "wrew", "eint"], "0")
        if p.mode == .http {
            httpResponses(&r, c, row: row)
            r["intercepted"] = "\(c[row, .intercepted])"
            r.set(["cache_lookups", "cache_hits"], "0")
        }
        r["-"] = "-"
        r.set(muxColumns, "0")
        splicedBytes(&r, c, row: row)
        return r
    }

    /// A listener's row (`option socket-stats`): the frontend's session, byte and error
    /// counters for the connections this listener accepted, as HAProxy 2.6 fills them.
    static func listenerRow(_ m: StatsModel, _ p: ProxyConfig, _ l: StatsListener) -> Row {
        let c = m.counters
        let row = l.row
        var r = Row()
        r.objectType = .listener
        r["pxname"] = p.name; r["svname"] = l.name
        r["scur"] = "\(c[row, .scur])"; r["smax"] = "\(c[row, .smax])"; r["stot"] = "\(c[row, .stot])"
        r["bin"] = "\(c[row, .bin])"; r["bout"] = "\(c[row, .bout])"
        r["dreq"] = "\(c[row, .dreq])"; r["dresp"] = "\(c[row, .dresp])"; r["ereq"] = "\(c[row, .ereq])"
        let maxconn = l.bind.options.maxconn ?? 0
        r["slim"] = "\(maxconn)"
        r["status"] = listenerStatus(maxconn: maxconn, current: c[row, .scur])
        r["pid"] = "\(m.processNumber)"
        r["iid"] = "\(m.proxyID(p.name))"; r["sid"] = "\(l.id)"; r["type"] = "3"
        r["mode"] = p.mode.rawValue
        r.set(["dcon", "dses", "wrew", "eint"], "0")
        r["-"] = "-"
        r.set(["ssl_sess", "ssl_reused_sess", "ssl_failed_handshake"], "0")
        return r
    }

    /// HAProxy's get_li_status: FULL once the listener's own maxconn is reached, else OPEN
    /// (WAITING is a listener held by a global limit, which ringproxy leaves to the kernel's backlog).
    static func listenerStatus(maxconn: Int, current: UInt64) -> String {
        maxconn > 0 && current >= UInt64(maxconn) ? "FULL" : "OPEN"
    }

    static func serverRow(_ m: StatsModel, _ p: ProxyConfig, slot: Int, sid: Int) -> Row {
        let c = m.counters
        let row = c.layout.serverRow(slot)
        let info = m.states.servers[slot]
        let v = m.states.view(slot, nowMs: m.nowMs)
        var r = Row()
        r.objectType = .server
        r["pxname"] = p.name; r["svname"] = m.states.name(slot)
        common(&r, m, c, row: row)
        r["qcur"] = "\(c[row, .qcur])"; r["qmax"] = "\(c[row, .qmax])"
        if let mc = m.serverMaxconnOverride[slot] ?? p.servers[sid - 1].maxconn, mc > 0 { r["slim"] = "\(mc)" }
        // HAProxy fills these only when configured: `maxqueue` and `pool-max-conn` (-1: no limit).
        if let q = p.servers[sid - 1].options.maxqueue, q > 0 { r["qlimit"] = "\(q)" }
        if let n = p.servers[sid - 1].options.poolMaxConn, n >= 0 { r["src_ilim"] = "\(n)" }
        r["econ"] = "\(c[row, .econ])"; r["eresp"] = "\(c[row, .eresp])"
        r["wretr"] = "\(c[row, .wretr])"; r["wredis"] = "\(c[row, .wredis])"
        r["status"] = m.states.statusWord(slot)
        r["weight"] = "\(m.states.roster.initialEffectiveWeight(slot) ?? v.userWeight)"; r["uweight"] = "\(v.userWeight)"
        r["act"] = info.backup ? "0" : "1"; r["bck"] = info.backup ? "1" : "0"
        r["lastchg"] = "\(v.lastChangeSeconds)"
        r["iid"] = "\(m.proxyID(p.name))"; r["sid"] = "\(ObjectIDs.servers(p)[sid - 1])"; r["type"] = "2"
        r["lbtot"] = "\(c[row, .lbtot])"
        if let t = m.states.tracked(slot) { r["tracked"] = "\(m.states.servers[t].proxyName)/\(m.states.name(t))" }
        r["cli_abrt"] = "\(c[row, .cliAbrt])"; r["srv_abrt"] = "\(c[row, .srvAbrt])"
        r["lastsess"] = lastSession(m, c, row: row)
        // A dynamic server's check counters show while its check is enabled, its results
        // while it is not paused either (HAProxy's CHK_ST_ENABLED / CHK_ST_PAUSED).
        let dynamic = m.states.roster.reserved[slot]
        if dynamic ? v.checkEnabled : info.checked && !info.disabled {
            r["chkfail"] = "\(v.checkFailures)"; r["chkdown"] = "\(v.downTransitions)"
            r["downtime"] = "\(v.downtimeSeconds)"
        }
        if m.states.showsCheckColumns(slot) {
            let (rise, fall) = m.states.riseFall(slot)
            r["check_status"] = v.lastCheck.code
            if v.lastCheck.hasCode { r["check_code"] = "\(v.checkCode)" }
            if v.lastCheck != .none { r["check_duration"] = "\(max(0, v.checkDurationMs))" }
            r["check_desc"] = v.lastCheck.description
            r["last_chk"] = m.states.lastCheckInfo(slot)
            r["check_rise"] = "\(rise)"; r["check_fall"] = "\(fall)"; r["check_health"] = "\(v.health)"
        }
        if p.mode == .http {
            httpResponses(&r, c, row: row)
            r["req_tot"] = "\(c[row, .reqTot])"
        }
        r.set(["qtime", "ctime", "rtime", "ttime", "wrew", "connect", "reuse", "srv_icur", "qtime_max", "ctime_max",
               "rtime_max", "ttime_max", "eint", "idle_conn_cur", "safe_conn_cur", "used_conn_cur", "need_conn_est"], "0")
        times(&r, c, row: row)
        r["connect"] = "\(c[row, .stot])"
        r["mode"] = p.mode.rawValue
        r["-"] = "-"
        r.set(["ssl_sess", "ssl_reused_sess", "ssl_failed_handshake"], "0")
        return r
    }

    /// qtime/ctime/rtime/ttime (averages over the last 512 requests) and their maxima.
    static func times(_ r: inout Row, _ c: CountersSnapshot, row: Int) {
        for (name, sum, mx) in [("qtime", CounterField.qtimeSum, CounterField.qtimeMax), ("ctime", .ctimeSum, .ctimeMax),
                                ("rtime", .rtimeSum, .rtimeMax), ("ttime", .ttimeSum, .ttimeMax)] {
            r[name] = "\(c.averageTime(row, sum))"; r[name + "_max"] = "\(c[row, mx])"
        }
    }

    static func backendRow(_ m: StatsModel, _ p: ProxyConfig, index: Int) -> Row {
        let c = m.counters
        let row = c.layout.backendRows[p.name]!
        let v = m.states.backendView(index, nowMs: m.nowMs)
        let w = m.backendWeight(index)
        var r = Row()
        r.objectType = .backend
        r["pxname"] = p.name; r["svname"] = "BACKEND"
        common(&r, m, c, row: row)
        r["qcur"] = "\(c[row, .qcur])"; r["qmax"] = "\(c[row, .qmax])"
        r["slim"] = "\(m.backendFullconn(p))"
        r["dreq"] = "\(c[row, .dreq])"
        r["econ"] = "\(c[row, .econ])"; r["eresp"] = "\(c[row, .eresp])"
        r["wretr"] = "\(c[row, .wretr])"; r["wredis"] = "\(c[row, .wredis])"
        r["status"] = m.backendStatus(p, index: index)
        r["weight"] = "\(w.weight)"; r["uweight"] = "\(w.weight)"
        r["act"] = "\(w.active)"; r["bck"] = "\(w.backup)"
        r["chkdown"] = "\(v.downTransitions)"
        r["lastchg"] = "\(v.lastChangeSeconds)"
        if !m.states.listedServers(backend: index).isEmpty { r["downtime"] = "\(v.downtimeSeconds)" }
        r["iid"] = "\(m.proxyID(p.name))"; r["sid"] = "0"; r["type"] = "1"
        r["lbtot"] = "\(c[row, .lbtot])"
        r["cli_abrt"] = "\(c[row, .cliAbrt])"; r["srv_abrt"] = "\(c[row, .srvAbrt])"
        r["lastsess"] = lastSession(m, c, row: row)
        if p.mode == .http {
            httpResponses(&r, c, row: row)
            r["req_tot"] = "\(c[row, .reqTot])"
            r.set(["cache_lookups", "cache_hits"], "0")
        }
        r.set(["comp_in", "comp_out", "comp_byp", "comp_rsp", "qtime", "ctime", "rtime", "ttime", "wrew", "reuse",
               "qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint",
               "agg_server_status", "agg_server_check_status", "agg_check_status"], "0")
        times(&r, c, row: row)
        r["connect"] = "\(c[row, .stot])"
        r["mode"] = p.mode.rawValue
        r["-"] = "-"
        r.set(muxColumns, "0")
        splicedBytes(&r, c, row: row)
        return r
    }
}
