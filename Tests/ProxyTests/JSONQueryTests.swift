// json_query(path[,int]) on a JSON document (converter/json_query.vtc runs it end to end):
// nested keys and indexes, escaped dots in names, string escapes, numbers as %g or int,
// booleans, and what gives no sample (null, objects, missing keys, broken JSON).
import Foundation
import Testing
@testable import Proxy

@Suite struct JSONQueryTests {
    @Test func pathsAndValueTypes() throws {
        let q: [(String, String)] = [
            ("A", "'$.a.b[1].c'"), ("N", "'$.n'"), ("I", "'$.i','int'"), ("I2", "'$.n','int'"), ("T", "'$.t'"),
            ("F", "'$.f'"), ("K", "'$.my\\\\.key'"), ("Z", "'$.z'"), ("O", "'$.a'"), ("M", "'$.missing'"), ("X", "'$.a.b[0]'"),
        ]
        // unquoted, as json_query.vtc writes it: "$" inside double quotes would start an environment variable
        var p = try RulesProbe(frontendConfig(q.map { "http-request set-header X-\($0.0) <%[req.fhdr(j),json_query(\($0.1))]>" }
            .joined(separator: "\n")))
        let doc = #"{"a": {"b": [1, {"c": "x\u00e9\"y"}]}, "n": 4.5, "i": -4, "t": true, "f": false, "my.key": "v", "z": null}"#
        p.request("GET / HTTP/1.1\r\nJ: \(doc)\r\n\r\n")
        #expect(p.header("x-a") == "<xé\"y>")
        #expect(p.header("x-n") == "<4.5>")
        #expect(p.header("x-i") == "<-4>")
        #expect(p.header("x-i2") == "<4>")
        #expect(p.header("x-t") == "<1>")
        #expect(p.header("x-f") == "<0>")
        #expect(p.header("x-k") == "<v>")
        #expect(p.header("x-z") == "<>")
        #expect(p.header("x-o") == "<>")
        #expect(p.header("x-m") == "<>")
        #expect(p.header("x-x") == "<1>")
        p.request("GET / HTTP/1.1\r\nJ: {\"n\": 4.5\r\n\r\n")        // not closed: no sample past the break
        #expect(p.header("x-m") == "<>")
    }

    @Test func badPathsAreRefusedAtLoad() {
        func error(_ rule: String) -> String {
            do { _ = try ConfigParser.parse(text: frontendConfig(rule), file: "t.cfg"); return "" } catch { return error.errors.map(\.description).joined(separator: "\n") }
        }
        #expect(error("http-request set-header X %[req.hdr(j),json_query('a.b')]").contains("unsupported JSON path"))
        #expect(error("http-request set-header X %[req.hdr(j),json_query('$.a','float')]").contains("'float'"))
        #expect(error("http-request set-header X %[req.hdr(j),json_query('$.a[0].b')]") == "")
    }
}
