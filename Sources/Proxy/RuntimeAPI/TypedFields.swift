// HAProxy's typed fields (`show info`/`show stat` with `typed`, `json` and `desc`): each value
// carries its origin, nature and scope tags and a type, as stats.c's `struct field`. The tag
// letters and JSON words are HAProxy's; `InfoFields` lists `show info`'s fields in HAProxy
// 2.6.12's order with their tags and descriptions (as its `show info typed desc` prints them).

public struct FieldTags: Equatable, Sendable {
    /// Three letters: origin, nature, scope (`MCP` = Metric, Counter, Process).
    public let letters: String
    public init(_ letters: String) { self.letters = letters }

    var origin: String {
        switch letters.first {
        case "M": return "Metric"
        case "S": return "Status"
        case "K": return "Key"
        case "C": return "Config"
        case "P": return "Product"
        default: return "Unknown"
        }
    }
    var nature: String {
        switch Array(letters)[1] {
        case "A": return "Age"
        case "a": return "Avg"
        case "C": return "Counter"
        case "D": return "Duration"
        case "G": return "Gauge"
        case "L": return "Limit"
        case "M": return "Max"
        case "m": return "Min"
        case "N": return "Name"
        case "O": return "Output"
        case "R": return "Rate"
        case "T": return "Time"
        default: return "Unknown"
        }
    }
    var scope: String {
        switch Array(letters)[2] {
        case "P": return "Process"
        case "S": return "Service"
        case "s": return "System"
        case "C": return "Cluster"
        default: return "Unknown"
        }
    }
    var json: String { "{\"origin\":\"\(origin)\",\"nature\":\"\(nature)\",\"scope\":\"\(scope)\"}" }
}

public enum FieldType: String, Sendable { case u32, u64, s32, s64, str, flt }

/// A value for a typed dump: numbers print bare in JSON, strings quoted.
public struct FieldValue: Sendable {
    public let type: FieldType
    public let text: String
    public static func u32(_ v: Int) -> FieldValue { FieldValue(type: .u32, text: "\(v)") }
    public static func u64(_ v: Int) -> FieldValue { FieldValue(type: .u64, text: "\(v)") }
    public static func str(_ v: String) -> FieldValue { FieldValue(type: .str, text: v) }

    var json: String {
        let v = type == .str ? JSONText.quote(text) : text
        return "{\"type\":\"\(type.rawValue)\",\"value\":\(v)}"
    }
}

enum JSONText {
    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 { o += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) }
                else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }
}

struct InfoField: Sendable {
    let pos: Int
    let name: String
    let tags: FieldTags
    let type: FieldType
    let desc: String
    init(_ pos: Int, _ name: String, _ tags: String, _ type: FieldType, _ desc: String) {
        self.pos = pos; self.name = name; self.tags = FieldTags(tags); self.type = type; self.desc = desc
    }
}

enum InfoFields {
    static let all: [InfoField] = [
        InfoField(0, "Name", "POS", .str, "Product name"),
        InfoField(1, "Version", "POS", .str, "Product version"),
        InfoField(2, "Release_date", "POS", .str, "Date of latest source code update"),
        InfoField(3, "Nbthread", "CGS", .u32, "Number of started threads (global.nbthread)"),
        InfoField(4, "Nbproc", "CGS", .u32, "Number of started worker processes (historical, always 1)"),
        InfoField(5, "Process_num", "KGP", .u32, "Relative worker process number (1)"),
        InfoField(6, "Pid", "SGP", .u32, "This worker process identifier for the system"),
        InfoField(7, "Uptime", "MDP", .str, "How long ago this worker process was started (days+hours+minutes+seconds)"),
        InfoField(8, "Uptime_sec", "MDP", .u32, "How long ago this worker process was started (seconds)"),
        InfoField(9, "Memmax_MB", "CLP", .u32, "Worker process's hard limit on memory usage in MB (-m on command line)"),
        InfoField(10, "PoolAlloc_MB", "MGP", .u32, "Amount of memory allocated in pools (in MB)"),
        InfoField(11, "PoolUsed_MB", "MGP", .u32, "Amount of pool memory currently used (in MB)"),
        InfoField(12, "PoolFailed", "MCP", .u32, "Number of failed pool allocations since this worker was started"),
        InfoField(13, "Ulimit-n", "CLP", .u32, "Hard limit on the number of per-process file descriptors"),
        InfoField(14, "Maxsock", "CLP", .u32, "Hard limit on the number of per-process sockets"),
        InfoField(15, "Maxconn", "CLP", .u32, "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"),
        InfoField(16, "Hard_maxconn", "CLP", .u32, "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"),
        InfoField(17, "CurrConns", "MGP", .u32, "Current number of connections on this worker process"),
        InfoField(18, "CumConns", "MCP", .u32, "Total number of connections on this worker process since started"),
        InfoField(19, "CumReq", "MCP", .u32, "Total number of requests on this worker process since started"),
        InfoField(20, "MaxSslConns", "MMP", .u32, "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"),
        InfoField(21, "CurrSslConns", "MGP", .u32, "Current number of SSL endpoints on this worker process (front+back)"),
        InfoField(22, "CumSslConns", "MCP", .u32, "Total number of SSL endpoints on this worker process since started (front+back)"),
        InfoField(23, "Maxpipes", "CLP", .u32, "Hard limit on the number of pipes for splicing, 0=unlimited"),
        InfoField(24, "PipesUsed", "MGP", .u32, "Current number of pipes in use in this worker process"),
        InfoField(25, "PipesFree", "MGP", .u32, "Current number of allocated and available pipes in this worker process"),
        InfoField(26, "ConnRate", "MRP", .u32, "Number of front connections created on this worker process over the last second"),
        InfoField(27, "ConnRateLimit", "CLP", .u32, "Hard limit for ConnRate (global.maxconnrate)"),
        InfoField(28, "MaxConnRate", "MMP", .u32, "Highest ConnRate reached on this worker process since started (in connections per second)"),
        InfoField(29, "SessRate", "MRP", .u32, "Number of sessions created on this worker process over the last second"),
        InfoField(30, "SessRateLimit", "CLP", .u32, "Hard limit for SessRate (global.maxsessrate)"),
        InfoField(31, "MaxSessRate", "MRP", .u32, "Highest SessRate reached on this worker process since started (in sessions per second)"),
        InfoField(32, "SslRate", "MRP", .u32, "Number of SSL connections created on this worker process over the last second"),
        InfoField(33, "SslRateLimit", "CLP", .u32, "Hard limit for SslRate (global.maxsslrate)"),
        InfoField(34, "MaxSslRate", "MMP", .u32, "Highest SslRate reached on this worker process since started (in connections per second)"),
        InfoField(35, "SslFrontendKeyRate", "MGP", .u32, "Number of SSL keys created on frontends in this worker process over the last second"),
        InfoField(36, "SslFrontendMaxKeyRate", "MMP", .u32, "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"),
        InfoField(37, "SslFrontendSessionReuse_pct", "MGP", .u32, "Percent of frontend SSL connections which did not require a new key"),
        InfoField(38, "SslBackendKeyRate", "MRP", .u32, "Number of SSL keys created on backends in this worker process over the last second"),
        InfoField(39, "SslBackendMaxKeyRate", "MMP", .u32, "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"),
        InfoField(40, "SslCacheLookups", "MCP", .u32, "Total number of SSL session ID lookups in the SSL session cache on this worker since started"),
        InfoField(41, "SslCacheMisses", "MCP", .u32, "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"),
        InfoField(42, "CompressBpsIn", "MRP", .u32, "Number of bytes submitted to the HTTP compressor in this worker process over the last second"),
        InfoField(43, "CompressBpsOut", "MRP", .u32, "Number of bytes emitted by the HTTP compressor in this worker process over the last second"),
        InfoField(44, "CompressBpsRateLim", "CLP", .u32, "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"),
        InfoField(47, "Tasks", "MGP", .u32, "Total number of tasks in the current worker process (active + sleeping)"),
        InfoField(48, "Run_queue", "MGP", .u32, "Total number of active tasks+tasklets in the current worker process"),
        InfoField(49, "Idle_pct", "MaP", .u32, "Percentage of last second spent waiting in the current worker thread"),
        InfoField(50, "node", "COS", .str, "Node name (global.node)"),
        InfoField(52, "Stopping", "MGP", .u32, "1 if the worker process is currently stopping, otherwise zero"),
        InfoField(53, "Jobs", "MGP", .u32, "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"),
        InfoField(54, "Unstoppable Jobs", "MGP", .u32, "Current number of unstoppable jobs on the current worker process (master connections)"),
        InfoField(55, "Listeners", "MGP", .u32, "Current number of active listeners on the current worker process"),
        InfoField(56, "ActivePeers", "MGP", .u32, "Current number of verified active peers connections on the current worker process"),
        InfoField(57, "ConnectedPeers", "MGP", .u32, "Current number of peers having passed the connection step on the current worker process"),
        InfoField(58, "DroppedLogs", "MGP", .u32, "Total number of dropped logs for current worker process since started"),
        InfoField(59, "BusyPolling", "MGP", .u32, "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"),
        InfoField(60, "FailedResolutions", "MGP", .u32, "Total number of failed DNS resolutions in current worker process since started"),
        InfoField(61, "TotalBytesOut", "MGP", .u64, "Total number of bytes emitted by current worker process since started"),
        InfoField(62, "TotalSplicdedBytesOut", "MGP", .u64, "Total number of bytes emitted by current worker process through a kernel pipe since started"),
        InfoField(63, "BytesOutRate", "MRP", .u64, "Number of bytes emitted by current worker process over the last second"),
        InfoField(64, "DebugCommandsIssued", "MGP", .u32, "Number of debug commands issued on this process (anything > 0 is unsafe)"),
        InfoField(65, "CumRecvLogs", "MCP", .u32, "Total number of log messages received by log-forwarding listeners on this worker process since started"),
        InfoField(66, "Build info", "POS", .str, "Build info"),
        InfoField(67, "Memmax_bytes", "CLP", .u32, "Worker process's hard limit on memory usage in byes (-m on command line)"),
        InfoField(68, "PoolAlloc_bytes", "MGP", .u64, "Amount of memory allocated in pools (in bytes)"),
        InfoField(69, "PoolUsed_bytes", "MGP", .u64, "Amount of pool memory currently used (in bytes)"),
        InfoField(70, "Start_time_sec", "MDP", .u32, "Start time in seconds"),
        InfoField(71, "Tainted", "SGP", .str, "Experimental features used"),
    ]
    static let byName: [String: InfoField] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
