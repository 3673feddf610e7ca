// HAProxy's dispatch mode (`dispatch ADDR:PORT` without `balance`): the backend balances
// nothing. Persistence may still name a server; every other request goes to the dispatch
// address, which the stream layer uses when no server is chosen.

public final class DispatchOnlyBalancer: Balancer {
    public init() {}
    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? { nil }
}
