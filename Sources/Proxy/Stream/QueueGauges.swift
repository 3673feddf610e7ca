// The queue columns of the stats (qcur, qmax) come from the engine, which owns the queues: a
// load-balanced request that finds its server full waits in its backend's queue, a persistent
// one in its server's queue, as in HAProxy. Read when a stats page is built, never per request.

enum QueueGauges {
    static func fill(_ counters: inout CountersSnapshot, engine: Engine, backends: [BackendPlanInfo], layout: CounterLayout) {
        for (bi, b) in backends.enumerated() {
            let q = engine.queue(backend: bi)
            counters.setGauge(b.counterRow, .qcur, UInt64(q.current))
            counters.setGauge(b.counterRow, .qmax, UInt64(q.max))
            for s in b.servers {
                let sq = engine.queue(server: s)
                counters.setGauge(layout.serverRow(s), .qcur, UInt64(sq.current))
                counters.setGauge(layout.serverRow(s), .qmax, UInt64(sq.max))
            }
        }
    }
}
