// The Prometheus exporter (`http-request use-service prometheus-exporter`) side by side with
// HAProxy 2.6's: the same configuration (the one of its reg-test contrib/prometheus.vtc) gives
// the same metric families, the same objects and labels, NaN for the same unset fields, and
// the `scope` / `no-maint` query parameters choose the same parts (a bad one is a 400).
// Listener metrics (`option socket-stats`) are compared in ListenerStatsTests.
import Foundation
import Testing

@Suite(.serialized) struct PrometheusExporterTests {
    static func config(stats: UInt16, fe: UInt16) -> String {
        """
        defaults
            mode http
            timeout connect 5s
            timeout client 5s
            timeout server 5s
        listen stats
            bind 127.0.0.1:\(stats)
            http-request use-service prometheus-exporter if { path /metrics }
        frontend fe
            bind 127.0.0.1:\(fe)
            default_backend be
        backend be
            stick-table type ip size 1m expire 10s
            option httpchk
            server s1 127.0.0.1:9
            server s2 127.0.0.1:9 check inter 5s maxqueue 10 maxconn 12 pool-max-conn 42
            server s3 127.0.0.1:9 disabled
        """
    }

    /// Metric lines by `name{labels}` (values kept), listener families left out.
    static func samples(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("haproxy_listener_") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let key = String(line[..<space]).replacingOccurrences(of: #"version="[^"]*""#, with: "version=\"V\"", options: .regularExpression)
            out[key] = String(line[line.index(after: space)...])
        }
        return out
    }

    struct Scrape { var all: [String: String] = [:]; var byQuery: [String: (status: Int, families: Set<String>)] = [:] }

    static let queries = ["?scope=", "?scope=server", "?scope=frontend&scope=backend", "?scope=global", "?scope",
                          "?scope=nosuch", "?no-maint", "?scope=all"]

    static func scrape(_ binary: String) throws -> Scrape {
        let stats = freePort(), fe = freePort()
        let p = try ProxyProcess(config: config(stats: stats, fe: fe), binary: binary, waitForPorts: [stats, fe])
        defer { _ = p.stop() }
        var s = Scrape()
        // Wait for s2's first check (its fields are set from then on).
        #expect(ProcessProbe.waitUntil(timeout: .seconds(10)) {
            (try? RawHTTP.get(port: stats, path: "/metrics"))?.bodyText.contains("haproxy_server_check_status{proxy=\"be\",server=\"s2\",state=\"L4CON\"} 1") == true
        }, "\(binary): s2 is never checked")
        s.all = samples(try RawHTTP.get(port: stats, path: "/metrics").bodyText)
        for q in queries {
            let r = try RawHTTP.get(port: stats, path: "/metrics" + q)
            let families = Set(samples(r.status == 200 ? r.bodyText : "").keys.map { String($0.prefix { $0 != "{" && $0 != " " }) }
                .map { $0.split(separator: "_").prefix(2).joined(separator: "_") })
            s.byQuery[q] = (r.status, families)
            if q == "?no-maint" { s.byQuery[q]!.families = Set(samples(r.bodyText).keys.filter { $0.contains("server=\"s3\"") }) }
        }
        return s
    }

    @Test(.enabled(if: HAProxyProcess.isInstalled, "haproxy is not installed")) func sameMetricsAsHAProxys() throws {
        let ours = try Self.scrape(ProxyProcess.ringproxyBinary)
        let theirs = try Self.scrape(try #require(HAProxyProcess.executable))
        // The same metric names and label sets.
        let missing = Set(theirs.all.keys).subtracting(ours.all.keys).sorted()
        let extra = Set(ours.all.keys).subtracting(theirs.all.keys).sorted()
        #expect(missing.isEmpty, "HAProxy has, ringproxy lacks: \(missing.prefix(20))")
        #expect(extra.isEmpty, "ringproxy has, HAProxy lacks: \(extra.prefix(20))")
        // NaN where HAProxy leaves a field unset, and the configured limits.
        let nan = { (s: [String: String]) in Set(s.filter { $0.value == "NaN" }.keys) }
        #expect(nan(ours.all) == nan(theirs.all), "NaN differs: \(nan(ours.all).symmetricDifference(nan(theirs.all)).sorted())")
        for k in ["haproxy_server_queue_limit{proxy=\"be\",server=\"s2\"}", "haproxy_server_limit_sessions{proxy=\"be\",server=\"s2\"}",
                  "haproxy_server_idle_connections_limit{proxy=\"be\",server=\"s2\"}", "haproxy_sticktable_size{name=\"be\",type=\"ip\"}",
                  "haproxy_server_status{proxy=\"be\",server=\"s2\",state=\"DOWN\"}", "haproxy_server_status{proxy=\"be\",server=\"s3\",state=\"MAINT\"}",
                  "haproxy_backend_agg_server_status{proxy=\"be\",state=\"UP\"}", "haproxy_backend_agg_check_status{proxy=\"be\",state=\"L4CON\"}"] {
            #expect(ours.all[k] != nil && ours.all[k] == theirs.all[k], "\(k): ringproxy \(ours.all[k] ?? "-"), haproxy \(theirs.all[k] ?? "-")")
        }
        for q in Self.queries {
            #expect(ours.byQuery[q]?.status == theirs.byQuery[q]?.status, "\(q): status")
            #expect(ours.byQuery[q]?.families == theirs.byQuery[q]?.families, "\(q): \(ours.byQuery[q]?.families.sorted() ?? []) vs \(theirs.byQuery[q]?.families.sorted() ?? [])")
        }
    }
}
