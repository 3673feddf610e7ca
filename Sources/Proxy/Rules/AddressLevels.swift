// HAProxy 2.6 keeps a client's addresses at three levels: the connection's (`fc_src`, `fc_dst`:
// the socket's, or a PROXY header's, or what `tcp-request connection set-src/set-dst` made
// them), the session's (what `tcp-request session set-*` made them; every stream of the
// connection starts from it) and the stream's (`src`, `dst`, X-Forwarded-For, a server's
// PROXY header: what `tcp-request content`/`http-request set-*` made them, for one request).
// A connection no rule changed an address of keeps no state (`SlotRuleState.addresses` nil).

/// A source and a destination, with ports.
struct EndpointAddresses: Equatable {
    var client: ClientAddress = .none
    var clientPort = 0
    var local: ClientAddress = .none
    var localPort = 0
}

/// A connection whose addresses a rule changed: its three levels.
struct AddressLevels {
    /// `fc_*`.
    var connection: EndpointAddresses
    /// Where each stream starts.
    var session: EndpointAddresses
    /// The current stream's (read again by its response-side rules).
    var stream: EndpointAddresses
}

/// fc_src, fc_src_port, fc_dst, fc_dst_port.
enum ConnectionAddressField { case src, srcPort, dst, dstPort }

extension RuleContext {
    /// The stream's addresses as the rules see them.
    var endpoints: EndpointAddresses {
        get { EndpointAddresses(client: client, clientPort: clientPort, local: local, localPort: localPort) }
        set { client = newValue.client; clientPort = newValue.clientPort; local = newValue.local; localPort = newValue.localPort }
    }

    func connectionAddress(_ f: ConnectionAddressField) -> Sample? {
        let c = slot?.addresses?.connection ?? connection
        switch f {
        case .src: return address(c.client)
        case .srcPort: return c.client == .none ? nil : .int(Int64(c.clientPort))
        case .dst: return address(c.local)
        case .dstPort: return c.local == .none ? nil : .int(Int64(c.localPort))
        }
    }

    /// A set-src/set-dst rule ran: the slot keeps the levels from now on.
    func keepStreamAddresses() {
        guard let slot else { return }
        if slot.addresses == nil {
            slot.addresses = AddressLevels(connection: connection, session: connection, stream: endpoints)
        } else {
            slot.addresses!.stream = endpoints
        }
    }
}
