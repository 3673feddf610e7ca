/// Which transactions a frontend logs.
public enum LogPolicy {
    /// `option dontlognull`: a connection on which the client sent nothing is not logged.
    public static func shouldLog(dontLogNull: Bool, requestBytes: Int) -> Bool {
        !(dontLogNull && requestBytes == 0)
    }

    /// Traffic lines are sent at `info` (HAProxy; `err` only with log-separate-errors).
    public static let trafficLevel = 6
}
