// The req.ssl_* fetches: a TLS ClientHello read from the first bytes of a TCP stream (the
// TLS-passthrough setup: route on the SNI without terminating TLS). Bytes that are not
// yet enough to answer mark the sample as one that may change, so that tcp-request content
// rules wait within the inspect delay, as HAProxy's do.

enum TLSHelloField { case serverName, helloType, version, alpn, supportedGroups, sessionTicket }

extension RuleContext {
    func tlsHelloSample(_ field: TLSHelloField) -> Sample? {
        let b = content.request
        func answer<T>(_ r: TLSSample<T>, _ make: (T) -> Sample) -> Sample? {
            switch r {
            case .incomplete: content.mayChange = true; return nil
            case .absent: return nil
            case .value(let v): return make(v)
            }
        }
        func text(_ r: Range<Int>) -> Sample { .string(UnsafeRawBufferPointer(rebasing: b[r])) }
        switch field {
        case .serverName: return answer(TLSClientHello.serverName(b), text)
        case .alpn: return answer(TLSClientHello.firstALPN(b), text)
        case .helloType: return answer(TLSClientHello.helloType(b)) { .int(Int64($0)) }
        case .version: return answer(TLSClientHello.version(b)) { .int(Int64($0)) }
        case .supportedGroups: return answer(TLSClientHello.hasSupportedGroups(b)) { .bool($0) }
        case .sessionTicket: return answer(TLSClientHello.sessionTicket(b)) { .int(Int64($0)) }
        }
    }
}
