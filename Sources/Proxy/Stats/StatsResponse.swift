/// The bytes HAProxy 2.6.12 sends for the stats applet (captured on the wire; HTX lower-cases
/// header names).
public enum StatsResponse {
    public static let unauthorizedBody = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"

    /// `401 Unauthorized` with `www-authenticate: Basic realm="…"`.
    public static func unauthorized(realm: String) -> [UInt8] {
        Array(("HTTP/1.1 401 Unauthorized\r\ncontent-length: \(unauthorizedBody.utf8.count)\r\ncache-control: no-cache\r\n" +
               "content-type: text/html\r\nwww-authenticate: Basic realm=\"\(realm)\"\r\n\r\n" + unauthorizedBody).utf8)
    }

    /// `200 OK` with `cache-control: no-cache`, the content type, `refresh: N` (seconds; not
    /// with `;norefresh`), and the body: chunked for HTTP/1.1 clients as HAProxy does, else
    /// delimited by the connection close. `head` sends the headers only.
    public static func ok(body: String, contentType: String, refreshSeconds: Int?, chunked: Bool = true,
                          head: Bool = false) -> [UInt8] {
        var h = "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: \(contentType)\r\n"
        if let r = refreshSeconds { h += "refresh: \(r)\r\n" }
        if chunked { h += "transfer-encoding: chunked\r\n" } else { h += "connection: close\r\n" }
        h += "\r\n"
        var out = Array(h.utf8)
        if head { return chunked ? out + Array("0\r\n\r\n".utf8) : out }
        let b = Array(body.utf8)
        if chunked {
            if !b.isEmpty { out += Array((String(b.count, radix: 16) + "\r\n").utf8) + b + Array("\r\n".utf8) }
            out += Array("0\r\n\r\n".utf8)
        } else {
            out += b
        }
        return out
    }

    /// The complete answer to a matched stats request: 401 without valid credentials, else
    /// the HTML or CSV page.
    public static func answer(_ req: StatsRequest, authorization: String?, config: StatsConfig,
                              model: @autoclosure () -> StatsModel, http11: Bool = true) -> [UInt8] {
        guard StatsAuth.isAuthorized(authorization, config: config) else { return unauthorized(realm: config.realm) }
        let refresh = req.noRefresh ? nil : config.refresh.map { max(1, $0 / 1000) }
        switch req.format {
        case .csv:
            return ok(body: StatsCSV.render(model(), hideDown: req.upOnly), contentType: "text/plain",
                      refreshSeconds: refresh, chunked: http11, head: req.isHead)
        case .html:
            return ok(body: StatsHTML.render(model(), request: req, config: config), contentType: "text/html",
                      refreshSeconds: refresh, chunked: http11, head: req.isHead)
        }
    }

    /// The Prometheus exposition (`use-service prometheus-exporter`), HAProxy's content type.
    public static func prometheus(_ model: StatsModel, http11: Bool = true, head: Bool = false) -> [UInt8] {
        ok(body: StatsPrometheus.render(model), contentType: StatsPrometheus.contentType, refreshSeconds: nil,
           chunked: http11, head: head)
    }
}
