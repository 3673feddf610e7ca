// Converters, compiled: arguments parsed at load (integers, masks, regexes, variables, map
// views), evaluation in place on a Sample with results in the worker's arena. Each follows
// HAProxy 2.6's sample.c / http_conv.c / map.c behaviour, including its edge cases (field
// and word with negative indexes, regsub's empty matches, json's escapes).

import CPCRE2
#if canImport(Glibc)
import Glibc
#endif

/// An integer operand: a constant or a variable.
enum IntOperand {
    case constant(Int64)
    case variable(VarSlot)
}

enum Converter {
    case lower, upper, length, base64(url: Bool), b64dec(url: Bool), hex, hex2i, json(Int), bool, not, odd, even
    case and(IntOperand), or(IntOperand), xor(IntOperand), add(IntOperand), sub(IntOperand), mul(IntOperand)
    case div(IntOperand), mod(IntOperand), cpl, neg
    case ipmask(UInt32, (UInt64, UInt64)?)
    case field(Int64, [UInt8], Int64), word(Int64, [UInt8], Int64)
    case regsub(Regex, [UInt8], global: Bool)
    case concat([UInt8], VarSlot?, [UInt8]), addItem([UInt8], VarSlot?, [UInt8]), strcmp(VarSlot)
    case bytes(Int64, Int64?), ltrim([UInt8]), rtrim([UInt8]), cutCRLF, urlDec(query: Bool), urlEnc(query: Bool)
    case crc32(Bool), djb2(Bool), sdbm(Bool), wt6(Bool)
    case ltime([CChar], Int64), utime([CChar], Int64), httpDate(Int64, Int)
    case iif(StaticBytes, StaticBytes)
    case setVar(VarSlot), unsetVar(VarSlot), captureReq(Int), captureRes(Int)
    case map(PatternView, MapSpec, Sample?)
    case stickTable(Int, StickDatum)
    case hashing(HashConverter)                // HashConverters.swift
    case jsonQuery(JSONPath)                   // JSONQuery.swift
    case fixIsValid, fixTagValue(Int)          // FIXMessage.swift
    case mqttIsValid, mqttFieldValue(type: Int, MQTTPacket.Field)   // MQTTPacket.swift

    /// The type the input is cast to first.
    var input: SampleType {
        switch self {
        case .lower, .upper, .length, .b64dec, .hex2i, .json, .field, .word, .regsub, .concat, .addItem, .strcmp,
             .ltrim, .rtrim, .cutCRLF, .urlDec, .urlEnc, .captureReq, .captureRes: return .string
        case .base64, .hex, .bytes, .crc32, .djb2, .sdbm, .wt6: return .binary
        case .bool, .not, .odd, .even, .and, .or, .xor, .add, .sub, .mul, .div, .mod, .cpl, .neg, .ltime, .utime, .httpDate: return .int
        case .ipmask: return .addr
        case .iif: return .bool
        case .setVar, .unsetVar, .stickTable: return .any
        case .hashing(let h): return h.input
        case .jsonQuery: return .string
        case .fixIsValid, .fixTagValue, .mqttIsValid, .mqttFieldValue: return .binary
        case .map(_, let spec, _):
            switch spec.match { case .ip: return .addr; case .int: return .int; default: return .string }
        }
    }
}

extension RuleContext {
    /// Applies a converter to `s` (cast first); false when the sample disappears.
    func convert(_ c: Converter, _ s: inout Sample) -> Bool {
        guard SampleCast.convert(&s, to: c.input, arena) else { return false }
        switch c {
        case .lower, .upper:
            guard let p = arena.allocate(s.bytes.count) else { return false }
            let up: Bool = { if case .upper = c { return true }; return false }()
            for i in 0..<s.bytes.count {
                let b = s.bytes[i]
                p.storeBytes(of: up ? Bytes.upper(b) : Bytes.lower(b), toByteOffset: i, as: UInt8.self)
            }
            s.bytes = UnsafeRawBufferPointer(start: p, count: s.bytes.count)
        case .length:
            s = .int(Int64(s.bytes.count))
        case .base64(let url):
            guard let b = Base64Codec.encode(s.bytes, url: url, arena) else { return false }
            s = .string(b)
        case .b64dec(let url):
            guard let b = Base64Codec.decode(s.bytes, url: url, arena) else { return false }
            s = .binary(b)
        case .hex:
            var w = ArenaWriter(arena)
            let digits: StaticString = "0123456789ABCDEF"
            for b in s.bytes { w.byte(digits.utf8Start[Int(b >> 4)]); w.byte(digits.utf8Start[Int(b & 15)]) }
            guard let b = w.finish(arena) else { return false }
            s = .string(b)
        case .hex2i:
            var v: Int64 = 0
            var i = 0
            var neg = false
            if i < s.bytes.count && s.bytes[i] == UInt8(ascii: "-") { neg = true; i += 1 }
            while i < s.bytes.count {
                let ch = s.bytes[i]
                let d: Int64
                if ch >= 48 && ch <= 57 { d = Int64(ch - 48) } else if (ch | 0x20) >= 97 && (ch | 0x20) <= 102 { d = Int64((ch | 0x20) - 87) } else { break }
                v = v &* 16 &+ d
                i += 1
            }
            s = .int(neg ? -v : v)
        case .json(let mode):
            guard let b = JSONEscape.escape(s.bytes, mode: mode, arena) else { return false }
            s = .string(b)
        case .bool: s = .bool(s.int != 0)
        case .not: s = .bool(s.int == 0)
        case .odd: s = .bool(s.int & 1 == 1)
        case .even: s = .bool(s.int & 1 == 0)
        case .cpl: s.int = ~s.int
        case .neg:
            s.int = s.int == Int64.min ? Int64.max : -s.int
        case .and(let o): guard let v = operand(o) else { return false }; s.int &= v
        case .or(let o): guard let v = operand(o) else { return false }; s.int |= v
        case .xor(let o): guard let v = operand(o) else { return false }; s.int ^= v
        case .add(let o):
            guard let v = operand(o) else { return false }
            let (r, over) = s.int.addingReportingOverflow(v)
            s.int = over ? (v > 0 ? Int64.max : Int64.min) : r
        case .sub(let o):
            guard let v = operand(o) else { return false }
            let (r, over) = s.int.subtractingReportingOverflow(v)
            s.int = over ? (v < 0 ? Int64.max : Int64.min) : r
        case .mul(let o):
            guard let v = operand(o) else { return false }
            let (r, over) = s.int.multipliedReportingOverflow(by: v)
            s.int = over ? (((s.int < 0) != (v < 0)) ? Int64.min : Int64.max) : r
        case .div(let o):
            guard let v = operand(o) else { return false }
            if v == 0 { s.int = Int64.max } else if s.int == Int64.min && v == -1 { s.int = Int64.max } else { s.int /= v }
        case .mod(let o):
            guard let v = operand(o) else { return false }
            if v == 0 || (s.int == Int64.min && v == -1) { s.int = 0 } else { s.int %= v }
        case .ipmask(let m4, let m6):
            if s.type == .ipv6, let a = v6ToV4(s.hi, s.lo) { s = .ipv4(a) }
            if s.type == .ipv4 { s = .ipv4(s.ipv4 & m4) }
            else if s.type == .ipv6 {
                guard let (h, l) = m6 else { return false }
                s.hi &= h; s.lo &= l
            }
        case .field(let index, let seps, let count):
            guard let r = FieldWord.field(s.bytes, index, seps, count) else { s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[0..<0]); return false }
            s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[r])
        case .word(let index, let seps, let count):
            let r = FieldWord.word(s.bytes, index, seps, count)
            s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[r])
        case .regsub(let re, let replacement, let global):
            guard let b = regsub(s.bytes, re, replacement, global) else { return false }
            s.bytes = b
        case .concat(let prefix, let v, let suffix):
            // The variable first: reading it may use the arena, a writer must not be open then.
            var value: Sample? = nil
            if let v, var t = variable(v), SampleCast.convert(&t, to: .string, arena) { value = t }
            var w = ArenaWriter(arena)
            w.bytes(s.bytes)
            prefix.withUnsafeBytes { w.bytes($0) }
            if let value { w.bytes(value.bytes) }
            suffix.withUnsafeBytes { w.bytes($0) }
            guard let b = w.finish(arena) else { return false }
            s = .string(b)
        case .addItem(let delim, let v, let suffix):
            var value: Sample? = nil
            if let v, var t = variable(v), SampleCast.convert(&t, to: .string, arena) { value = t }
            var w = ArenaWriter(arena)
            w.bytes(s.bytes)
            if s.bytes.count > 0 && ((value.map { $0.bytes.count > 0 } ?? false) || !suffix.isEmpty) { delim.withUnsafeBytes { w.bytes($0) } }
            if let value { w.bytes(value.bytes) }
            suffix.withUnsafeBytes { w.bytes($0) }
            guard let b = w.finish(arena) else { return false }
            s = .string(b)
        case .strcmp(let v):
            guard var t = variable(v), SampleCast.convert(&t, to: .string, arena) else { return false }
            // HAProxy's strncmp as glibc computes it (the difference of the first differing bytes,
            // up to a NUL), here rather than strncmp itself: its magnitude is unspecified, and
            // AddressSanitizer's strncmp answers only -1/1.
            let n = min(s.bytes.count, t.bytes.count)
            var r: Int32 = 0
            for i in 0..<n {
                let a = s.bytes[i], b = t.bytes[i]
                if a != b { r = Int32(a) - Int32(b); break }
                if a == 0 { break }
            }
            if r == 0 && s.bytes.count != t.bytes.count { r = s.bytes.count < t.bytes.count ? -1 : 1 }
            s = .int(Int64(r))
        case .bytes(let off, let len):
            let n = Int64(s.bytes.count)
            if off >= n { s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[0..<0]); return true }
            let start = Int(max(0, off))
            var end = s.bytes.count
            if let len, len >= 0, Int64(start) + len < n { end = start + Int(len) }
            s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[start..<end])
        case .ltrim(let set):
            var i = 0
            while i < s.bytes.count && set.contains(s.bytes[i]) { i += 1 }
            s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[i...])
        case .rtrim(let set):
            var e = s.bytes.count
            while e > 0 && set.contains(s.bytes[e - 1]) { e -= 1 }
            s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[0..<e])
        case .cutCRLF:
            var e = 0
            while e < s.bytes.count && s.bytes[e] != 13 && s.bytes[e] != 10 { e += 1 }
            s.bytes = UnsafeRawBufferPointer(rebasing: s.bytes[0..<e])
        case .urlDec(let query):
            guard let b = URLCoding.decode(s.bytes, query: query, arena) else { return false }
            s = .string(b)
        case .urlEnc(let query):
            guard let b = URLCoding.encode(s.bytes, query: query, arena) else { return false }
            s = .string(b)
        case .crc32(let a): s = .int(Int64(a ? Hashes.fullAvalanche(Hashes.crc32(s.bytes)) : Hashes.crc32(s.bytes)))
        case .djb2(let a): s = .int(Int64(a ? Hashes.fullAvalanche(Hashes.djb2(s.bytes)) : Hashes.djb2(s.bytes)))
        case .sdbm(let a): s = .int(Int64(a ? Hashes.fullAvalanche(Hashes.sdbm(s.bytes)) : Hashes.sdbm(s.bytes)))
        case .wt6(let a): s = .int(Int64(a ? Hashes.fullAvalanche(Hashes.wt6(s.bytes)) : Hashes.wt6(s.bytes)))
        case .ltime(let fmt, let off), .utime(let fmt, let off):
            var t = time_t((s.int & 0x007f_ffff_ffff_ffff) + off)
            var tm = Glibc.tm()
            if case .ltime = c { localtime_r(&t, &tm) } else { gmtime_r(&t, &tm) }
            let (p, cap) = arena.reserveRest()
            let n = fmt.withUnsafeBufferPointer { strftime(p.assumingMemoryBound(to: CChar.self), cap, $0.baseAddress!, &tm) }
            s = .string(arena.commit(start: p, count: n))
        case .httpDate(let off, let unit):
            var secs = s.int
            var ms: Int64 = 0
            if unit == 1 { ms = secs % 1000; secs /= 1000 } else if unit == 2 { ms = (secs / 1000) % 1000; secs /= 1_000_000 }
            _ = ms
            var t = time_t(secs + off)
            var tm = Glibc.tm()
            gmtime_r(&t, &tm)
            guard let b = HTTPDate.format(tm, arena) else { return false }
            s = .string(b)
        case .iif(let yes, let no):
            s = .string(s.int != 0 ? yes.buffer : no.buffer)
        case .setVar(let v):
            setVariable(v, s)
        case .unsetVar(let v):
            unsetVariable(v)
        case .captureReq(let i):
            if let sl = slot, i < sl.requestCaptures.count { sl.requestCaptures[i].set(s.bytes) }
        case .stickTable(let table, let datum):
            return stickConvert(&s, table: table, datum)
        case .hashing(let h):
            return convertHash(h, &s)
        case .jsonQuery(let path):
            return jsonQuery(path, &s)
        case .fixIsValid:
            // as HAProxy's: the verdict on the bytes so far is final unless it says "more data"
            // (a payload that may still grow does not make an invalid message wait)
            content.mayChange = false
            switch FIXMessage.validate(s.bytes) {
            case .needMore: content.mayChange = true; return false
            case let v: s = .bool(v == .valid)
            }
        case .fixTagValue(let tag):
            content.mayChange = false
            switch FIXMessage.value(s.bytes, tag: tag) {
            case .found(let r): s = .string(UnsafeRawBufferPointer(rebasing: s.bytes[r]))
            case .needMore: content.mayChange = true; return false
            case .notFound: return false
            }
        case .mqttIsValid:
            content.mayChange = false          // as fix_is_valid: final unless "more data"
            switch MQTTPacket.validate(s.bytes) {
            case .needMore: content.mayChange = true; return false
            case let v: s = .bool(v == .valid)
            }
        case .mqttFieldValue(let type, let field):
            content.mayChange = false
            switch MQTTPacket.value(s.bytes, type: type, field: field) {
            case .found(.bytes(let r)): s = .string(UnsafeRawBufferPointer(rebasing: s.bytes[r]))
            case .found(.number(let n)):
                var w = ArenaWriter(arena)
                w.decimal(Int64(n))
                guard let b = w.finish(arena) else { return false }
                s = .string(b)
            case .needMore: content.mayChange = true; return false
            case .notFound: return false
            }
        case .captureRes(let i):
            if let sl = slot, i < sl.responseCaptures.count { sl.responseCaptures[i].set(s.bytes) }
        case .map(let view, let spec, let dflt):
            let found: Sample? = view.with { set -> Sample? in
                guard let i = set.match(s, regex) else { return nil }
                return mapValue(set, i, spec, subject: s.bytes)
            }
            if let found { s = found } else if let dflt { s = dflt } else { return false }
        }
        return true
    }

    @inline(__always) func operand(_ o: IntOperand) -> Int64? {
        switch o {
        case .constant(let v): return v
        case .variable(let v):
            guard var t = variable(v), SampleCast.convert(&t, to: .int, arena) else { return nil }
            return t.int
        }
    }

    func mapValue(_ set: PatternSet, _ i: Int, _ spec: MapSpec, subject: UnsafeRawBufferPointer) -> Sample? {
        switch set.values[i] {
        case .int(let v): return .int(v)
        case .address(let a): return a
        default:
            let text = set.valueBytes(i)
            if spec.regexBackrefs {
                // map_regm: the key regex was the last one matched; expand \N into the arena.
                let matched = set.regexes[i].search(subject, from: 0, regex)
                guard matched > 0 else { return .string(text) }
                var w = ArenaWriter(arena)
                guard RegexReplace.expand(text, subject: subject, scratch: regex, matched: matched, into: &w),
                      let b = w.finish(arena) else { return nil }
                return .string(b)
            }
            return .string(text)
        }
    }

    /// regsub, as sample_conv_regsub: the head before each match is copied, the match is
    /// replaced (back-references expanded); an empty match at the current position copies one
    /// character; without the 'g' flag only the first match is replaced.
    func regsub(_ input: UnsafeRawBufferPointer, _ re: Regex, _ replacement: [UInt8], _ global: Bool) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        var start = 0
        var notBOL = false
        let end = input.count
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: input[start..<end])
            var found: Int32 = 0
            if global || !notBOL { found = re.search(rest, from: 0, regex, options: notBOL ? UInt32(PCRE2_NOTBOL) : 0) }
            guard found > 0, let (ms, me) = regex.group(0, matched: found) else {
                w.bytes(rest)
                break
            }
            w.bytes(UnsafeRawBufferPointer(rebasing: rest[0..<ms]))
            _ = replacement.withUnsafeBytes { RegexReplace.expand($0, subject: rest, scratch: regex, matched: found, into: &w) }
            if start >= end { break }
            var eo = me
            if eo == 0 {
                w.byte(rest[0])
                eo = 1
            }
            start += eo
            notBOL = true
        }
        return w.finish(arena)
    }

    func setVariable(_ v: VarSlot, _ s: Sample) {
        if v.scope == .proc { tables.processVariables.set(v.index, s, v.conditions); return }
        guard let sl = slot else { return }
        if !v.conditions.isEmpty {
            let cur = sl.vars.values[v.index]
            if !v.conditions.allow(input: s, exists: cur.set, current: cur.set ? cur : nil) { return }
        }
        _ = sl.vars.values[v.index].store(s)
    }

    func unsetVariable(_ v: VarSlot) {
        if v.scope == .proc { tables.processVariables.unset(v.index); return }
        slot?.vars.clear(index: v.index)
    }
}

/// HAProxy's field and word converters (negative indexes count from the end; a count of 0
/// keeps everything after the start).
enum FieldWord {
    @inline(__always) static func isSep(_ c: UInt8, _ seps: [UInt8]) -> Bool { seps.contains(c) }

    static func field(_ s: UnsafeRawBufferPointer, _ index: Int64, _ seps: [UInt8], _ count: Int64) -> Range<Int>? {
        var count = count
        let n = s.count
        if index < 0 {
            var field: Int64 = -1
            var end = n, start = n
            while start > 0 {
                if isSep(s[start - 1], seps) {
                    if field == index {
                        if count == 1 { return start..<end }
                        if count > 1 { count -= 1 }
                    } else {
                        end = start - 1
                        field -= 1
                    }
                }
                start -= 1
            }
            return field == index ? start..<end : nil
        }
        var field: Int64 = 1
        var start = 0, end = 0
        while end < n {
            if isSep(s[end], seps) {
                if field == index {
                    if count == 1 { return start..<end }
                    if count > 1 { count -= 1 }
                } else {
                    start = end + 1
                    field += 1
                }
            }
            end += 1
        }
        return field == index ? start..<end : nil
    }

    static func word(_ s: UnsafeRawBufferPointer, _ index: Int64, _ seps: [UInt8], _ count: Int64) -> Range<Int> {
        var count = count
        let n = s.count
        var word: Int64 = 0
        var inWord = false
        if index < 0 {
            var end = n, start = n
            while start > 0 {
                let sep = isSep(s[start - 1], seps)
                if !inWord {
                    if !sep {
                        if word != index { word -= 1; end = start }
                        inWord = true
                    }
                } else if sep {
                    if word == index {
                        if count == 1 { return start..<end }
                        if count > 1 { count -= 1 }
                    }
                    inWord = false
                }
                start -= 1
            }
            return word == index ? start..<end : 0..<0
        }
        var start = 0, end = 0
        while end < n {
            let sep = isSep(s[end], seps)
            if !inWord {
                if !sep {
                    if word != index { word += 1; start = end }
                    inWord = true
                }
            } else if sep {
                if word == index {
                    if count == 1 { return start..<end }
                    if count > 1 { count -= 1 }
                }
                inWord = false
            }
            end += 1
        }
        return word == index ? start..<end : 0..<0
    }
}

extension Hashes {
    static func crc32(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt32 = ~0
        for c in b {
            h ^= UInt32(c)
            for _ in 0..<8 { h = (h >> 1) ^ ((h & 1) != 0 ? 0xEDB8_8320 : 0) }
        }
        return ~h
    }
    static func djb2(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt32 = 5381
        for c in b { h = (h << 5) &+ h &+ UInt32(c) }
        return h
    }
    static func sdbm(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt32 = 0
        for c in b { h = UInt32(c) &+ (h << 6) &+ (h << 16) &- h }
        return h
    }
    static func wt6(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var h0: UInt32 = 0xa53c965a, h1: UInt32 = 0x5ca6953a
        var step0: UInt32 = 6, step1: UInt32 = 18
        for c in b {
            var t = UInt32(c)
            h0 = ~(h0 ^ t)
            h1 = ~(h1 &+ t)
            t = (h1 << step0) | (h1 >> (32 - step0))
            h1 = (h0 << step1) | (h0 >> (32 - step1))
            h0 = t
            t = ((h0 >> 16) ^ h1) & 0xffff
            step0 = t & 0x1F
            step1 = t >> 11
        }
        return h0 ^ h1
    }
}

/// json(): escapes for a JSON string (ascii mode, and the utf8 modes).
enum JSONEscape {
    /// mode: 0 ascii, 1 utf8, 2 utf8s, 3 utf8p, 4 utf8ps.
    static func escape(_ s: UnsafeRawBufferPointer, mode: Int, _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        let hex: StaticString = "0123456789abcdef"
        var i = 0
        while i < s.count {
            var c = UInt32(s[i])
            if mode == 0 {
                i += 1
            } else {
                let (cp, len, ok) = UTF8Reader.next(s, i)
                i += max(len, 1)
                if !ok {
                    if mode == 1 || mode == 3 { return nil }
                    continue
                }
                if cp > 0xFFFF {
                    if mode == 1 || mode == 3 { return nil }
                    continue
                }
                c = cp
            }
            switch c {
            case 0x22: w.byte(92); w.byte(0x22)
            case 0x5C: w.byte(92); w.byte(92)
            case 0x2F: w.byte(92); w.byte(0x2F)
            case 0x08: w.byte(92); w.byte(UInt8(ascii: "b"))
            case 0x0C: w.byte(92); w.byte(UInt8(ascii: "f"))
            case 0x0D: w.byte(92); w.byte(UInt8(ascii: "r"))
            case 0x0A: w.byte(92); w.byte(UInt8(ascii: "n"))
            case 0x09: w.byte(92); w.byte(UInt8(ascii: "t"))
            default:
                if c > 0xFF || c < 0x20 || c >= 0x7F {
                    w.byte(92); w.byte(UInt8(ascii: "u"))
                    for shift in stride(from: 12, through: 0, by: -4) { w.byte(hex.utf8Start[Int((c >> UInt32(shift)) & 15)]) }
                } else { w.byte(UInt8(c)) }
            }
        }
        return w.finish(arena)
    }
}

enum UTF8Reader {
    /// (code point, length, valid).
    static func next(_ s: UnsafeRawBufferPointer, _ i: Int) -> (UInt32, Int, Bool) {
        let b0 = s[i]
        if b0 < 0x80 { return (UInt32(b0), 1, true) }
        let len: Int, initial: UInt32
        if b0 & 0xE0 == 0xC0 { len = 2; initial = UInt32(b0 & 0x1F) }
        else if b0 & 0xF0 == 0xE0 { len = 3; initial = UInt32(b0 & 0x0F) }
        else if b0 & 0xF8 == 0xF0 { len = 4; initial = UInt32(b0 & 0x07) }
        else { return (0, 1, false) }
        var cp = initial
        for k in 1..<len {
            // A truncated or broken sequence ends at the first byte that does not continue it
            // (json(utf8s) then drops only the broken bytes: "-\xE0-" gives "--").
            guard i + k < s.count else { return (0, k, false) }
            let b = s[i + k]
            guard b & 0xC0 == 0x80 else { return (0, k, false) }
            cp = cp << 6 | UInt32(b & 0x3F)
        }
        return (cp, len, true)
    }
}

/// Base64 (standard, or URL-safe without padding).
enum Base64Codec {
    static let std: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    static let url: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    static func encode(_ s: UnsafeRawBufferPointer, url: Bool, _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        let t = (url ? Self.url : Self.std).utf8Start
        var i = 0
        while i + 3 <= s.count {
            let v = UInt32(s[i]) << 16 | UInt32(s[i + 1]) << 8 | UInt32(s[i + 2])
            w.byte(t[Int(v >> 18)]); w.byte(t[Int((v >> 12) & 63)]); w.byte(t[Int((v >> 6) & 63)]); w.byte(t[Int(v & 63)])
            i += 3
        }
        let rest = s.count - i
        if rest > 0 {
            let v = UInt32(s[i]) << 16 | (rest == 2 ? UInt32(s[i + 1]) << 8 : 0)
            w.byte(t[Int(v >> 18)]); w.byte(t[Int((v >> 12) & 63)])
            if rest == 2 { w.byte(t[Int((v >> 6) & 63)]) } else if !url { w.byte(UInt8(ascii: "=")) }
            if !url { w.byte(UInt8(ascii: "=")) }
        }
        return w.finish(arena)
    }

    static func decode(_ s: UnsafeRawBufferPointer, url: Bool = false, _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        @inline(__always) func val(_ c: UInt8) -> UInt32? {
            switch c {
            case 65...90: return UInt32(c - 65)
            case 97...122: return UInt32(c - 71)
            case 48...57: return UInt32(c + 4)
            case UInt8(ascii: "+") where !url, UInt8(ascii: "-") where url: return 62
            case UInt8(ascii: "/") where !url, UInt8(ascii: "_") where url: return 63
            default: return nil
            }
        }
        var w = ArenaWriter(arena)
        var acc: UInt32 = 0, bits = 0
        var pad = false
        for c in s {
            if c == UInt8(ascii: "=") { pad = true; continue }
            if pad { return nil }
            guard let v = val(c) else { return nil }
            acc = acc << 6 | v; bits += 6
            if bits >= 8 { bits -= 8; w.byte(UInt8((acc >> UInt32(bits)) & 0xFF)) }
        }
        if !url && (s.count % 4) != 0 { return nil }
        return w.finish(arena)
    }
}

/// url_dec / url_enc.
enum URLCoding {
    static func decode(_ s: UnsafeRawBufferPointer, query: Bool, _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        var i = 0
        var inQuery = query
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: "?") { inQuery = true }
            if c == UInt8(ascii: "%") {
                guard i + 2 < s.count, let h = hexVal(s[i + 1]), let l = hexVal(s[i + 2]) else { return nil }
                w.byte(h << 4 | l); i += 3; continue
            }
            if c == UInt8(ascii: "+") && inQuery { w.byte(32) } else { w.byte(c) }
            i += 1
        }
        return w.finish(arena)
    }
    @inline(__always) static func hexVal(_ c: UInt8) -> UInt8? {
        if c >= 48 && c <= 57 { return c - 48 }
        let l = c | 0x20
        if l >= 97 && l <= 102 { return l - 87 }
        return nil
    }
    static func encode(_ s: UnsafeRawBufferPointer, query: Bool, _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        let hex: StaticString = "0123456789ABCDEF"
        for c in s {
            let unreserved = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~")
            if unreserved { w.byte(c) } else { w.byte(UInt8(ascii: "%")); w.byte(hex.utf8Start[Int(c >> 4)]); w.byte(hex.utf8Start[Int(c & 15)]) }
        }
        return w.finish(arena)
    }
}

/// An IMF-fixdate (RFC 7231): "Sun, 06 Nov 1994 08:49:37 GMT".
enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static func format(_ tm: Glibc.tm, _ arena: SampleArena) -> UnsafeRawBufferPointer? {
        var w = ArenaWriter(arena)
        func two(_ v: Int32) { w.byte(UInt8(48 + v / 10)); w.byte(UInt8(48 + v % 10)) }
        for c in days[Int(tm.tm_wday)].utf8 { w.byte(c) }
        w.byte(UInt8(ascii: ",")); w.byte(32)
        two(tm.tm_mday); w.byte(32)
        for c in months[Int(tm.tm_mon)].utf8 { w.byte(c) }
        w.byte(32)
        w.decimal(Int64(tm.tm_year) + 1900); w.byte(32)
        two(tm.tm_hour); w.byte(UInt8(ascii: ":")); two(tm.tm_min); w.byte(UInt8(ascii: ":")); two(tm.tm_sec)
        for c in " GMT".utf8 { w.byte(c) }
        return w.finish(arena)
    }
}
