import Foundation
import Testing
@testable import Proxy

@Suite struct ConfigKeywordRegistryTests {
    /// Every keyword the issue names must be in the registry.
    static let required = [
        "global", "maxconn", "user", "group", "daemon", "nbproc", "nbthread", "pidfile", "log", "log-tag",
        "mode", "bind", "retries", "timeout connect", "timeout client", "timeout server", "timeout queue", "timeout check",
        "timeout http-request", "timeout http-keep-alive", "timeout tunnel", "contimeout", "clitimeout", "srvtimeout",
        "option httplog", "option redispatch", "option abortonclose", "option httpclose", "option http-server-close",
        "option http-keep-alive", "option forceclose", "option dontlognull", "option forwardfor", "option httpchk",
        "http-reuse", "balance", "hash-type", "server", "cookie", "appsession", "stick-table", "stick on", "stick match",
        "stick store-request", "stick store-response", "acl", "use_backend", "default_backend", "stats enable", "stats uri",
        "stats realm", "stats auth", "stats refresh", "stats hide-version", "stats show-legends", "stats admin",
        "stats prometheus-uri", "http-request use-service", "monitor-uri",
    ].filter { $0 != "global" }

    @Test func registryHasEveryRequiredKeyword() {
        let names = Set(KeywordRegistry.keywords.map(\.name))
        for name in Self.required { #expect(names.contains(name), "\(name)") }
        // A name appears once per section kind (`server` in backends and in rings).
        for (name, entries) in KeywordRegistry.allByName {
            for (i, a) in entries.enumerated() {
                for b in entries[(i + 1)...] { #expect(a.sections.isDisjoint(with: b.sections), "\(name) twice in one section kind") }
            }
        }
    }

    @Test func everyKeywordDispatchesToItself() throws {
        for k in KeywordRegistry.keywords where !k.isPrefix {
            let words = k.name.split(separator: " ").map(String.init) + ["arg"]
            let section = ConfigSection.allCases.first { k.sections.contains(SectionSet($0)) }!
            let resolved = try KeywordRegistry.resolve(words, section: section, at: SourceLocation(file: "t", line: 1))
            #expect(resolved.keyword.name == k.name)
            #expect(resolved.argumentStart == words.count - 1)
        }
    }

    @Test func legacyKeywordsNameTheirModernSpelling() {
        for name in ["contimeout", "clitimeout", "srvtimeout", "nbproc", "appsession", "option forceclose"] {
            #expect(KeywordRegistry.byName[name]?.modern?.isEmpty == false, "\(name)")
        }
        #expect(KeywordRegistry.byName["contimeout"]?.modern == "timeout connect TIME")
    }

    @Test func markdownTableListsEveryKeyword() {
        let table = KeywordRegistry.markdownTable()
        let rows = table.split(separator: "\n")
        #expect(rows.count == KeywordRegistry.keywords.count + 2)
        #expect(rows[0] == "| Keyword | Sections | Syntax | Description | HAProxy 2.x spelling |")
        for k in KeywordRegistry.keywords { #expect(table.contains("| `\(k.name)` |"), "\(k.name)") }
        // Pipes inside cells are escaped so each row keeps five columns.
        let balance = rows.first { $0.hasPrefix("| `balance` |") }!
        #expect(balance.contains("roundrobin\\|static-rr"))
        #expect(balance.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 6)
        #expect(rows.first { $0.hasPrefix("| `contimeout` |") }?.hasSuffix("| `timeout connect TIME` |") == true)
    }

    @Test func suggestionsComeFromTheRegistry() {
        #expect(EditDistance.suggestion(for: "balancee", among: ["balance", "bind"]) == "balance")
        #expect(EditDistance.suggestion(for: "zzzzzz", among: ["balance", "bind"]) == nil)
        let errors = ConfigTestSupport.errors("defaults\n optoin httplog\n")
        #expect(errors.first?.message.contains("did you mean 'option'?") == true)
    }
}
