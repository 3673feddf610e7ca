#if canImport(Glibc)
import Glibc
#endif
/// The human stats page: HAProxy's layout (one table per proxy, its column groups and state
/// colours) in a page that also reads well on a phone (tables scroll sideways with the name
/// column pinned, dark mode follows the system). Refreshing is done by the `refresh` header.
public enum StatsHTML {
    /// `admin`: the `stats admin` condition matched, so backends get the action form.
    public static func render(_ m: StatsModel, request: StatsRequest, config: StatsConfig, admin: Bool = false) -> String {
        var h = head(m, config: config)
        h += "<main>\n"
        h += summary(m, request: request, config: config)
        h += StatsAdminHTML.statusMessage(request, config: config)
        for p in m.configuration.proxies {
            // `scope=`: HAProxy's case-insensitive substring match on the proxy name.
            if let scope = request.scope, !p.name.lowercased().contains(scope.lowercased()) { continue }
            // `stats scope`: the section's own list, exact names (HAProxy's stat_scope).
            if !config.scopes.isEmpty && !config.scopes.contains(p.name) { continue }
            h += proxyTable(m, p, request: request, form: admin && p.isBackend && m.hasListedServers(p) ? config : nil)
        }
        h += legend
        h += "</main></body></html>\n"
        return h
    }

    static func esc(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }

    /// `1d2h`, `4m12s`, `0s`: HAProxy's human durations.
    public static func duration(_ seconds: Int) -> String {
        let d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60
        if d > 0 { return "\(d)d\(h)h" }
        if h > 0 { return "\(h)h\(m)m" }
        if m > 0 { return "\(m)m\(s)s" }
        return "\(s)s"
    }

    static func head(_ m: StatsModel, config: StatsConfig) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Statistics Report for HAProxy</title>
        <style>
        :root{--bg:#fff;--fg:#111;--muted:#666;--line:#ccc;--px:#b00040;--pxfg:#ffff40;--head:#20d0d0;--fe:#e8e8d0;
        --up:#c0ffc0;--down:#ff9090;--goup:#ffd020;--godown:#ffffa0;--bup:#b0d0ff;--bgoup:#ff80ff;--bgodown:#c060ff;--maint:#c07820;--nocheck:#e0e0e0}
        @media (prefers-color-scheme:dark){:root{--bg:#131516;--fg:#e8e6e3;--muted:#9a948a;--line:#444;--px:#8d0033;--pxfg:#ffff46;--head:#1aa6a6;--fe:#2f3437;
        --up:#165900;--down:#760000;--goup:#b99200;--godown:#6c6c00;--bup:#2e3a6a;--bgoup:#7f007f;--bgodown:#580092;--maint:#9a601a;--nocheck:#2a2d2f}}
        *{box-sizing:border-box}
        body{margin:0;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:var(--bg);color:var(--fg)}
        header{padding:12px 16px;border-bottom:3px solid var(--px)}
        header h1{margin:0;font-size:20px}
        header p{margin:4px 0 0;color:var(--muted)}
        main{padding:8px 12px 24px}
        .info{display:flex;flex-wrap:wrap;gap:8px 24px;margin:8px 0 16px}
        .info div{min-width:140px}.info b{display:block;font-size:11px;color:var(--muted);font-weight:600;text-transform:uppercase}
        nav a{display:inline-block;margin:0 12px 6px 0;color:inherit}
        section{margin:18px 0}
        section h2{display:inline-block;margin:0;padding:3px 10px;background:var(--px);color:var(--pxfg);font-size:15px;border-radius:4px 4px 0 0}
        .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line)}
        table{border-collapse:collapse;font-variant-numeric:tabular-nums;min-width:100%}
        th,td{border:1px solid var(--line);padding:3px 6px;white-space:nowrap;text-align:right}
        thead th{background:var(--head);color:#000;font-weight:600;text-align:center}
        th.name,td.name{position:sticky;left:0;text-align:left;background:inherit;z-index:1}
        thead th.name{background:var(--head)}
        tr.frontend,tr.backend{background:var(--fe);font-weight:600}
        tr.active_up{background:var(--up)} tr.active_down{background:var(--down)}
        tr.active_going_up{background:var(--goup)} tr.active_going_down{background:var(--godown)}
        tr.backup_up{background:var(--bup)} tr.backup_down{background:var(--down)}
        tr.backup_going_up{background:var(--bgoup)} tr.backup_going_down{background:var(--bgodown)}
        tr.maintain{background:var(--maint)} tr.no_check{background:var(--nocheck)}
        td.st{text-align:center}
        .msg{padding:6px 10px;margin:8px 0;border:1px solid var(--line)}.msg a{color:inherit;margin-right:6px}
        .msg.active_up{background:var(--up)}.msg.active_down{background:var(--down)}
        .msg.active_going_down{background:var(--godown)}.msg.active_no_check{background:var(--nocheck)}
        form.scope{margin:4px 0 8px}p.admin{margin:4px 0}td.ck{text-align:center}
        .legend{display:flex;flex-wrap:wrap;gap:6px;margin-top:20px}
        .legend span{padding:2px 8px;border:1px solid var(--line);border-radius:3px}
        </style></head><body>
        <header><h1>Statistics Report for HAProxy\(nodeAndDescription(m, config))\(config.hideVersion ? "" : " <small>(ringproxy, HAProxy \(esc(m.version)) compatible)</small>")</h1>
        <p>pid = \(m.pid) (process #\(m.processNumber)), uptime = \(duration(m.uptimeSeconds))</p></header>

        """
    }

    /// ` on NODE: DESCRIPTION` as HAProxy's title has them (`stats show-node`, `stats show-desc`).
    static func nodeAndDescription(_ m: StatsModel, _ config: StatsConfig) -> String {
        var out = ""
        if let n = config.showNode {
            out += " on " + esc(n.isEmpty ? (m.configuration.global.process.node ?? hostName()) : n)
        }
        if let d = config.showDescription {
            out += ": " + esc(d.isEmpty ? (m.configuration.global.process.description ?? "") : d)
        }
        return out
    }

    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func summary(_ m: StatsModel, request: StatsRequest, config: StatsConfig) -> String {
        var servers = 0, up = 0
        for s in m.states.servers.indices where m.states.roster.isListed(s) { servers += 1; if m.states.isUp(s) { up += 1 } }
        var cur: UInt64 = 0
        for (_, row) in m.counters.layout.frontendRows { cur += m.counters[row, .scur] }
        let base = esc(config.uri)
        let scope = esc(request.scopeQuery)
        var s = "<div class=\"info\">"
        s += "<div><b>Current conns</b>\(cur)</div><div><b>Servers up</b>\(up) / \(servers)</div>"
        s += "<div><b>Proxies</b>\(m.configuration.proxies.count)</div></div>\n<nav>"
        let upOpt = request.upOnly ? ";up" : "", quiet = request.noRefresh ? ";norefresh" : ""
        s += request.upOnly ? "<a href=\"\(base)\(quiet)\(scope)\">Show all servers</a>" : "<a href=\"\(base);up\(quiet)\(scope)\">Hide 'DOWN' servers</a>"
        if config.refresh != nil {
            s += request.noRefresh ? "<a href=\"\(base)\(upOpt)\(scope)\">Enable refresh</a>" : "<a href=\"\(base)\(upOpt);norefresh\(scope)\">Disable refresh</a>"
        }
        s += "<a href=\"\(base)\(upOpt)\(quiet)\(scope)\">Refresh now</a><a href=\"\(base);csv\(quiet)\(scope)\">CSV export</a></nav>\n"
        s += "<form method=\"GET\" class=\"scope\">Scope : <input value=\"\(esc(request.scope ?? ""))\" name=\"scope\" size=\"8\" maxlength=\"20\"></form>\n"
        return s
    }

    static let columnGroups = """
        <thead><tr><th class="name" rowspan="2"></th><th colspan="3">Queue</th><th colspan="3">Session rate</th>\
        <th colspan="6">Sessions</th><th colspan="2">Bytes</th><th colspan="2">Denied</th><th colspan="3">Errors</th>\
        <th colspan="2">Warnings</th><th colspan="9">Server</th></tr>
        <tr><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>\
        <th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th>\
        <th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th>\
        <th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th></tr></thead>

        """

    /// One proxy's table; `form`: wrapped in the admin form (a checkbox per server, the action
    /// list and the backend's id) that POSTs to the page.
    static func proxyTable(_ m: StatsModel, _ p: ProxyConfig, request: StatsRequest, form: StatsConfig? = nil) -> String {
        var t = "<section id=\"\(esc(p.name))\"><h2>\(esc(p.name))</h2>"
        if let form { t += StatsAdminHTML.formStart(request, config: form) }
        t += "<div class=\"scroll\"><table>\n" + (form != nil ? StatsAdminHTML.columnGroups : columnGroups) + "<tbody>\n"
        let c = m.counters
        if p.isFrontend, let row = c.layout.frontendRows[p.name] {
            t += tr("frontend", "Frontend", checkbox: form.map { _ in "" }, [
                "", "", "", "\(c.rate(row))", "\(c[row, .rateMax])", "",
                "\(c[row, .scur])", "\(c[row, .smax])", "\(m.frontendMaxconn(p))", "\(c[row, .stot])", "", "",
                bytes(c[row, .bin]), bytes(c[row, .bout]), "\(c[row, .dreq])", "\(c[row, .dresp])",
                "\(c[row, .ereq])", "", "", "", "", "OPEN", "", "", "", "", "", "", "", ""])
            // `option socket-stats`: one row per listener, as HAProxy's `socket` rows.
            let pi = m.configuration.proxies.firstIndex { $0.name == p.name }
            for l in c.layout.listeners where l.proxy == pi {
                let r = l.row
                t += tr("socket", l.name, checkbox: form.map { _ in "" }, [
                    "", "", "", "", "", "",
                    "\(c[r, .scur])", "\(c[r, .smax])", "\(l.bind.options.maxconn ?? 0)", "\(c[r, .stot])", "", "",
                    bytes(c[r, .bin]), bytes(c[r, .bout]), "\(c[r, .dreq])", "\(c[r, .dresp])",
                    "\(c[r, .ereq])", "", "", "", "", StatsCSV.listenerStatus(maxconn: l.bind.options.maxconn ?? 0, current: c[r, .scur]),
                    "", "", "", "", "", "", "", ""])
            }
        }
        if p.isBackend, let b = m.states.backendIndex(named: p.name), let brow = c.layout.backendRows[p.name] {
            for (i, slot) in m.states.listedPositions(backend: b) {
                if request.upOnly && !m.states.isUp(slot) { continue }
                if request.hideMaintenance && m.states.view(slot, nowMs: m.nowMs).maintenance { continue }
                t += serverRow(m, p.servers[i], slot: slot, checkbox: form.map { _ in StatsAdminHTML.checkbox(p.servers[i].name) })
            }
            let v = m.states.backendView(b, nowMs: m.nowMs)
            let w = m.backendWeight(b)
            t += tr("backend", "Backend", checkbox: form.map { _ in "" }, [
                "\(c[brow, .qcur])", "\(c[brow, .qmax])", "", "\(c.rate(brow))", "\(c[brow, .rateMax])", "",
                "\(c[brow, .scur])", "\(c[brow, .smax])", "\(m.backendFullconn(p))", "\(c[brow, .stot])",
                "\(c[brow, .lbtot])", lastSeen(m, brow),
                bytes(c[brow, .bin]), bytes(c[brow, .bout]), "\(c[brow, .dreq])", "\(c[brow, .dresp])",
                "", "\(c[brow, .econ])", "\(c[brow, .eresp])", "\(c[brow, .wretr])", "\(c[brow, .wredis])",
                "\(duration(v.lastChangeSeconds)) \(m.backendStatus(p, index: b))", "", "\(w.weight)", "\(w.active)", "\(w.backup)",
                "", "\(v.downTransitions)", !m.hasListedServers(p) ? "" : duration(v.downtimeSeconds), ""])
        }
        t += "</tbody></table></div>"
        if form != nil, let b = m.states.backendIndex(named: p.name) { t += StatsAdminHTML.formEnd(backendID: m.proxyID(m.states.backends[b].name)) }
        return t + "</section>\n"
    }

    static func serverRow(_ m: StatsModel, _ s: ServerConfig, slot: Int, checkbox: String? = nil) -> String {
        let c = m.counters
        let row = c.layout.serverRow(slot)
        let info = m.states.servers[slot]
        let v = m.states.view(slot, nowMs: m.nowMs)
        let word = m.states.statusWord(slot)
        let kind = info.backup ? "backup" : "active"
        let cls: String
        if v.maintenance { cls = "maintain" }
        else if !(info.checked || m.states.roster.member(slot)?.config.check == true) { cls = "no_check" }
        else if word == "UP" { cls = "\(kind)_up" }
        else if word == "DOWN" { cls = "\(kind)_down" }
        else if v.up { cls = "\(kind)_going_down" }
        else { cls = "\(kind)_going_up" }
        let checked = m.states.showsCheckColumns(slot)
        var lastChk = ""
        if checked && v.lastCheck != .none {
            lastChk = "\(v.lastCheck.code)\(v.lastCheck.hasCode ? "/\(v.checkCode)" : "") in \(max(0, v.checkDurationMs))ms"
        }
        return tr(cls, s.name, checkbox: checkbox, [
            "\(c[row, .qcur])", "\(c[row, .qmax])", "", "\(c.rate(row))", "\(c[row, .rateMax])", "",
            "\(c[row, .scur])", "\(c[row, .smax])", s.maxconn.map(String.init) ?? "", "\(c[row, .stot])",
            "\(c[row, .lbtot])", lastSeen(m, row),
            bytes(c[row, .bin]), bytes(c[row, .bout]), "", "\(c[row, .dresp])",
            "", "\(c[row, .econ])", "\(c[row, .eresp])", "\(c[row, .wretr])", "\(c[row, .wredis])",
            "\(duration(v.lastChangeSeconds)) \(word)", lastChk, "\(v.userWeight)",
            info.backup ? "-" : "Y", info.backup ? "Y" : "-",
            checked ? "\(v.checkFailures)" : "", checked ? "\(v.downTransitions)" : "",
            checked ? duration(v.downtimeSeconds) : "", "-"], title: m.states.lastCheckInfo(slot))
    }

    static func lastSeen(_ m: StatsModel, _ row: Int) -> String {
        let last = m.counters[row, .lastSessionSecond]
        return last == 0 ? "" : duration(Int(m.nowSecond >= last ? m.nowSecond - last : 0))
    }

    static func bytes(_ v: UInt64) -> String { "\(v)" }

    /// A row; `checkbox`: the admin form's first cell (already HTML).
    static func tr(_ cls: String, _ name: String, checkbox: String? = nil, _ cells: [String], title: String = "") -> String {
        var s = "<tr class=\"\(cls)\">" + (checkbox.map { "<td class=\"ck\">\($0)</td>" } ?? "") + "<td class=\"name\">\(esc(name))</td>"
        for (i, c) in cells.enumerated() {
            let statusCell = i == 21
            s += statusCell ? "<td class=\"st\"\(title.isEmpty ? "" : " title=\"\(esc(title))\"")>\(esc(c))</td>" : "<td>\(esc(c))</td>"
        }
        return s + "</tr>\n"
    }

    static let legend = """
        <div class="legend"><span class="" style="background:var(--up)">active UP</span>\
        <span style="background:var(--bup)">backup UP</span><span style="background:var(--godown)">active UP, going down</span>\
        <span style="background:var(--goup)">active DOWN, going up</span><span style="background:var(--down)">active or backup DOWN</span>\
        <span style="background:var(--maint)">MAINT</span><span style="background:var(--nocheck)">not checked</span></div>

        """
}
