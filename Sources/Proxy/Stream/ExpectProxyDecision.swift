// `tcp-request connection expect-proxy layer4 if|unless COND` at accept: the engine asks, for a
// connection of a listener whose frontend has such a rule, whether a PROXY header must come
// first. Only the conditions of the expect-proxy rules are evaluated here, on the socket's
// addresses (no byte has come); the configuration refuses a rule that may end the set before
// them, and the whole rule set runs as usual on the first request.

import CUring
#if canImport(Glibc)
import Glibc
#endif

extension StreamHandler {
    package func expectsProxyHeader(worker: Int, frontend: Int, listener: Int, fd: Int32,
                                    client: UnsafePointer<sockaddr_storage>) -> Bool {
        guard let compiled = rules, frontend >= 0, frontend < frontends.count,
              let tp = compiled.tcp[frontends[frontend].proxy], let wr = workers[worker].rules else { return false }
        let ctx = wr.context
        ctx.arena.reset()
        ctx.formatArena.reset()
        ctx.phase = .request
        ctx.requestLoaded = false
        ctx.responseLoaded = false
        ctx.slot = wr.acceptSlot                   // (no variable is set before a stream)
        ctx.frontend = frontend
        ctx.listener = listener
        ctx.backend = -1
        ctx.server = -1
        ctx.requestIndex = 0
        ctx.addressesOverridden = false
        ctx.content.clearBuffers()
        ctx.content.pp = nil
        ctx.client = Self.clientAddress(client)
        ctx.clientPort = Self.socketAddress(client) ?? 0
        if let (a, port) = Self.localAddress(fd: fd) { ctx.local = a; ctx.localPort = port }
        else { ctx.local = .none; ctx.localPort = 0 }
        ctx.connection = ctx.endpoints
        for r in tp.connection {
            guard case .expectProxy = r.action else { continue }
            guard let c = r.condition else { return true }
            if ctx.evaluateContent(c, tp.acls) == .pass { return true }
        }
        return false
    }
}
