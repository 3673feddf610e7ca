// Configurations read by ringproxy's own parser, so the benchmarked objects are built the way
// the proxy builds them at start-up.

import Foundation
import Proxy

public enum Configurations {
    /// The reference configuration, Tests/Fixtures/seed.cfg in the root package.
    public static func seed() -> Configuration {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()           // BenchmarkFixtures
            .deletingLastPathComponent()           // Sources
            .deletingLastPathComponent()           // benchmarks
            .deletingLastPathComponent()           // the root package
            .appendingPathComponent("Tests/Fixtures/seed.cfg")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            fatalError("cannot read \(url.path)")
        }
        return parse(String(decoding: data, as: UTF8.self), file: url.path)
    }

    /// Parses configuration text; a benchmark on a configuration that does not load is
    /// meaningless, so errors stop the run.
    public static func parse(_ text: String, file: String) -> Configuration {
        do {
            return try ConfigParser.parse(text: text, file: file)
        } catch {
            fatalError("\(file) does not load:\n\(error.description)")
        }
    }

    /// The section called `name`.
    public static func proxy(_ name: String, in configuration: Configuration) -> ProxyConfig {
        guard let p = configuration.proxies.first(where: { $0.name == name }) else {
            fatalError("no section '\(name)' in the configuration")
        }
        return p
    }

    /// Backend indexes as the runtime numbers them: the sections that can receive traffic
    /// (backends, and listen sections with servers), in file order.
    public static func backendIndex(in configuration: Configuration) -> (String) -> Int? {
        let names = configuration.proxies
            .filter { $0.kind == .backend || ($0.kind == .listen && !$0.servers.isEmpty) }
            .map(\.name)
        return { names.firstIndex(of: $0) }
    }
}
