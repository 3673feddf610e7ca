// X-Forwarded-For (`option forwardfor`) and X-Original-To (`option originalto`), in HAProxy's
// order, with the addresses the request rules left (set-src / set-dst) when they changed them.
// The local address costs a getsockname only for proxies with `option originalto`.

import CUring
#if canImport(Glibc)
import Glibc
#endif

extension StreamHandler {
    func appendForwardingHeaders(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ head: RequestHead,
                                 _ rw: HeadRewrite, _ fe: FrontendPlan, _ be: BackendPlanInfo) {
        let ctx = w.rules?.context
        let overridden = ctx?.addressesOverridden ?? false
        var ss = sockaddr_storage()
        if let xff = be.forwardFor ?? fe.forwardFor {
            if overridden, let ctx {
                if AddressOverride.socketAddress(ctx.client, port: ctx.clientPort, into: &ss) {
                    withUnsafePointer(to: &ss) { xff.append(head: head, rewrite: rw, socketAddress: UnsafeRawPointer($0)) }
                }
            } else if let client = call.pointee.client {
                xff.append(head: head, rewrite: rw, socketAddress: UnsafeRawPointer(client))
            }
        }
        guard let xot = be.originalTo ?? fe.originalTo else { return }
        if overridden, let ctx, ctx.local != .none {
            guard AddressOverride.socketAddress(ctx.local, port: ctx.localPort, into: &ss) else { return }
        } else {
            guard let (a, port) = Self.localAddress(fd: call.pointee.cli_fd),
                  AddressOverride.socketAddress(a, port: port, into: &ss) else { return }
        }
        withUnsafePointer(to: &ss) { xot.append(head: head, rewrite: rw, socketAddress: UnsafeRawPointer($0)) }
    }
}
