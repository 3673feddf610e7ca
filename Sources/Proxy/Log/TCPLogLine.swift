import Glibc

/// The log lines of a proxy without `option httplog`.
public enum TCPLogLine {
    /// `option tcplog`: `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`.
    /// `ta` is used as Tt; the termination state has two characters.
    public static func write(_ r: HTTPLogRecord, dates: inout LogDateCache, into out: inout LogBuffer) {
        HTTPLogLine.writeSessionPrefix(r, dates: &dates, into: &out)
        out.decimal(r.tw); out.byte(UInt8(ascii: "/"))
        out.decimal(r.tc); out.byte(UInt8(ascii: "/"))
        out.decimal(r.ta); out.byte(UInt8(ascii: " "))
        out.decimal(r.bytesOut); out.byte(UInt8(ascii: " "))
        out.byte(r.termination.cause); out.byte(r.termination.phase)
        out.byte(UInt8(ascii: " "))
        HTTPLogLine.writeConnCounters(r, into: &out)
    }

    /// No log option at all: HAProxy 2.6 logs each stream when it starts (observed:
    /// `Connect from 127.0.0.1:56376 to 127.0.0.1:24083 (TD/TCP)`; `HTTP` in http mode). Without
    /// the local address, HAProxy's own fallback `undetermined address:0`.
    public static func writeConnect(client: sockaddr_storage, local: sockaddr_storage?, frontend: String,
                                    httpMode: Bool, into out: inout LogBuffer) {
        out.text("Connect from ")
        HTTPLogLine.writeClient(client, into: &out)
        out.text(" to ")
        if let local { HTTPLogLine.writeClient(local, into: &out) } else { out.text("undetermined address:0") }
        out.text(" (")
        out.text(frontend)
        out.text(httpMode ? "/HTTP)" : "/TCP)")
    }
}
