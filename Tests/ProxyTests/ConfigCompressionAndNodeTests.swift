import Testing
@testable import Proxy

/// `compression …` is read and checked as HAProxy 2.6 checks it, with a warning that it is not
/// applied; `stats show-node` / `stats show-desc` put the node and description in the page title.
@Suite struct ConfigCompressionAndNodeTests {
    @Test func compressionIsCheckedAndWarned() throws {
        let c = try #require(ConfigTestSupport.parse("""
            defaults
                mode http
                compression algo gzip deflate
                compression type text/html text/plain
            backend b
                compression offload
                server s 127.0.0.1:80
            """))
        let b = try #require(c.proxy(named: "b"))
        #expect(b.compression.algorithms == ["gzip", "deflate"] && b.compression.types == ["text/html", "text/plain"])
        #expect(b.compression.offload)
        #expect(c.warnings.count == 3)
        #expect(c.warnings.allSatisfy { $0.contains("not applied yet") })
    }

    @Test func unknownAlgorithmIsAnError() {
        let e = ConfigTestSupport.errors("defaults\n    compression algo brotli\n")
        #expect(e.count == 1 && e[0].description.contains("unknown compression algorithm 'brotli'"), "\(e)")
        let empty = ConfigTestSupport.errors("defaults\n    compression type\n")
        #expect(empty.count == 1, "\(empty)")
    }

    @Test func statsTitleShowsNodeAndDescription() throws {
        let c = try #require(ConfigTestSupport.parse("""
            global
                node edge-7
                description front door
            listen l
                bind 127.0.0.1:8080
                stats enable
                stats show-node
                stats show-desc
                server s 127.0.0.1:80
            """))
        let stats = try #require(c.proxy(named: "l")).stats
        #expect(stats.showNode == "" && stats.showDescription == "")
        var m = capturedModel()
        m.configuration = c
        let page = StatsHTML.render(m, request: StatsRequest(), config: stats)
        #expect(page.contains("<h1>Statistics Report for HAProxy on edge-7: front door"), "\(page.prefix(3000))")
        var named = stats
        named.showNode = "lb<1>"
        named.showDescription = nil
        #expect(StatsHTML.render(m, request: StatsRequest(), config: named).contains("Statistics Report for HAProxy on lb&lt;1&gt; <small>"))
        #expect(!StatsHTML.render(m, request: StatsRequest(), config: StatsConfig()).contains(" on edge-7"))
    }
}
