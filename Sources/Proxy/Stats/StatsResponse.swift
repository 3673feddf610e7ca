/// The bytes HAProxy 2.6.12 sends for the stats applet (captured on the wire; HTX lower-cases
/// header names). The connection headers are the HTTP/1 mux's: on an HTTP/1.1 request the
/// applet's own `transfer-encoding` comes first and `connection: close` (when closing) after
/// it; on an HTTP/1.0 request the mux writes `connection: close|keep-alive`, then the
/// chunked encoding it adds itself.
public enum StatsResponse {
    public static let unauthorizedBody = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"

    /// How the client connection goes on after the answer.
    public struct Connection: Sendable, Equatable {
        /// The request was HTTP/1.1.
        public var http11: Bool
        /// The client connection stays open (keep-alive).
        public var keepAlive: Bool
        public init(http11: Bool = true, keepAlive: Bool = false) { self.http11 = http11; self.keepAlive = keepAlive }
    }

    /// `401 Unauthorized` with `www-authenticate: Basic realm="…"` (HAProxy closes after it).
    public static func unauthorized(realm: String) -> [UInt8] {
        Array(("HTTP/1.1 401 Unauthorized\r\ncontent-length: \(unauthorizedBody.utf8.count)\r\ncache-control: no-cache\r\n" +
               "content-type: text/html\r\nwww-authenticate: Basic realm=\"\(realm)\"\r\n\r\n" + unauthorizedBody).utf8)
    }

    /// The header lines after the status line: `fields`, then the framing and connection
    /// headers in the mux's order, then the blank line.
    static func head(_ status: String, _ fields: String, chunked: Bool, _ c: Connection) -> String {
        var h = "HTTP/1.1 \(status)\r\n" + fields
        if c.http11 {
            if chunked { h += "transfer-encoding: chunked\r\n" }
            if !c.keepAlive { h += "connection: close\r\n" }
        } else {
            h += c.keepAlive ? "connection: keep-alive\r\n" : "connection: close\r\n"
            if chunked { h += "transfer-encoding: chunked\r\n" }
        }
        return h + "\r\n"
    }

    /// `200 OK` with `cache-control: no-cache`, the content type, `refresh: N` (seconds; not
    /// with `;norefresh`), and the body, chunked. `head`: the headers only (no framing).
    public static func ok(body: String, contentType: String, refreshSeconds: Int?, connection: Connection = Connection(),
                          head isHead: Bool = false) -> [UInt8] {
        var fields = "cache-control: no-cache\r\ncontent-type: \(contentType)\r\n"
        if let r = refreshSeconds { fields += "refresh: \(r)\r\n" }
        var out = Array(head("200 OK", fields, chunked: !isHead, connection).utf8)
        if isHead { return out }
        let b = Array(body.utf8)
        if !b.isEmpty { out += Array((String(b.count, radix: 16, uppercase: true) + "\r\n").utf8) + b + Array("\r\n".utf8) }
        out += Array("0\r\n\r\n".utf8)
        return out
    }

    /// `303 See Other` to `location` (after an admin form POST).
    public static func seeOther(_ location: String, connection: Connection) -> [UInt8] {
        Array(head("303 See Other", "cache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: \(location)\r\n",
                   chunked: false, connection).utf8)
    }

    /// Where HAProxy sends the browser after a POST: the page with the outcome and the
    /// request's `;up`, `;norefresh` and scope (stats_send_http_redirect).
    public static func redirectLocation(_ req: StatsRequest, status: StatsActionStatus, config: StatsConfig) -> String {
        config.uri + ";st=" + status.rawValue + (req.upOnly ? ";up" : "")
            + (req.noRefresh && config.refresh != nil ? ";norefresh" : "") + req.scopeQuery
    }

    /// The answer to a matched GET or HEAD: 401 without valid credentials, else the HTML or
    /// CSV page. `admin`: the `stats admin` condition matched (the page shows the forms).
    public static func answer(_ req: StatsRequest, authorization: String?, config: StatsConfig,
                              model: @autoclosure () -> StatsModel, connection: Connection = Connection(),
                              admin: Bool = false) -> [UInt8] {
        guard StatsAuth.isAuthorized(authorization, config: config) else { return unauthorized(realm: config.realm) }
        let refresh = req.noRefresh ? nil : config.refresh.map { max(1, $0 / 1000) }
        switch req.format {
        case .csv:
            var o = StatsCSV.Options()
            o.hideDown = req.upOnly
            o.hideMaintenance = req.hideMaintenance
            o.scope = req.scope
            o.proxies = config.scopes
            o.legends = config.showLegends
            return ok(body: req.isHead ? "" : StatsCSV.render(model(), options: o), contentType: "text/plain",
                      refreshSeconds: refresh, connection: connection, head: req.isHead)
        case .html:
            return ok(body: req.isHead ? "" : StatsHTML.render(model(), request: req, config: config, admin: admin), contentType: "text/html",
                      refreshSeconds: refresh, connection: connection, head: req.isHead)
        }
    }

    /// The Prometheus exposition (`use-service prometheus-exporter`), HAProxy's content type.
    /// `target`'s query chooses the scopes; a bad one is answered 400 (status returned too).
    public static func prometheus(_ model: @autoclosure () -> StatsModel, target: String = "/metrics", connection: Connection = Connection(),
                                  head: Bool = false) -> (bytes: [UInt8], status: Int) {
        guard let query = PrometheusQuery.parse(target: target) else {
            return (ErrorPages.bytes(.badRequest, connection: .close).array, 400)
        }
        return (ok(body: head ? "" : StatsPrometheus.render(model(), query: query), contentType: StatsPrometheus.contentType,
                   refreshSeconds: nil, connection: connection, head: head), 200)
    }
}
