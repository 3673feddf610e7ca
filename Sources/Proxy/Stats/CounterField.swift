/// The per-object counters a worker keeps (frontends, backends and servers share one row
/// shape; fields that do not apply stay 0). Names follow HAProxy's CSV columns.
public enum CounterField: Int, CaseIterable, Sendable {
    case scur, smax, stot, bin, bout
    case dreq, dresp, ereq, econ, eresp, wretr, wredis
    case hrsp1xx, hrsp2xx, hrsp3xx, hrsp4xx, hrsp5xx, hrspOther
    case reqTot, cliAbrt, srvAbrt, lbtot, connTot, intercepted
    case qcur, qmax
    /// Session rate: the second being counted, its count, the previous second's count, the max.
    case rateSecond, rateCount, ratePrevious, rateMax
    /// Request rate (frontends), same scheme.
    case reqRateSecond, reqRateCount, reqRatePrevious, reqRateMax
    /// Wall-clock second of the last session (`lastsess`), 0 = never.
    case lastSessionSecond
    /// Queue, connect, response and total times (ms) of the requests that got a response:
    /// HAProxy's sliding sums over the last 512 requests (`qtime` = qtimeSum / min(req_tot,
    /// 512)...) and the largest seen (`qtime_max`...).
    case qtimeSum, qtimeMax, ctimeSum, ctimeMax, rtimeSum, rtimeMax, ttimeSum, ttimeMax
    /// HAProxy's h1 mux module: body bytes moved by splice(2), received on / sent from the
    /// row's side (a frontend's client connections, a backend's server connections).
    case h1SplicedIn, h1SplicedOut

    public static let count = allCases.count

    /// Fields combined by maximum rather than sum when adding up workers.
    public var isMaximum: Bool {
        switch self {
        case .smax, .qmax, .rateMax, .reqRateMax, .lastSessionSecond, .rateSecond, .reqRateSecond, .qtimeMax, .ctimeMax, .rtimeMax, .ttimeMax: return true
        default: return false
        }
    }
}
