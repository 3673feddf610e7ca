// The hashing and byte-formatting converters (sha1, sha2, digest, hmac, crc32c, xxh*,
// secure_memcmp, be2dec, be2hex) and the empty variable argument of concat/add_item, run
// through compiled rules. Expected values: Python's hashlib/hmac and HAProxy 2.6's reg-tests
// (sample_fetches/hashes.vtc, converter/be2dec.vtc, be2hex.vtc, add_item.vtc).
import Foundation
import Testing
@testable import Proxy

@Suite struct HashConverterTests {
    /// bin() of the 256 bytes 00..FF, as hashes.vtc feeds its converters.
    static let allBytes = (0..<256).map { String(format: "%02X", $0) }.joined()

    @Test func digestsAndHMAC() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-var(txn.key) str(key),base64
        http-request set-header X-SHA1 %[str(1),sha1,hex,lower]
        http-request set-header X-SHA224 %[str(1),sha2(224),hex,lower]
        http-request set-header X-SHA256 %[str(1),sha2,hex,lower]
        http-request set-header X-SHA512 %[str(abc),digest(sha512),hex,lower]
        http-request set-header X-HMAC %[str(1),hmac(sha256,a2V5),hex,lower]
        http-request set-header X-HMAC-Var %[str(1),hmac(sha256,txn.key),hex,lower]
        """))
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-sha1") == "356a192b7913b04c54574d18c28d46e6395428ab")
        #expect(p.header("x-sha224") == "e25388fde8290dc286a6164fa2d97e551b53498dcbf7bc378eb1f178")
        #expect(p.header("x-sha256") == "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b")
        #expect(p.header("x-sha512") == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        #expect(p.header("x-hmac") == "6da91fb91517be1f5cdcf3af91d7d40c717dd638a306157606fb2e584f7ae926")
        #expect(p.header("x-hmac-var") == "6da91fb91517be1f5cdcf3af91d7d40c717dd638a306157606fb2e584f7ae926")
    }

    @Test func integerHashes() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-var(txn.k) bin(\(Self.allBytes))
        http-request set-header X-CRC32C %[var(txn.k),crc32c]
        http-request set-header X-CRC32C-1 %[var(txn.k),crc32c(1)]
        http-request set-header X-CRC32C-Check %[str(123456789),crc32c]
        http-request set-header X-XXH3 %[var(txn.k),xxh3]
        http-request set-header X-XXH3-1 %[var(txn.k),xxh3(1)]
        http-request set-header X-XXH32 %[var(txn.k),xxh32]
        http-request set-header X-XXH32-1 %[var(txn.k),xxh32(1)]
        http-request set-header X-XXH64 %[var(txn.k),xxh64]
        http-request set-header X-XXH64-1 %[var(txn.k),xxh64(1)]
        """))
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-crc32c") == "2621708363")
        #expect(p.header("x-crc32c-1") == "2242979626")
        #expect(p.header("x-crc32c-check") == "3808858755")      // CRC-32C's check value, 0xE3069283
        #expect(p.header("x-xxh3") == "-7779787747613135503")
        #expect(p.header("x-xxh3-1") == "5930632130106562027")
        #expect(p.header("x-xxh32") == "1497633363")
        #expect(p.header("x-xxh32-1") == "1070421674")
        #expect(p.header("x-xxh64") == "2282408585429094475")
        #expect(p.header("x-xxh64-1") == "-4689339368900765961")
    }

    @Test func secureMemcmp() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-var(txn.hash) req.hdr(hash),b64dec
        acl is_match req.hdr(raw),sha1,secure_memcmp(txn.hash)
        http-request set-header X-Match true if is_match
        http-request set-header X-Match false if !is_match
        """))
        for (raw, hash, match) in [("1", "NWoZK3kTsExUV00Ywo1G5jlUKKs=", "true"), ("2", "NWoZK3kTsExUV00Ywo1G5jlUKKs=", "false"),
                                   ("2", "2kuSN7rMzfGcB2DKt67EqDWQELA=", "true"), ("2", "AAAA", "false")] {
            p.request("GET / HTTP/1.1\r\nRaw: \(raw)\r\nHash: \(hash)\r\n\r\n")
            #expect(p.header("x-match") == match, "\(raw) \(hash)")
        }
    }

    @Test func bigEndianChunks() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-header X-D1 %[req.hdr(in),be2dec(:,1)]
        http-request set-header X-D2 %[req.hdr(in),be2dec(-,3)]
        http-request set-header X-D3 %[req.hdr(in),be2dec(::,3,1)]
        http-request set-header X-H0 %[req.hdr(in),be2hex]
        http-request set-header X-H2 %[req.hdr(in),be2hex(--,3)]
        http-request set-header X-H3 %[req.hdr(in),be2hex(.,3,1)]
        http-request set-header X-Big %[req.hdr(in),be2dec(/,8)]
        """))
        p.request("GET / HTTP/1.1\r\nIn: 0123456789\r\n\r\n")
        #expect(p.header("x-d1") == "48:49:50:51:52:53:54:55:56:57")
        #expect(p.header("x-d2") == "3158322-3355701-3553080-57")
        #expect(p.header("x-d3") == "3158322::3355701::3553080")
        #expect(p.header("x-h0") == "30313233343536373839")
        #expect(p.header("x-h2") == "303132--333435--363738--39")
        #expect(p.header("x-h3") == "303132.333435.363738")
        // eight bytes read as an unsigned 64-bit number: 0x3031323334353637
        #expect(p.header("x-big") == "3472611983179986487/14393")
    }

    @Test func emptyVariableArgumentMeansNone() throws {
        var p = try RulesProbe(frontendConfig("""
        http-request set-var(txn.v) str(var_content)
        http-request set-header X-A1 "%[req.hdr(in),add_item(',',,_suff_)]"
        http-request set-header X-A2 "%[req.hdr(in),add_item(',',txn.v)]"
        http-request set-header X-C "%[req.hdr(in),concat(<,,>)]"
        """))
        p.request("GET / HTTP/1.1\r\nIn: input_string\r\n\r\n")
        #expect(p.header("x-a1") == "input_string,_suff_")
        #expect(p.header("x-a2") == "input_string,var_content")
        #expect(p.header("x-c") == "input_string<>")
    }

    @Test func jsonUTF8SkipsOnlyTheBrokenBytes() throws {
        // "-\xE0-": a three-byte sequence cut short by '-' (json.vtc's case)
        var p = try RulesProbe(frontendConfig("""
        http-request set-header X-S %[bin(2DE02D),json(utf8s)]
        http-request set-header X-P %[bin(2DE02D),json(utf8)]
        http-request set-header X-T %[bin(2DE0),json(utf8s)]
        http-request set-header X-OK %[bin(2DC3A92D),json(utf8)]
        """))
        p.request("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(p.header("x-s") == "--")
        #expect(p.header("x-p") == "")
        #expect(p.header("x-t") == "-")
        #expect(p.header("x-ok") == "-\\u00e9-")
    }

    @Test func badArgumentsNameTheProblem() {
        func error(_ rule: String) -> String {
            do { _ = try ConfigParser.parse(text: frontendConfig(rule), file: "t.cfg"); return "" } catch { return error.errors.map(\.description).joined(separator: "\n") }
        }
        #expect(error("http-request set-header X %[str(a),sha2(100)]").contains("sha2"))
        #expect(error("http-request set-header X %[str(a),digest(nope)]").contains("unknown digest 'nope'"))
        #expect(error("http-request set-header X %[str(a),be2dec(:,9)]").contains("chunk size"))
        #expect(error("http-request set-header X %[str(a),concat(a,b,c)]").contains("invalid variable name 'b'"))
    }
}
