// `show stat`'s 127 columns (HAProxy 2.6.12's order, as StatsCSV.columns) with, per object
// type (frontend, backend, server), the tags and type `show stat typed` prints for them, and
// the description `desc` adds. Captured from HAProxy 2.6.12's `show stat typed desc`; nil
// where HAProxy never fills the column for that object type.

struct StatField: Sendable {
    let pos: Int
    let name: String
    /// "TAGS:type" per object type.
    let frontend: String?
    let backend: String?
    let server: String?
    let desc: String
    init(_ pos: Int, _ name: String, _ f: String?, _ b: String?, _ s: String?, _ desc: String) {
        self.pos = pos; self.name = name; frontend = f; backend = b; server = s; self.desc = desc
    }

    func spec(_ type: StatObjectType) -> (tags: FieldTags, type: FieldType)? {
        let raw: String?
        switch type {
        case .frontend, .listener: raw = frontend       // a listener's fields are a subset of its frontend's
        case .backend: raw = backend
        case .server: raw = server
        }
        guard let raw, let colon = raw.firstIndex(of: ":") else { return nil }
        return (FieldTags(String(raw[..<colon])), FieldType(rawValue: String(raw[raw.index(after: colon)...])) ?? .str)
    }
}

public enum StatObjectType: Sendable {
    case frontend, backend, server, listener
    var letter: String {
        switch self { case .frontend: "F"; case .backend: "B"; case .server: "S"; case .listener: "L" }
    }
    var json: String {
        switch self { case .frontend: "Frontend"; case .backend: "Backend"; case .server: "Server"; case .listener: "Listener" }
    }
}

enum StatFields {
    static let all: [StatField] = [
        StatField(0, "pxname", "KNS:str", "KNS:str", "KNS:str", "Proxy name"),
        StatField(1, "svname", "KNS:str", "KNS:str", "KNS:str", "Server name"),
        StatField(2, "qcur", nil, "MGP:u32", "MGP:u32", "Number of current queued connections"),
        StatField(3, "qmax", nil, "MMP:u32", "MMP:u32", "Highest value of queued connections encountered since process started"),
        StatField(4, "scur", "MGP:u32", "MGP:u32", "MGP:u32", "Number of current sessions on the frontend, backend or server"),
        StatField(5, "smax", "MMP:u32", "MMP:u32", "MMP:u32", "Highest value of current sessions encountered since process started"),
        StatField(6, "slim", "CLP:u32", "CLP:u32", "CLP:u32", "Frontend/listener/server's maxconn, backend's fullconn"),
        StatField(7, "stot", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of sessions since process started"),
        StatField(8, "bin", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of request bytes since process started"),
        StatField(9, "bout", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of response bytes since process started"),
        StatField(10, "dreq", "MCP:u64", "MCP:u64", nil, "Total number of denied requests since process started"),
        StatField(11, "dresp", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of denied responses since process started"),
        StatField(12, "ereq", "MCP:u64", nil, nil, "Total number of invalid requests since process started"),
        StatField(13, "econ", nil, "MCP:u64", "MCP:u64", "Total number of failed connections to server since the worker process started"),
        StatField(14, "eresp", nil, "MCP:u64", "MCP:u64", "Total number of invalid responses since the worker process started"),
        StatField(15, "wretr", nil, "MCP:u64", "MCP:u64", "Total number of server connection retries since the worker process started"),
        StatField(16, "wredis", nil, "MCP:u64", "MCP:u64", "Total number of server redispatches due to connection failures since the worker process started"),
        StatField(17, "status", "SGP:str", "SGP:str", "SGP:str", "Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status"),
        StatField(18, "weight", nil, "MaP:u32", "MaP:u32", "Server's effective weight, or sum of active servers' effective weights for a backend"),
        StatField(19, "act", nil, "MGP:u32", "SGP:u32", "Total number of active UP servers with a non-zero weight"),
        StatField(20, "bck", nil, "MGP:u32", "SGP:u32", "Total number of backup UP servers with a non-zero weight"),
        StatField(21, "chkfail", nil, nil, "MCP:u64", "Total number of failed individual health checks per server/backend, since the worker process started"),
        StatField(22, "chkdown", nil, "MCP:u64", "MCP:u64", "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"),
        StatField(23, "lastchg", nil, "MAP:u32", "MAP:u32", "How long ago the last server state changed, in seconds"),
        StatField(24, "downtime", nil, "MCP:u32", "MCP:u32", "Total time spent in DOWN state, for server or backend"),
        StatField(25, "qlimit", nil, nil, "CGS:u32", "Limit on the number of connections in queue, for servers only (maxqueue argument)"),
        StatField(26, "pid", "KGP:u32", "KGP:u32", "KGP:u32", "Relative worker process number (1)"),
        StatField(27, "iid", "KGS:u32", "KGS:u32", "KGS:u32", "Frontend or Backend numeric identifier ('id' setting)"),
        StatField(28, "sid", "KGS:u32", "KGS:u32", "KGS:u32", "Server numeric identifier ('id' setting)"),
        StatField(29, "throttle", nil, nil, "MaP:u32", "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"),
        StatField(30, "lbtot", nil, "MCP:u64", "MCP:u64", "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"),
        StatField(31, "tracked", nil, nil, "CNS:str", "Name of the other server this server tracks for its state"),
        StatField(32, "type", "CGS:u32", "CGS:u32", "CGS:u32", "Type of the object (Listener, Frontend, Backend, Server)"),
        StatField(33, "rate", "MRP:u32", "MGP:u32", "MRP:u32", "Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)"),
        StatField(34, "rate_lim", "CLP:u32", nil, nil, "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"),
        StatField(35, "rate_max", "MMP:u32", "MGP:u32", "MMP:u32", "Highest value of sessions per second observed since the worker process started"),
        StatField(36, "check_status", nil, nil, "MOP:str", "Status report of the server's latest health check, prefixed with '*' if a check is currently in progress"),
        StatField(37, "check_code", nil, nil, "MOP:u32", "HTTP/SMTP/LDAP status code reported by the latest server health check"),
        StatField(38, "check_duration", nil, nil, "MDP:u64", "Total duration of the latest server health check, in milliseconds"),
        StatField(39, "hrsp_1xx", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"),
        StatField(40, "hrsp_2xx", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of HTTP responses with status 200-299 returned by this object since the worker process started"),
        StatField(41, "hrsp_3xx", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of HTTP responses with status 300-399 returned by this object since the worker process started"),
        StatField(42, "hrsp_4xx", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of HTTP responses with status 400-499 returned by this object since the worker process started"),
        StatField(43, "hrsp_5xx", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of HTTP responses with status 500-599 returned by this object since the worker process started"),
        StatField(44, "hrsp_other", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)"),
        StatField(45, "hanafail", nil, nil, "MCP:u64", "Total number of failed checks caused by an 'on-error' directive after an 'observe' condition matched"),
        StatField(46, "req_rate", "MRP:u32", nil, nil, "Number of HTTP requests processed over the last second on this object"),
        StatField(47, "req_rate_max", "MMP:u32", nil, nil, "Highest value of http requests observed since the worker process started"),
        StatField(48, "req_tot", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of HTTP requests processed by this object since the worker process started"),
        StatField(49, "cli_abrt", nil, "MCP:u64", "MCP:u64", "Total number of requests or connections aborted by the client since the worker process started"),
        StatField(50, "srv_abrt", nil, "MCP:u64", "MCP:u64", "Total number of requests or connections aborted by the server since the worker process started"),
        StatField(51, "comp_in", "MCP:u64", "MCP:u64", nil, "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"),
        StatField(52, "comp_out", "MCP:u64", "MCP:u64", nil, "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"),
        StatField(53, "comp_byp", "MCP:u64", "MCP:u64", nil, "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"),
        StatField(54, "comp_rsp", "MCP:u64", "MCP:u64", nil, "Total number of HTTP responses that were compressed for this object since the worker process started"),
        StatField(55, "lastsess", nil, "MAP:s32", "MAP:s32", "How long ago some traffic was seen on this object on this worker process, in seconds"),
        StatField(56, "last_chk", nil, nil, "MOP:str", "Short description of the latest health check report for this server (see also check_desc)"),
        StatField(57, "last_agt", nil, nil, "MOP:str", "Short description of the latest agent check report for this server (see also agent_desc)"),
        StatField(58, "qtime", nil, "MaP:u32", "MaP:u32", "Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)"),
        StatField(59, "ctime", nil, "MaP:u32", "MaP:u32", "Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)"),
        StatField(60, "rtime", nil, "MaP:u32", "MaP:u32", "Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)"),
        StatField(61, "ttime", nil, "MaP:u32", "MaP:u32", "Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)"),
        StatField(62, "agent_status", nil, nil, "MOP:str", "Status report of the server's latest agent check, prefixed with '*' if a check is currently in progress"),
        StatField(63, "agent_code", nil, nil, "MOP:u32", "Status code reported by the latest server agent check"),
        StatField(64, "agent_duration", nil, nil, "MDP:u64", "Total duration of the latest server agent check, in milliseconds"),
        StatField(65, "check_desc", nil, nil, "MOP:str", "Textual description of the latest health check report for this server"),
        StatField(66, "agent_desc", nil, nil, "MOP:str", "Textual description of the latest agent check report for this server"),
        StatField(67, "check_rise", nil, nil, "CGS:u32", "Number of successful health checks before declaring a server UP (server 'rise' setting)"),
        StatField(68, "check_fall", nil, nil, "CGS:u32", "Number of failed health checks before declaring a server DOWN (server 'fall' setting)"),
        StatField(69, "check_health", nil, nil, "CGS:u32", "Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)"),
        StatField(70, "agent_rise", nil, nil, "CGS:u32", "Number of successful agent checks before declaring a server UP (server 'rise' setting)"),
        StatField(71, "agent_fall", nil, nil, "CGS:u32", "Number of failed agent checks before declaring a server DOWN (server 'fall' setting)"),
        StatField(72, "agent_health", nil, nil, "CGS:u32", "Current server agent check level (0..fall-1=DOWN, fall..rise-1=UP)"),
        StatField(73, "addr", nil, nil, "CGS:str", "Server's address:port, shown only if show-legends is set, or at levels oper/admin for the CLI"),
        StatField(74, "cookie", nil, "CNS:str", "CNS:str", "Backend's cookie name or Server's cookie value, shown only if show-legends is set, or at levels oper/admin for the CLI"),
        StatField(75, "mode", "CGS:str", "CGS:str", "CGS:str", "'mode' setting (tcp/http/health/cli)"),
        StatField(76, "algo", nil, "CGS:str", nil, "Backend's load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI"),
        StatField(77, "conn_rate", "MRP:u32", nil, nil, "Number of new connections accepted over the last second on the frontend for this worker process"),
        StatField(78, "conn_rate_max", "MMP:u32", nil, nil, "Highest value of connections per second observed since the worker process started"),
        StatField(79, "conn_tot", "MCP:u64", nil, nil, "Total number of new connections accepted on this frontend since the worker process started"),
        StatField(80, "intercepted", "MCP:u64", nil, nil, "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"),
        StatField(81, "dcon", "MCP:u64", nil, nil, "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
        StatField(82, "dses", "MCP:u64", nil, nil, "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
        StatField(83, "wrew", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of failed HTTP header rewrites since the worker process started"),
        StatField(84, "connect", nil, "MCP:u64", "MCP:u64", "Total number of outgoing connection attempts on this backend/server since the worker process started"),
        StatField(85, "reuse", nil, "MCP:u64", "MCP:u64", "Total number of reused connection on this backend/server since the worker process started"),
        StatField(86, "cache_lookups", "MCP:u64", "MCP:u64", nil, "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"),
        StatField(87, "cache_hits", "MCP:u64", "MCP:u64", nil, "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"),
        StatField(88, "srv_icur", nil, nil, "MGP:u32", "Current number of idle connections available for reuse on this server"),
        StatField(89, "src_ilim", nil, nil, "CLP:u32", "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)"),
        StatField(90, "qtime_max", nil, "MMP:u32", "MMP:u32", "Maximum observed time spent in the queue, in milliseconds (backend/server)"),
        StatField(91, "ctime_max", nil, "MMP:u32", "MMP:u32", "Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)"),
        StatField(92, "rtime_max", nil, "MMP:u32", "MMP:u32", "Maximum observed time spent waiting for a server response, in milliseconds (backend/server)"),
        StatField(93, "ttime_max", nil, "MMP:u32", "MMP:u32", "Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)"),
        StatField(94, "eint", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of internal errors since process started"),
        StatField(95, "idle_conn_cur", nil, nil, "MGP:u32", "Current number of unsafe idle connections"),
        StatField(96, "safe_conn_cur", nil, nil, "MGP:u32", "Current number of safe idle connections"),
        StatField(97, "used_conn_cur", nil, nil, "MGP:u32", "Current number of connections in use"),
        StatField(98, "need_conn_est", nil, nil, "MGP:u32", "Estimated needed number of connections"),
        StatField(99, "uweight", nil, "MaP:u32", "MaP:u32", "Server's user weight, or sum of active servers' user weights for a backend"),
        StatField(100, "agg_server_status", nil, "MGP:u32", nil, "Backend's aggregated gauge of servers' status"),
        StatField(101, "agg_server_check_status", nil, "MGP:u32", nil, "Backend's aggregated gauge of servers' state check status"),
        StatField(102, "agg_check_status", nil, "MGP:u32", nil, "Backend's aggregated gauge of servers' state check status"),
        StatField(103, "ssl_sess", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of ssl sessions established"),
        StatField(104, "ssl_reused_sess", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of ssl sessions reused"),
        StatField(105, "ssl_failed_handshake", "MCP:u64", "MCP:u64", "MCP:u64", "Total number of failed handshake"),
        StatField(106, "h2_headers_rcvd", "MCP:u64", "MCP:u64", nil, "Total number of received HEADERS frames"),
        StatField(107, "h2_data_rcvd", "MCP:u64", "MCP:u64", nil, "Total number of received DATA frames"),
        StatField(108, "h2_settings_rcvd", "MCP:u64", "MCP:u64", nil, "Total number of received SETTINGS frames"),
        StatField(109, "h2_rst_stream_rcvd", "MCP:u64", "MCP:u64", nil, "Total number of received RST_STREAM frames"),
        StatField(110, "h2_goaway_rcvd", "MCP:u64", "MCP:u64", nil, "Total number of received GOAWAY frames"),
        StatField(111, "h2_detected_conn_protocol_errors", "MCP:u64", "MCP:u64", nil, "Total number of connection protocol errors"),
        StatField(112, "h2_detected_strm_protocol_errors", "MCP:u64", "MCP:u64", nil, "Total number of stream protocol errors"),
        StatField(113, "h2_rst_stream_resp", "MCP:u64", "MCP:u64", nil, "Total number of RST_STREAM sent on detected error"),
        StatField(114, "h2_goaway_resp", "MCP:u64", "MCP:u64", nil, "Total number of GOAWAY sent on detected error"),
        StatField(115, "h2_open_connections", "MGP:u64", "MGP:u64", nil, "Count of currently open connections"),
        StatField(116, "h2_backend_open_streams", "MGP:u64", "MGP:u64", nil, "Count of currently open streams"),
        StatField(117, "h2_total_connections", "MCP:u64", "MCP:u64", nil, "Total number of connections"),
        StatField(118, "h2_backend_total_streams", "MCP:u64", "MCP:u64", nil, "Total number of streams"),
        StatField(119, "h1_open_connections", "MGP:u64", "MGP:u64", nil, "Count of currently open connections"),
        StatField(120, "h1_open_streams", "MGP:u64", "MGP:u64", nil, "Count of currently open streams"),
        StatField(121, "h1_total_connections", "MCP:u64", "MCP:u64", nil, "Total number of connections"),
        StatField(122, "h1_total_streams", "MCP:u64", "MCP:u64", nil, "Total number of streams"),
        StatField(123, "h1_bytes_in", "MCP:u64", "MCP:u64", nil, "Total number of bytes received"),
        StatField(124, "h1_bytes_out", "MCP:u64", "MCP:u64", nil, "Total number of bytes send"),
        StatField(125, "h1_spliced_bytes_in", "MCP:u64", "MCP:u64", nil, "Total number of bytes received using kernel splicing"),
        StatField(126, "h1_spliced_bytes_out", "MCP:u64", "MCP:u64", nil, "Total number of bytes sendusing kernel splicing"),
    ]
}
