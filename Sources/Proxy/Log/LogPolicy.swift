/// Which transactions a frontend logs.
public enum LogPolicy {
    /// `option dontlognull`: a connection on which the client sent nothing is not logged.
    public static func shouldLog(dontLogNull: Bool, requestBytes: Int) -> Bool {
        !(dontLogNull && requestBytes == 0)
    }

    /// Traffic lines are sent at `info` (HAProxy; `err` only with log-separate-errors).
    public static let trafficLevel = 6
    public static let errorLevel = 3
}

/// The level of a transaction's log line, as HAProxy 2.6's `strm_log` decides it: an error is a
/// redispatch, a termination cause other than none/local (`L`), retries without an error, or an
/// HTTP status ≥ 500 in an HTTP frontend. Errors go at `err` with `option log-separate-errors`;
/// with `option dontlog-normal` only errors are logged.
public enum TrafficLogLevel {
    @inline(__always)
    public static func isError(_ r: HTTPLogRecord, httpMode: Bool) -> Bool {
        let cause = r.termination.cause
        let none = UInt8(ascii: "-"), local = UInt8(ascii: "L")
        return r.redispatched || (cause != none && cause != local) || (cause == none && r.retries > 0)
            || (httpMode && r.status >= 500)
    }

    /// nil: not logged.
    @inline(__always)
    public static func level(_ r: HTTPLogRecord, _ log: ProxyLog) -> Int? {
        guard log.dontLogNormal || log.separateErrors else { return LogPolicy.trafficLevel }
        let error = isError(r, httpMode: log.httpMode)
        if !error && log.dontLogNormal { return nil }
        return error && log.separateErrors ? LogPolicy.errorLevel : LogPolicy.trafficLevel
    }
}
