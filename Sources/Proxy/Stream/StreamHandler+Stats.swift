// The stats page as the stream layer answers it (HAProxy's stats applet): GET/HEAD render the
// page or CSV; a POST from the admin form (`stats admin if COND`) waits for its body, applies
// the actions (through `statsForm`, the runtime API's writers) and answers 303 to the page
// with the outcome. The client connection stays open when the client keeps it alive, as
// HAProxy does (the 401 closes it); the request body is consumed so the next request parses.
import CUring

extension StreamHandler {
    /// A POST to the stats page whose body is still arriving: true to wait for more bytes
    /// (nothing has been counted yet; the engine calls again). A body that cannot fit the
    /// receive buffer is not waited for (answered EXCD).
    func statsPostIncomplete(_ call: UnsafeMutablePointer<rp_head_call>, _ fe: FrontendPlan, _ head: RequestHead,
                             _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard head.isPost, call.pointee.head_too_big == 0, let uri = fe.statsURI else { return false }
        let matched = uri.withUnsafeBytes { StatsRequest.match(method: head.slice(head.method), target: head.slice(head.target), uri: $0) } != nil
        guard matched else { return false }
        return StatsPostBody.extract(UnsafeRawBufferPointer(rebasing: bytes[head.headLength...]), framing: head.framing) == .incomplete
    }

    /// Answers a matched stats request.
    func answerStats(_ call: UnsafeMutablePointer<rp_head_call>, _ w: WorkerContext, _ slotIndex: Int, _ slot: inout StreamSlot,
                     _ fe: FrontendPlan, _ head: RequestHead, _ req: StatsRequest, _ bytes: UnsafeRawBufferPointer,
                     statsConfig: StatsConfig? = nil) {
        // The page's own settings (a backend's `stats uri`; `stats http-request allow` drops the credentials).
        let config = statsConfig ?? fe.config.stats
        let auth = head.findHeader("authorization").map { head.string(head.fields[$0].value) }
        guard StatsAuth.isAuthorized(auth, config: config) else {
            slot.closeAfter = true
            w.slots[slotIndex] = slot
            respond(call, StatsResponse.unauthorized(realm: config.realm), w, status: 401, close: true)
            return
        }
        var keep = ConnectionPolicy.clientKeepsAlive(head, mode: fe.clientMode)
        let admin = statsAdminAllowed(config, w, Int(call.pointee.frontend), head, slot.client)
        // The body (a form, or anything sent with a GET) is consumed so that the connection
        // can go on with the next request; one that did not arrive whole closes it.
        var body: [UInt8]? = nil
        switch StatsPostBody.extract(UnsafeRawBufferPointer(rebasing: bytes[head.headLength...]), framing: head.framing) {
        case .complete(let b, let wire):
            body = b
            call.pointee.head_len = UInt32(head.headLength + wire)
            call.pointee.body = Int32(RP_BODY_NONE.rawValue)
        case .incomplete, .invalid:
            keep = false
        }
        let connection = StatsResponse.Connection(http11: head.versionMinor == 1, keepAlive: keep)
        let answer: [UInt8]
        let status: Int
        if req.isPost {
            let outcome: StatsActionStatus
            if !admin { outcome = .denied }
            else if let body { outcome = statsForm?(body) ?? .denied }
            else { outcome = head.framing == .chunked ? .invalidRequest : .exceeded }
            answer = StatsResponse.seeOther(StatsResponse.redirectLocation(req, status: outcome, config: config), connection: connection)
            status = 303
        } else {
            answer = StatsResponse.answer(req, authorization: auth, config: config, model: statsModel(), connection: connection, admin: admin)
            status = 200
        }
        slot.closeAfter = !keep
        w.slots[slotIndex] = slot
        respond(call, answer, w, status: status, close: !keep)
    }

    /// `stats admin if|unless COND` evaluated on this request with the frontend's ACLs (no
    /// rule: no admin, as HAProxy).
    func statsAdminAllowed(_ config: StatsConfig, _ w: WorkerContext, _ frontend: Int, _ head: RequestHead, _ client: ClientAddress) -> Bool {
        guard let c = config.adminCondition else { return false }
        let router = w.routers[frontend]
        var result = false
        for and in c.alternatives {
            var all = true
            for t in and where (router.evaluate(acl: t.acl, request: head, clientAddress: client) ?? false) == t.negated {
                all = false
                break
            }
            if all { result = true; break }
        }
        return c.unless ? !result : result
    }
}
