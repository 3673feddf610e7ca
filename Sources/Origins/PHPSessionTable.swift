// The PHP-like app's per-session visit counters, with bounded memory.

/// Visit counts by session id, in two generations so that memory stays bounded under a
/// benchmark that opens a session per request: a session unseen for a whole generation is
/// forgotten (as PHP's session GC would), one in use moves to the current generation.
struct PHPSessionTable {
    private var current: [String: Int] = [:]
    private var previous: [String: Int] = [:]
    let generationSize: Int

    init(generationSize: Int = 50_000) {
        self.generationSize = generationSize
    }

    /// Counts one visit of session `id` and returns its visit number (1 for a new session).
    mutating func visit(_ id: String) -> Int {
        let n = (current[id] ?? previous.removeValue(forKey: id) ?? 0) + 1
        if current[id] == nil, current.count >= generationSize {
            previous = current
            current = [:]
        }
        current[id] = n
        return n
    }

    /// Sessions remembered (at most twice the generation size).
    var count: Int { current.count + previous.count }
}
