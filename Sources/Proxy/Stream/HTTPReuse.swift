// `http-reuse never|safe|aggressive|always` (HAProxy 2.6; `safe` when not set): which idle
// server connections a request may be sent on, as the engine's RP_REUSE_* policy. The engine
// keeps the connections (rp_reuse.c); this only says which ones a request may take.
import CUring

public enum HTTPReuse: Sendable, Equatable {
    /// A server connection serves only the client connection that opened it.
    case never
    /// A client connection's first request goes on a new server connection; later ones on any
    /// idle one (the server has shown this client keeps alive; a lost request can be retried).
    case safe
    /// A first request may use an idle connection that has already carried more than one
    /// request (proved to keep alive); later ones any.
    case aggressive
    /// Any request, any idle connection.
    case always

    init(keyword: String?) {
        switch keyword {
        case "never": self = .never
        case "aggressive": self = .aggressive
        case "always": self = .always
        default: self = .safe
        }
    }

    /// The engine's policy for a request (`first`: the client connection's first request).
    func enginePolicy(first: Bool) -> Int32 {
        switch self {
        case .never: return Int32(RP_REUSE_PRIVATE.rawValue)
        case .safe: return Int32((first ? RP_REUSE_NEW : RP_REUSE_ANY).rawValue)
        case .aggressive: return Int32((first ? RP_REUSE_PROVEN : RP_REUSE_ANY).rawValue)
        case .always: return Int32(RP_REUSE_ANY.rawValue)
        }
    }
}
