// http-request set-timeout server|tunnel (HAProxy 2.6's action_timeout_set_stream_timeout) and
// the fetches that read the timeouts: be_server_timeout, be_tunnel_timeout (the backend's
// configuration), cur_server_timeout, cur_tunnel_timeout (this stream's, after set-timeout),
// fe_client_timeout. The override lives in the connection's rule state for the transaction;
// the stream layer hands it to the engine as the exchange's server timeout.

/// Which timeout a set-timeout rule overrides.
public enum StreamTimeoutKind: String, Equatable, Sendable { case server, tunnel }

/// The configured timeouts (ms, 0 = none) per frontend and per backend (topology order).
struct ProxyTimeoutTable {
    var frontendClient: [Int] = []
    var backendServer: [Int] = []
    var backendTunnel: [Int] = []
    /// A frontend's own server/tunnel timeouts: a listen section's rules run before a backend
    /// is chosen (backend -1) and the section is its own backend.
    var frontendServer: [Int] = []
    var frontendTunnel: [Int] = []
}

/// The transaction's overrides (nil: the backend's).
struct StreamTimeoutOverrides {
    var server: Int? = nil
    var tunnel: Int? = nil
}

extension RuleContext {
    /// The set-timeout action: a constant or an expression giving milliseconds; a missing,
    /// non-integer or non-positive value leaves the timeout unchanged (as HAProxy).
    func applySetTimeout(_ kind: StreamTimeoutKind, _ value: SampleExpr) {
        guard let s = slot, var v = evaluate(value), SampleCast.convert(&v, to: .int, arena), v.int > 0 else { return }
        let ms = Int(clamping: v.int)
        switch kind {
        case .server: s.timeouts.server = ms
        case .tunnel: s.timeouts.tunnel = ms
        }
    }

    /// The backend's value, or the frontend's own when no backend is chosen yet (a listen).
    private func own(_ byBackend: [Int], _ byFrontend: [Int]) -> Int? {
        if backend >= 0 { return backend < byBackend.count ? byBackend[backend] : nil }
        return frontend >= 0 && frontend < byFrontend.count ? byFrontend[frontend] : nil
    }

    func timeoutFetch(_ f: TimeoutFetch) -> Sample? {
        let t = tables.timeouts
        switch f {
        case .beServer:
            return own(t.backendServer, t.frontendServer).map { .int(Int64($0)) }
        case .beTunnel:
            return own(t.backendTunnel, t.frontendTunnel).map { .int(Int64($0)) }
        case .curServer:
            if let o = slot?.timeouts.server { return .int(Int64(o)) }
            return own(t.backendServer, t.frontendServer).map { .int(Int64($0)) }
        case .curTunnel:
            // HAProxy's stream tunnel_timeout: unset (0) unless a set-timeout rule set it
            return .int(Int64(slot?.timeouts.tunnel ?? 0))
        case .feClient:
            guard frontend >= 0 && frontend < t.frontendClient.count else { return nil }
            return .int(Int64(t.frontendClient[frontend]))
        }
    }
}

enum TimeoutFetch {
    case beServer, beTunnel, curServer, curTunnel, feClient
}
