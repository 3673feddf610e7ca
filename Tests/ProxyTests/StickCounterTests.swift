// Stick counters without sockets: the frequency counter's window, a tracked entry's life
// (references keep it from expiring), the `store` syntax and its errors, and the counters
// as rules see them (track-sc0, sc_*/src_* fetches, table_* converters).
import Foundation
import Testing
@testable import Proxy

@Suite struct StickCounterTests {
    let rateLayout = StickCounterLayout(store: [StickStoreItem(type: StickDataType.httpReqRate, periodMs: 10_000),
                                                StickStoreItem(type: StickDataType.gpc0), StickStoreItem(type: StickDataType.connCur)])

    @Test func frequencyCounterSlidesOverItsPeriod() {
        var words = [UInt64](repeating: 0, count: rateLayout.words)
        func value(_ now: Int64) -> UInt64? { words.withUnsafeBufferPointer { rateLayout.value($0, StickDataType.httpReqRate, now: now) } }
        words.withUnsafeMutableBufferPointer { w in for _ in 0..<4 { rateLayout.add(w, StickDataType.httpReqRate, 1, now: 1_000) } }
        #expect(value(1_000) == 4)
        #expect(value(10_999) == 4)
        // One period later the 4 events are the previous period's, weighted by the overlap.
        #expect(value(16_000) == 2)          // 4 × (10000 − 5000) / 10000
        words.withUnsafeMutableBufferPointer { w in rateLayout.add(w, StickDataType.httpReqRate, 1, now: 16_000) }
        #expect(value(16_000) == 3)
        // Two periods later nothing is left.
        #expect(value(31_000) == 0)
        // A type the table does not store has no value.
        #expect(words.withUnsafeBufferPointer { rateLayout.value($0, StickDataType.connCnt, now: 0) } == nil)
    }

    @Test func trackedEntriesOutliveTheirExpiry() {
        let t = AppSessionTable(keyLength: 4, timeoutMillis: 1_000, capacity: 64, dataWords: rateLayout.words)
        let key: [UInt8] = [10, 0, 0, 1]
        let r1 = key.withUnsafeBytes { t.track($0, now: 100, layout: rateLayout, request: true) }!
        let r2 = key.withUnsafeBytes { t.track($0, now: 200, layout: rateLayout, request: true) }!
        #expect(r1 == r2)
        #expect(t.withTracked(r1) { w, refs in (refs, rateLayout.value(UnsafeBufferPointer(w), StickDataType.connCur, now: 200)) } == (2, 2))
        #expect(t.sweep(now: 10_000) == 0)                 // referenced: kept
        t.release(r1, now: 10_000, layout: rateLayout, end: StickStreamEnd())
        t.release(r2, now: 10_000, layout: rateLayout, end: StickStreamEnd())
        let snap = t.snapshot(now: 10_500)
        #expect(snap.count == 1 && snap[0].use == 0)
        #expect(snap[0].data.withUnsafeBufferPointer { rateLayout.value($0, StickDataType.connCur, now: 10_500) } == 0)
        #expect(t.sweep(now: 11_001) == 1)                 // released and idle for `expire`
    }

    @Test func storeSyntax() throws {
        let c = try ConfigParser.parse(text: frontendConfig("stick-table type ip size 1k expire 30s store http_req_rate(10s),gpc0 store conn_cur"), file: "t.cfg")
        let store = try #require(c.proxies.first?.stickTable?.store)
        #expect(store.map(\.name) == ["http_req_rate", "gpc0", "conn_cur"])
        #expect(store.first?.periodMs == 10_000)
        func errors(_ text: String) -> [String] {
            do { _ = try ConfigParser.parse(text: text, file: "t.cfg"); return [] } catch { return error.errors.map(\.description) }
        }
        #expect(errors(frontendConfig("stick-table type ip size 1k store http_req_rate")).first?.contains("missing argument to data type 'http_req_rate'") == true)
        #expect(errors(frontendConfig("stick-table type ip size 1k store gpc0(10s)")).first?.contains("data type 'gpc0' takes no argument") == true)
        #expect(errors(frontendConfig("stick-table type ip size 1k store http_req_rte(1s)")).first?.contains("unknown stick-table data type 'http_req_rte'") == true)
        #expect(errors(frontendConfig("stick-table type ip size 1k store gpc(2)")).first?.contains("not supported by ringproxy") == true)
        #expect(errors(frontendConfig("http-request track-sc0 src")).first?.contains("unable to find table 'fe'") == true)
        #expect(errors(frontendConfig("stick-table type ip size 1k store gpc0\nhttp-request sc-inc-gpc0")).first?.contains("expects a stick counter number") == true)
        #expect(errors(frontendConfig("stick-table type ip size 1k store gpc0\nhttp-after-response track-sc0 src")).first?.contains("unknown 'http-after-response' argument 'track-sc0'") == true)
        #expect(errors(frontendConfig("stick-table type ip size 1k store gpc0\nhttp-request deny if { sc_get_gpc0(3) gt 0 }")).first?.contains("invalid stick counter '3'") == true)
        #expect(errors(frontendConfig("stick-table type ip size 1k store gpc0\ntcp-request connection track-sc0 src")).isEmpty)
        #expect(errors(frontendConfig("stick-table type ip size 1k store gpc0\ntcp-request connection sc-inc-gpc(1,0)")).first?.contains("action 'sc-inc-gpc' in 'tcp-request connection' rules is not supported by ringproxy") == true)
    }

    @Test func rulesCountAndReadCounters() throws {
        var p = try RulesProbe(frontendConfig("""
        stick-table type ip size 1k expire 30s store http_req_rate(10s),http_req_cnt,gpc0,gpt0
        http-request track-sc0 src
        http-request sc-inc-gpc0(0) if { path /inc }
        http-request sc-set-gpt0(0) 7 if { path /gpt }
        http-request set-header X-Rate %[sc_http_req_rate(0)]
        http-request set-header X-Gpc %[sc0_get_gpc0]/%[src_get_gpc0]/%[sc_get_gpt0(0)]
        http-request set-header X-Tracked %[sc_tracked(0)]/%[sc1_tracked]
        http-request set-header X-Table %[src,table_http_req_cnt(fe)]/%[str(10.9.9.9),in_table(fe)]/%[str(10.9.9.9),table_http_req_cnt(fe)]
        http-request deny deny_status 429 if { sc_http_req_rate(0) gt 3 }
        """))
        p.context.nowMs = 5_000
        p.request("GET /inc HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-rate") == "1")
        #expect(p.header("x-gpc") == "1/1/0")
        #expect(p.header("x-tracked") == "1/0")
        #expect(p.header("x-table") == "1/0/0")
        // A new transaction on the same slot: the probe does not release, so start afresh.
        p.slot.trackers = StickTrackers()
        p.request("GET /gpt HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-rate") == "2")
        #expect(p.header("x-gpc") == "1/1/7")
        p.slot.trackers = StickTrackers()
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        p.slot.trackers = StickTrackers()
        if case .reply(.deny(let r)) = p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n") { #expect(r.status == 429) }
        else { Issue.record("the fourth request within 10 s was not denied") }
    }
}
