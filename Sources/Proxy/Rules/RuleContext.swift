// What rules, ACLs, fetches and log-format strings read and write while a worker handles one
// message: the message views, the client, the proxies involved, the connection's variables
// and captures, the scratch memory. One per worker, reused for every message; the state that
// must outlive a message (variables, captures, log level...) lives in the connection's
// SlotRuleState.

/// Which message the rules are looking at.
public enum RulePhase: Sendable { case request, response, log }

/// A connection's rule state: variables, captures, and what rules decided for the log.
final class SlotRuleState {
    let vars: VarStore
    var requestCaptures: [CaptureSlot]
    var responseCaptures: [CaptureSlot]
    /// `capture cookie NAME len N`: the request's cookie and the response's Set-Cookie.
    var requestCookie: CaptureSlot? = nil
    var responseCookie: CaptureSlot? = nil
    /// `set-log-level` (nil: default, -1: silent).
    var logLevel: Int? = nil
    /// Termination characters of a local reply (deny → "PR", return → "LR"...).
    var termination: (UInt8, UInt8)? = nil
    /// The status of a local reply, for the log.
    var localStatus = 0
    /// The request was answered by the proxy's rules (the log shows its TR).
    var localReply = false
    /// `http-request capture`/`declare capture` slots were sized for this frontend.
    var frontend = -1
    /// The request's number in the process (`%rt`).
    var requestID = 0
    /// The stream's tracked stick counters (track-sc*).
    var trackers = StickTrackers()
    /// The last rule that ended a rule set (last_rule_file/line; BufferFetch.swift).
    var lastRule = RuleOrigin.none
    /// The transaction's unique ID once generated (UniqueID.swift).
    var uniqueID = CaptureSlot(capacity: UniqueIDLimits.length)
    /// set-timeout's overrides for this transaction (StreamTimeouts.swift).
    var timeouts = StreamTimeoutOverrides()
    /// Addresses a set-src/set-dst rule changed on this connection (AddressLevels.swift).
    var addresses: AddressLevels? = nil
    /// What cache-use and cache-store decided for this transaction (CacheRuleActions).
    var cache = CacheTransaction()

    init(variables: Int) {
        vars = VarStore(count: variables)
        requestCaptures = []
        responseCaptures = []
    }

    /// Forgets what rules decided for the log (a request that never reached the rules).
    func clearOutcome() {
        logLevel = nil; termination = nil; localStatus = 0; localReply = false
        requestCookie = nil; responseCookie = nil
        uniqueID.clear()
        for i in 0..<requestCaptures.count { requestCaptures[i].clear() }
        for i in 0..<responseCaptures.count { responseCaptures[i].clear() }
    }

    /// A new transaction on this connection: txn/req/res variables and captures are cleared;
    /// a new connection also clears sess variables.
    func beginTransaction(newConnection: Bool, refs: [VariableRef], layout: CaptureLayout, frontend fe: Int) {
        if frontend != fe || requestCaptures.count != layout.request.count || responseCaptures.count != layout.response.count {
            requestCaptures = layout.request.map { CaptureSlot(capacity: $0) }
            responseCaptures = layout.response.map { CaptureSlot(capacity: $0) }
            frontend = fe
        } else {
            for i in 0..<requestCaptures.count { requestCaptures[i].clear() }
            for i in 0..<responseCaptures.count { responseCaptures[i].clear() }
        }
        for i in 0..<vars.count where vars.values[i].set {
            let s = refs[i].scope
            if newConnection || (s != .sess && s != .proc) { vars.values[i].set = false }
        }
        logLevel = nil
        termination = nil
        localStatus = 0
        localReply = false
        lastRule = .none
        requestCookie = nil
        responseCookie = nil
        uniqueID.clear()
        timeouts = StreamTimeoutOverrides()
        cache = CacheTransaction()
        if newConnection { addresses = nil }
    }
}

/// The capture slots of a frontend: their maximum lengths.
struct CaptureLayout: Equatable {
    var request: [Int] = []
    var response: [Int] = []
}

/// One captured value, truncated to the slot's length.
struct CaptureSlot {
    let capacity: Int
    var bytes: [UInt8] = []
    var isSet = false
    init(capacity: Int) { self.capacity = capacity; bytes.reserveCapacity(capacity) }
    mutating func clear() { bytes.removeAll(keepingCapacity: true); isSet = false }
    mutating func set(_ b: UnsafeRawBufferPointer) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: b.prefix(capacity))
        isSet = true
    }
}

/// Names and numbers of the proxies and servers, for fe_name, srv_id, %b...
final class RuleTables: @unchecked Sendable {
    // @unchecked: immutable after construction (processVariables is itself synchronised).
    let frontendNames: [String]
    let frontendIDs: [Int]
    let backendNames: [String]
    let backendIDs: [Int]
    /// Per backend: server names and the global index of its first server.
    let serverNames: [[String]]
    let serverBase: [Int]
    let variables: [VariableRef]
    let processVariables: ProcessVariables
    let userlists: [Userlist]
    let states: ServerStateTable?
    let workers: Int
    /// The names as bytes (samples point at them).
    let frontendNameBytes: [StaticBytes]
    let backendNameBytes: [StaticBytes]
    let serverNameBytes: [[StaticBytes]]
    /// Owns every constant the compiled rules point at (see ConstantPool).
    let pool: ConstantPool
    /// The stick tables counters are tracked in (nil: the configuration tracks none).
    let stick: StickTableSet?
    /// Per engine listener (frontends' bind lines in order): its `name` and its ID.
    let listenerNameBytes: [StaticBytes?]
    let listenerIDs: [Int]
    /// The configured timeouts, for be_server_timeout and friends.
    let timeouts: ProxyTimeoutTable
    /// The workers' counters, for srv_sess_rate / srv_conn (attached once they exist).
    let serverCounters = WorkerCountersReader()

    init(frontendNames: [String], frontendIDs: [Int], backendNames: [String], backendIDs: [Int],
         serverNames: [[String]], serverBase: [Int], variables: [VariableRef], userlists: [Userlist],
         states: ServerStateTable?, workers: Int, pool: ConstantPool, stick: StickTableSet? = nil,
         listenerNames: [String?] = [], listenerIDs: [Int] = [], timeouts: ProxyTimeoutTable = ProxyTimeoutTable()) {
        self.pool = pool
        self.timeouts = timeouts
        listenerNameBytes = listenerNames.map { $0.map { StaticBytes(Array($0.utf8), in: pool) } }
        self.listenerIDs = listenerIDs
        self.stick = stick
        self.frontendNames = frontendNames; self.frontendIDs = frontendIDs
        self.backendNames = backendNames; self.backendIDs = backendIDs
        self.serverNames = serverNames; self.serverBase = serverBase
        self.variables = variables
        self.processVariables = ProcessVariables(count: variables.count)
        self.userlists = userlists
        self.states = states
        self.workers = workers
        frontendNameBytes = frontendNames.map { StaticBytes(Array($0.utf8), in: pool) }
        backendNameBytes = backendNames.map { StaticBytes(Array($0.utf8), in: pool) }
        serverNameBytes = serverNames.map { $0.map { StaticBytes(Array($0.utf8), in: pool) } }
    }
}

public final class RuleContext {
    /// Samples, casts and converters allocate here.
    let arena = SampleArena()
    /// Rendered formats (header values, bodies) are written here, so that the samples they
    /// evaluate can use `arena` meanwhile.
    let formatArena = SampleArena()
    let regex = RegexScratch()
    /// The request as rules change it, and the response (a server's, or a local reply).
    public let request = MessageView()
    public let response = MessageView()
    let tables: RuleTables
    let worker: Int

    var phase: RulePhase = .request
    /// The request view holds the current request (false at response/log time: request
    /// header fetches find nothing, as in HAProxy).
    var requestLoaded = false
    var responseLoaded = false
    var client: ClientAddress = .none
    var clientPort = 0
    var local: ClientAddress = .none
    var localPort = 0
    var frontend = 0
    /// Per proxy: unique-id-format and unique-id-header (set by CompiledRules.makeContext).
    var uniqueIDFormats: [LogFormatProgram?] = []
    var uniqueIDHeaders: [StaticBytes?] = []
    let uniqueIDScratch = UnsafeMutableRawPointer.allocate(byteCount: UniqueIDLimits.length, alignment: 8)
    deinit { uniqueIDScratch.deallocate() }
    /// The engine listener (bind line) that accepted the connection, -1 when unknown (so_id, so_name).
    var listener = -1
    var backend = -1
    /// Global server index, -1 before one is chosen.
    var server = -1
    /// Names of the servers `add server` created on this worker (global index → name).
    var dynamicServerNames: [Int: [UInt8]] = [:]
    var requestIndex = 0
    /// The original request line (capture.req.*, %r).
    var requestLine = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The method as received (see the `method` fetch).
    var originalMethod = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The transaction's status (log phase; response phase reads the view).
    var status = -1
    var slot: SlotRuleState! = nil
    var nowMs: Int64 = 0
    /// Set by `strict-mode off` for the rest of the rule set.
    var strict = true
    /// A set-src/set-dst rule changed `client`/`local` (AddressOverride.swift).
    var addressesOverridden = false
    /// The connection's addresses (fc_*) when no rule changed them (AddressLevels.swift).
    var connection = EndpointAddresses()
    /// The log record at log time.
    var logRecord: UnsafePointer<HTTPLogRecord>? = nil
    /// The unique id of the transaction (unique-id-format), in the slot.
    var uniqueID = UnsafeRawBufferPointer(start: nil, count: 0)
    /// What of the request body is in the buffer (RequestBodyFetch.swift).
    var body = RequestBodyBytes()
    /// What of the response body is in the buffer, when a wait-for-body applied to it.
    var responseBody = RequestBodyBytes()
    /// The worker's outbox to the peers thread, and which stick tables are shared (counter
    /// changes of those are sent to peers: StickCounterSync.swift).
    var stickUpdates: StickUpdateQueue? = nil
    var sharedStickTables: [Bool] = []
    /// The `cache` sections' stores (cache-use, cache-store; CacheRuleActions).
    var caches: [HTTPCache] = []
    /// The buffers content rules read (req.len, req.payload…: BufferFetch.swift).
    var content = ContentBytes()

    /// crypt_r state, made on the first password check.
    lazy var crypt = CryptScratch()

    init(tables: RuleTables, worker: Int) {
        self.tables = tables
        self.worker = worker
    }

    /// Starts the request phase on a parsed head (rules, routing).
    func beginRequest(_ head: RequestHead, client c: ClientAddress) {
        arena.reset()
        formatArena.reset()
        request.load(request: head)
        body = RequestBodyBytes()
        local = .none; localPort = 0
        originalMethod = head.slice(head.method)
        requestLoaded = true
        responseLoaded = false
        phase = .request
        client = c
        backend = -1
        server = -1
        status = -1
        strict = true
        addressesOverridden = false
    }

    /// The view of the message being processed.
    @inline(__always) var currentView: MessageView? {
        switch phase {
        case .request: return requestLoaded ? request : nil
        case .response: return responseLoaded ? response : nil
        case .log: return nil
        }
    }

    @inline(__always) func view(_ d: FetchDirection) -> MessageView? {
        switch d {
        case .request: return requestLoaded && phase == .request ? request : nil
        case .response: return responseLoaded && phase == .response ? response : nil
        case .current: return currentView
        }
    }
}

/// Which message a header fetch reads.
enum FetchDirection { case request, response, current }
