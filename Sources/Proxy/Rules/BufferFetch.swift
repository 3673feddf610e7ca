// Layer-6 fetches: the bytes of the request or response buffer (req.len, req.payload(O,L),
// req.payload_lv(O,L[,O2]), their res.* twins), `wait_end`, and the last rule that ended a
// rule set (last_rule_file, last_rule_line). As HAProxy (smp_fetch_len, smp_fetch_payload,
// smp_fetch_payload_lv, smp_fetch_wait_end), a value that more bytes could change is marked:
// while the content rules may still wait (`content.final` false), a test that fails on such a
// value, or finds none, is "not yet" (HAProxy's ACL_TEST_MISS) rather than "no". Also the
// TLVs of the client's PROXY v2 header (fc_pp_authority, fc_pp_unique_id).

import CUring

/// The bytes the content rules look at, and whether more may come.
struct ContentBytes {
    /// What the client sent so far (mode tcp: the buffer; mode http: the buffered request).
    var request = UnsafeRawBufferPointer(start: nil, count: 0)
    /// What the server sent so far (tcp-response content rules).
    var response = UnsafeRawBufferPointer(start: nil, count: 0)
    /// No more bytes will be waited for (inspect-delay over, buffer full, peer closed, or a
    /// rule set that does not wait): what is there is all there is.
    var final = true
    /// Set by a fetch whose value more bytes could change (read by the tcp rule runner).
    var mayChange = false
    /// The TLVs of the client's PROXY v2 header (fc_pp_authority, fc_pp_unique_id): the
    /// engine's, valid during its call only.
    var pp: UnsafePointer<rp_pp_tlvs>? = nil

    /// After the rules: no pointer into the engine's buffers is kept.
    mutating func clearBuffers() {
        request = UnsafeRawBufferPointer(start: nil, count: 0)
        response = UnsafeRawBufferPointer(start: nil, count: 0)
        final = true
    }
}

/// Where a rule was written: what `last_rule_file` / `last_rule_line` give back.
struct RuleOrigin: @unchecked Sendable {   // points at the compiled rules' constants
    var file: UnsafeRawBufferPointer
    var line: Int32
    static let none = RuleOrigin(file: UnsafeRawBufferPointer(start: nil, count: 0), line: 0)
    var isSet: Bool { line > 0 }
}

/// The compiled form of a content fetch.
enum ContentFetch {
    case length(response: Bool)
    case payload(response: Bool, offset: Int, length: Int)
    /// `payload_lv`: a length of `size` bytes at `at`, then the block at `start` (absolute),
    /// or `start` bytes after the length when `relative`.
    case payloadLV(response: Bool, at: Int, size: Int, start: Int?, relative: Bool)
    case waitEnd
    case lastRuleFile, lastRuleLine
    case ppAuthority, ppUniqueID
}

extension ContentFetch {
    /// HAProxy's tune.bufsize default: a block beyond it "will never match".
    static let bufferSize = 16384

    /// From the fetch's arguments (checked as integers by the parser).
    static func compile(_ kind: FetchKind, _ args: [String]) throws -> ContentFetch {
        func int(_ i: Int) -> Int { i < args.count ? Int(args[i]) ?? 0 : 0 }
        switch kind {
        case .reqLen: return .length(response: false)
        case .resLen: return .length(response: true)
        case .reqPayload, .resPayload:
            guard int(0) >= 0, int(1) >= 0 else {
                throw RuleCompileError(description: "\(kind.rawValue)(\(args.joined(separator: ","))): offset and length must not be negative")
            }
            return .payload(response: kind == .resPayload, offset: int(0), length: int(1))
        case .reqPayloadLV, .resPayloadLV:
            guard int(0) >= 0, (1...4).contains(int(1)) else {
                throw RuleCompileError(description: "\(kind.rawValue)(\(args.joined(separator: ","))): the length field must be 1 to 4 bytes at a non-negative offset")
            }
            var start: Int? = nil
            var relative = false
            if args.count > 2, !args[2].isEmpty {
                let t = args[2]
                relative = t.hasPrefix("+") || t.hasPrefix("-")
                guard let v = Int(t.hasPrefix("+") ? String(t.dropFirst()) : t) else {
                    throw RuleCompileError(description: "\(kind.rawValue): invalid offset '\(t)'")
                }
                start = v
            }
            return .payloadLV(response: kind == .resPayloadLV, at: int(0), size: int(1), start: start, relative: relative)
        case .waitEnd: return .waitEnd
        case .lastRuleFile: return .lastRuleFile
        case .fcPPAuthority: return .ppAuthority
        case .fcPPUniqueID: return .ppUniqueID
        default: return .lastRuleLine
        }
    }
}

extension RuleContext {
    func contentSample(_ f: ContentFetch) -> Sample? {
        switch f {
        case .length(let response):
            content.mayChange = true
            // HTTP rules: the message is HTX in HAProxy, and req.len/res.len count its bytes.
            // (Raw bytes, when a content rule holds them, are what HAProxy counts before HTTP parsing.)
            if !response && content.request.count == 0 && requestLoaded && phase == .request { return .int(Int64(self.request.htxDataBytes(request: true))) }
            if response && content.response.count == 0 && responseLoaded && phase == .response { return .int(Int64(self.response.htxDataBytes(request: false))) }
            return .int(Int64((response ? content.response : content.request).count))
        case .payload(let response, let offset, let length):
            let data = response ? content.response : content.request
            if length == 0 {                     // to the end of what is there: may grow
                content.mayChange = true
                guard offset <= data.count else { return nil }
                return .binary(UnsafeRawBufferPointer(rebasing: data[offset...]))
            }
            if offset + length > Self.bufferSizeLimit { return nil }
            guard offset + length <= data.count else { content.mayChange = true; return nil }
            return .binary(UnsafeRawBufferPointer(rebasing: data[offset..<(offset + length)]))
        case .payloadLV(let response, let at, let size, let start, let relative):
            let data = response ? content.response : content.request
            guard at + size <= data.count else { content.mayChange = true; return nil }
            var n = 0
            for i in 0..<size { n = n << 8 | Int(data[at + i]) }
            var from = at + size
            if let start { from = relative ? from + start : start }
            if n == 0 || from < 0 || from + n > Self.bufferSizeLimit { return nil }
            guard from + n <= data.count else { content.mayChange = true; return nil }
            return .binary(UnsafeRawBufferPointer(rebasing: data[from..<(from + n)]))
        case .waitEnd:
            if !content.final { content.mayChange = true; return nil }
            return .bool(true)
        case .lastRuleFile:
            guard let o = slot?.lastRule, o.isSet else { return nil }
            return .string(o.file)
        case .lastRuleLine:
            guard let o = slot?.lastRule, o.isSet else { return nil }
            return .int(Int64(o.line))
        case .ppAuthority:
            guard let pp = content.pp, pp.pointee.authority_len > 0 else { return nil }
            return .string(UnsafeRawBufferPointer(start: UnsafeRawPointer(pp).advanced(by: MemoryLayout<rp_pp_tlvs>.offset(of: \rp_pp_tlvs.authority)!),
                                                  count: Int(pp.pointee.authority_len)))
        case .ppUniqueID:
            guard let pp = content.pp, pp.pointee.unique_id_len > 0 else { return nil }
            return .string(UnsafeRawBufferPointer(start: UnsafeRawPointer(pp).advanced(by: MemoryLayout<rp_pp_tlvs>.offset(of: \rp_pp_tlvs.unique_id)!),
                                                  count: Int(pp.pointee.unique_id_len)))
        }
    }

    static var bufferSizeLimit: Int { ContentFetch.bufferSize }

    /// Records the rule that ended a rule set (accept, reject, allow, deny, redirect, return…).
    @inline(__always) func ruleEnded(_ o: RuleOrigin) {
        slot?.lastRule = o
    }
}

/// HAProxy's three-valued ACL result (acl.h: FAIL 0, MISS 1, PASS 3): AND is `&`, OR is `|`.
enum TriState: UInt8 {
    case fail = 0, miss = 1, pass = 3
    var negated: TriState { self == .miss ? .miss : (self == .pass ? .fail : .pass) }
}

extension RuleContext {
    /// A condition as HAProxy's acl_exec_cond: a test that fails (or finds nothing) on a value
    /// more bytes could change is MISS while the rules may still wait.
    func evaluateContent(_ c: CompiledCondition, _ acls: [CompiledACL]) -> TriState {
        var result = TriState.fail
        for and in c.alternatives {
            var suite = TriState.pass
            for t in and {
                var r = TriState.fail
                for test in acls[t.acl].tests {
                    content.mayChange = false
                    if self.test(test) { r = .pass; break }
                    if content.mayChange && !content.final { r = .miss }
                }
                if t.negated { r = r.negated }
                suite = TriState(rawValue: suite.rawValue & r.rawValue)!
                if suite == .fail { break }
            }
            result = TriState(rawValue: result.rawValue | suite.rawValue)!
            if result == .pass { break }
        }
        if result == .miss { return .miss }
        return (result == .pass) != c.unless ? .pass : .fail
    }
}

/// The file names of rules, each copied once into the compiled rules' constants.
final class RuleOriginTable {
    private var files: [String: UnsafeRawBufferPointer] = [:]
    func origin(_ loc: SourceLocation, _ pool: ConstantPool) -> RuleOrigin {
        let f: UnsafeRawBufferPointer
        if let known = files[loc.file] { f = known } else {
            f = StaticBytes(Array(loc.file.utf8), in: pool).buffer
            files[loc.file] = f
        }
        return RuleOrigin(file: f, line: Int32(clamping: loc.line))
    }
}
