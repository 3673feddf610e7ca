// `balance url_param NAME`: sdbm hash of the value of the query-string parameter NAME
// (after `?`, `&`-separated, name compared exactly); without the parameter, round robin
// (HAProxy's get_server_ph falls back the same way).

public final class URLParamHashBalancer: Balancer {
    let lookup: HashedServerLookup
    let fallback: RoundRobinBalancer
    let name: [UInt8]
    let checkPost: Bool

    public init(servers: [BalancedServer], hashType: HashType, parameter: String, checkPost: Bool = false) {
        lookup = HashedServerLookup(servers: servers, hashType: hashType)
        fallback = RoundRobinBalancer(servers: servers)
        name = Array(parameter.utf8)
        self.checkPost = checkPost
    }

    /// `check_post`: the parameter in a POST body (HAProxy's get_server_ph_post): the body's
    /// first data, `&`-separated; a value must start with a token character (URL-encoded
    /// form), else the body holds no parameters; a space or tab ends it.
    static func postValue(of name: [UInt8], in body: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer?? {
        var i = 0
        let n = body.count
        while n - i > name.count {
            if body[i + name.count] == UInt8(ascii: "=") {
                var same = true
                for k in 0..<name.count where body[i + k] != name[k] { same = false; break }
                if same {
                    let start = i + name.count + 1
                    var end = start
                    if end < n && body[end] != UInt8(ascii: "&") && !ByteClass.isTokenChar(body[start]) {
                        if body[start] != 32 && body[start] != 9 { return .some(nil) }     // not a form
                    } else {
                        while end < n && body[end] != UInt8(ascii: "&") { end += 1 }
                    }
                    return UnsafeRawBufferPointer(rebasing: body[start..<end])
                }
            }
            while i < n && body[i] != UInt8(ascii: "&") { i += 1 }
            if i == n { return nil }
            i += 1
        }
        return nil
    }

    /// The value of parameter `name` in the query string of `target`, or nil.
    static func value(of name: [UInt8], in target: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var i = 0
        let n = target.count
        while i < n && target[i] != UInt8(ascii: "?") { i += 1 }
        i += 1
        while i < n {
            var end = i
            while end < n && target[end] != UInt8(ascii: "&") { end += 1 }
            // [i, end) is one `name=value` pair.
            if end - i > name.count && target[i + name.count] == UInt8(ascii: "=") {
                var same = true
                for k in 0..<name.count where target[i + k] != name[k] { same = false; break }
                if same { return UnsafeRawBufferPointer(rebasing: target[(i + name.count + 1)..<end]) }
            }
            i = end + 1
        }
        return nil
    }

    public func pick(request: RequestHead, client: ClientAddress, states: some ServerStates, avoid: Int?) -> Int? {
        guard let v = Self.value(of: name, in: request.slice(request.target)) else {
            if checkPost && request.isPost, let found = Self.postValue(of: name, in: request.bufferedBody), let v = found {
                return lookup.server(forHash: BalanceHash.sdbm(v), states: states)
            }
            return fallback.pick(request: request, client: client, states: states, avoid: avoid)
        }
        return lookup.server(forHash: BalanceHash.sdbm(v), states: states)
    }
}
