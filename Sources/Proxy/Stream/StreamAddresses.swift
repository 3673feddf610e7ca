// The client's addresses in the stream layer (the levels are Rules/AddressLevels.swift): loaded
// when a request (or a TCP stream) begins, the connection rules' and session rules' changes
// kept for the connection's later streams, the stream's restored for its response, and handed
// to the engine for a server's PROXY header when a rule changed them. A connection no
// set-src/set-dst rule touched pays one optional test per call.

import CUring
#if canImport(Glibc)
import Glibc
#endif

extension StreamHandler {
    /// A stream begins (ctx.slot set): src port, dst when the configuration reads it (the PROXY
    /// header's destination, else the socket's), fc_* and, when a connection or session rule
    /// changed them earlier on this connection, the session's addresses.
    func loadStreamAddresses(_ call: UnsafeMutablePointer<rp_head_call>, _ ctx: RuleContext, _ compiled: CompiledRules) {
        Self.socketAddress(call.pointee.client).map { ctx.clientPort = $0 }
        if compiled.usesLocalAddress {
            if let d = call.pointee.pp_dst {
                ctx.local = Self.clientAddress(d); ctx.localPort = Self.socketAddress(d) ?? 0
            } else if let (a, port) = Self.localAddress(fd: call.pointee.cli_fd) {
                ctx.local = a; ctx.localPort = port
            }
        }
        ctx.connection = ctx.endpoints
        if let a = ctx.slot?.addresses {           // (a new connection's slot has none)
            ctx.endpoints = a.session
            ctx.slot!.addresses!.stream = a.session
            ctx.addressesOverridden = true
        }
    }

    /// tcp-request connection then session rules (the connection's first stream). A connection
    /// rule's set-src/set-dst is the connection's (fc_*) and, unless a PROXY header came (HAProxy
    /// reads it after these rules: its addresses stay the stream's), the session's; a session
    /// rule's is the session's.
    func runAcceptRules(_ tp: TCPRuleProgram, _ call: UnsafeMutablePointer<rp_head_call>, _ ctx: RuleContext) -> TCPRuleVerdict {
        var verdict = TCPRuleVerdict.accept
        if !tp.connection.isEmpty {
            let before = ctx.endpoints
            verdict = ctx.runTCP(tp.connection, acls: tp.acls, headMissing: false, waiting: false)
            if let slot = ctx.slot, var a = slot.addresses {
                a.connection = ctx.endpoints
                ctx.connection = a.connection
                if call.pointee.pp_dst != nil { ctx.endpoints = before }
                a.session = ctx.endpoints
                a.stream = ctx.endpoints
                slot.addresses = a
            }
        }
        if verdict == .accept && !tp.session.isEmpty {
            verdict = ctx.runTCP(tp.session, acls: tp.acls, headMissing: false, waiting: false)
            if let slot = ctx.slot, slot.addresses != nil { slot.addresses!.session = ctx.endpoints }
        }
        return verdict
    }

    /// Response side: the stream's addresses as its request left them (the worker's context
    /// served other connections meanwhile).
    func restoreStreamAddresses(_ call: UnsafeMutablePointer<rp_head_call>, _ ctx: RuleContext, client: ClientAddress) {
        if let a = ctx.slot?.addresses {
            ctx.endpoints = a.stream
            ctx.connection = a.connection
        } else {
            ctx.client = client
            Self.socketAddress(call.pointee.client).map { ctx.clientPort = $0 }
            ctx.connection.client = ctx.client
            ctx.connection.clientPort = ctx.clientPort
        }
    }

    /// RP_FORWARD to a transparent backend: the client's destination (the rules' when they
    /// changed it; else the engine takes the PROXY header's or the socket's), on a server
    /// connection of this client connection's own.
    func transparentDestination(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext) {
        call.pointee.transparent = 1
        call.pointee.reuse = Int32(RP_REUSE_PRIVATE.rawValue)
        guard let wr = w.rules, wr.context.addressesOverridden, wr.context.local != .none else { return }
        let out = wr.proxyHeaderAddresses + 1
        guard AddressOverride.socketAddress(wr.context.local, port: wr.context.localPort, into: &out.pointee) else { return }
        call.pointee.server_addr = UnsafePointer(out)
    }

    /// RP_FORWARD: the addresses a server's PROXY header carries when a rule changed them.
    func proxyHeaderAddresses(_ call: UnsafeMutablePointer<rp_head_call>, _ wr: WorkerRules) {
        let ctx = wr.context
        guard ctx.addressesOverridden else { return }
        let out = wr.proxyHeaderAddresses
        if !AddressOverride.socketAddress(ctx.client, port: ctx.clientPort, into: &out[0]) { out[0] = sockaddr_storage() }
        if !AddressOverride.socketAddress(ctx.local, port: ctx.localPort, into: &out[1]) { out[1] = sockaddr_storage() }
        call.pointee.pp_addrs = UnsafePointer(out)
    }
}
