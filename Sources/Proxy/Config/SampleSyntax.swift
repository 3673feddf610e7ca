// Reads sample expressions (`req.hdr(host),lower,map_str(FILE)`) and log-format strings
// (`%ci:%cp %[src,ipmask(24)] %{+Q}r`) the way HAProxy 2.6 does (arg.c make_arg_list,
// sample.c sample_parse_expr, log.c parse_logformat_string), checking every name and
// argument against SampleCatalog. Files named by converters are read here, once per path.

import Foundation

enum SampleSyntax {
    /// Characters of fetch and converter names.
    static func isNameChar(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
    }

    /// Splits `(a,b,"c,d")` starting at `i` (the '('): returns the arguments and the index after ')'.
    /// Quotes and `\\ \' \" \  \r \n \t` escapes as in make_arg_list; other backslashes stay.
    static func arguments(_ b: [UInt8], from start: Int) throws(LexError) -> ([String], Int) {
        var i = start + 1
        var args: [String] = []
        var cur: [UInt8] = []
        var sq = false, dq = false
        while true {
            guard i < b.count else { throw LexError("missing ')' after the arguments") }
            let c = b[i]
            if c == UInt8(ascii: "\"") && !sq { dq.toggle(); i += 1; continue }
            if c == UInt8(ascii: "'") && !dq { sq.toggle(); i += 1; continue }
            if c == UInt8(ascii: "\\") && !sq && i + 1 < b.count {
                let n = b[i + 1]
                switch n {
                case UInt8(ascii: "\\"), UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "'"): cur.append(n); i += 2
                case UInt8(ascii: "r"): cur.append(13); i += 2
                case UInt8(ascii: "n"): cur.append(10); i += 2
                case UInt8(ascii: "t"): cur.append(9); i += 2
                default: cur.append(c); i += 1
                }
                continue
            }
            if !sq && !dq && (c == UInt8(ascii: ",") || c == UInt8(ascii: ")")) {
                args.append(String(decoding: cur, as: UTF8.self))
                cur.removeAll()
                i += 1
                if c == UInt8(ascii: ")") { break }
                continue
            }
            cur.append(c)
            i += 1
        }
        if sq || dq { throw LexError("unterminated quote in the arguments") }
        // `name()` has no argument at all.
        if args == [""] { args = [] }
        return (args, i)
    }

    /// Parses an expression at the start of `text`; returns it and how many bytes it used
    /// (the rest must be handled by the caller: end of word, or ']' in a log-format).
    static func parse(_ text: String, context: SampleContext, line: KeywordLine, state: inout ParseState,
                      acl: Bool = false) throws(ConfigError) -> (SampleExprDef, AclMatch?, Int) {
        let b = Array(text.utf8)
        var i = 0
        while i < b.count && isNameChar(b[i]) { i += 1 }
        let name = String(decoding: b[0..<i], as: UTF8.self)
        guard !name.isEmpty else { throw line.error("missing fetch method in sample expression '\(text)'") }
        var args: [String] = []
        var parens = false
        if i < b.count && b[i] == UInt8(ascii: "(") {
            parens = true
            do { (args, i) = try arguments(b, from: i) } catch { throw line.error("fetch method '\(name)': \(error.message)") }
        }
        var implied: AclMatch? = nil
        let spec: FetchSpec
        if let s = SampleCatalog.fetches[name] {
            spec = s
        } else if acl, let (s, m) = SampleCatalog.aclForm(name) {
            spec = s; implied = m
        } else if let s = StickSampleSyntax.fetchSpec(name) {
            spec = s
        } else {
            var known = Array(SampleCatalog.fetches.keys)
            if acl { known += SampleCatalog.aclSuffixBases.flatMap { b in SampleCatalog.aclSuffixes.keys.map { b + "_" + $0 } } }
            throw line.error(unknown("fetch method", name, known))
        }
        // `str()`: an empty argument where one is mandatory (make_arg_list).
        if parens && args.isEmpty && spec.required > 0 { args = [""] }
        try checkArgs(args, spec.args, required: spec.required, what: "fetch method '\(name)'", line: line, state: &state)
        if spec.kind == .stickCounter {
            try StickSampleSyntax.checkCounter(name, args, line: line)
            // src_X() reads the proxy's own table unless one is named.
            if name.hasPrefix("src_") && (args.first ?? "").isEmpty { StickRuleSyntax.reference(state.proxy.name, line: line, state: &state) }
        }
        var expr = SampleExprDef(fetch: spec.kind, fetchName: name, args: args, text: "", output: spec.output)
        if !context.allows(spec.usage) && !acl {
            throw line.error("sample fetch <\(text)> may not be reliably used here because it needs '\(SampleContext.need(spec.usage))' which is not available here")
        }
        var type = spec.output
        // Converters.
        while i < b.count && b[i] == UInt8(ascii: ",") {
            i += 1
            let s = i
            while i < b.count && isNameChar(b[i]) { i += 1 }
            let cname = String(decoding: b[s..<i], as: UTF8.self)
            guard !cname.isEmpty else { throw line.error("missing converter name after ',' in '\(text)'") }
            var cargs: [String] = []
            var cparens = false
            if i < b.count && b[i] == UInt8(ascii: "(") {
                cparens = true
                do { (cargs, i) = try arguments(b, from: i) } catch { throw line.error("converter '\(cname)': \(error.message)") }
            }
            if cparens && cargs.isEmpty, let cs = SampleCatalog.converters[cname] ?? StickSampleSyntax.converterSpec(cname), cs.required > 0 { cargs = [""] }
            if let m = SampleCatalog.mapForm(cname) {
                guard (1...2).contains(cargs.count), !cargs[0].isEmpty else {
                    throw line.error("converter '\(cname)' expects a map file name and an optional default value")
                }
                if cargs.count == 2, m.output == .int, Int64(cargs[1]) == nil {
                    throw line.error("converter '\(cname)': default value '\(cargs[1])' is not an integer")
                }
                try loadFile(cargs[0], map: true, line: line, state: &state)
                try checkMapPatterns(cargs[0], m.match, line: line, state: state)
                guard SampleCast.exists(from: type, to: m.match == .ip ? .addr : (m.match == .int ? .int : .string)) else {
                    throw line.error("converter '\(cname)' cannot be applied to a sample of type \(typeName(type))")
                }
                expr.converters.append(.init(kind: .map, name: cname, args: cargs, map: m))
                type = m.output
                continue
            }
            guard let cs = SampleCatalog.converters[cname] ?? StickSampleSyntax.converterSpec(cname) else {
                throw line.error(unknown("converter", cname, Array(SampleCatalog.converters.keys) + ["map", "map_str", "map_beg", "map_reg", "map_regm", "map_ip", "map_int", "map_dom", "map_end", "map_sub", "map_dir"]))
            }
            try checkArgs(cargs, cs.args, required: cs.required, what: "converter '\(cname)'", line: line, state: &state)
            try checkConverter(cs, cargs, line: line)
            if !SampleCast.exists(from: type, to: cs.input) {
                throw line.error("converter '\(cname)' cannot be applied to a sample of type \(typeName(type)) in '\(text)'")
            }
            expr.converters.append(.init(kind: cs.kind, name: cname, args: cargs))
            type = cs.output == .any ? type : cs.output
            // json_query's output is what the path finds: an integer with 'int', else text (or a boolean)
            if cs.kind == .jsonQuery { type = cargs.count > 1 ? .int : .string }
        }
        expr.text = String(decoding: b[0..<i], as: UTF8.self)
        expr.output = type
        return (expr, implied, i)
    }

    /// "unknown fetch method 'x' (did you mean 'y'?)" — the lists are too long to print.
    static func unknown(_ what: String, _ word: String, _ known: [String]) -> String {
        var m = "unknown \(what) '\(word)'"
        if let s = EditDistance.suggestion(for: word, among: known.sorted()) { m += " (did you mean '\(s)'?)" }
        return m + "; see configuration.txt section 7.3 for the list ringproxy shares with HAProxy 2.6"
    }

    /// A whole word that must be one expression.
    static func parseWhole(_ text: String, context: SampleContext, line: KeywordLine, state: inout ParseState) throws(ConfigError) -> SampleExprDef {
        let (e, _, used) = try parse(text, context: context, line: line, state: &state)
        if used != text.utf8.count {
            let rest = String(decoding: Array(text.utf8)[used...], as: UTF8.self)
            throw line.error("unexpected '\(rest)' after sample expression '\(e.text)'")
        }
        return e
    }

    static func typeName(_ t: SampleType) -> String {
        switch t {
        case .any: "any"; case .bool: "bool"; case .int: "sint"; case .addr: "addr"; case .ipv4: "ipv4"
        case .ipv6: "ipv6"; case .string: "str"; case .binary: "bin"; case .method: "meth"
        }
    }

    static func checkArgs(_ args: [String], _ kinds: [SampleArgKind], required: Int, what: String,
                          line: KeywordLine, state: inout ParseState) throws(ConfigError) {
        if args.count < required {
            throw line.error("\(what) expects at least \(required) argument\(required == 1 ? "" : "s"), got \(args.count)")
        }
        if args.count > kinds.count {
            throw line.error("\(what) expects at most \(kinds.count) argument\(kinds.count == 1 ? "" : "s"), got \(args.count)")
        }
        for (a, k) in zip(args, kinds) {
            switch k {
            case .string, .file: break
            case .integer:
                if Int64(a) == nil { throw line.error("\(what): argument '\(a)' is not an integer") }
            case .ipv4:
                if TextAddress.parse(a)?.type != .ipv4 { throw line.error("\(what): '\(a)' is not an IPv4 address") }
            case .ipv6:
                if TextAddress.parse(a) == nil { throw line.error("\(what): '\(a)' is not an IPv6 address") }
            case .mask4:
                if IPMask.v4(a) == nil { throw line.error("\(what): '\(a)' is not a valid IPv4 mask") }
            case .mask6:
                if IPMask.v6(a) == nil { throw line.error("\(what): '\(a)' is not a valid IPv6 mask") }
            case .regex:
                if let p = Regex.problem(a) { throw line.error("\(what): invalid regex '\(a)': \(p)") }
            case .variable:
                if variable(a) == nil { throw line.error("\(what): invalid variable name '\(a)'; expected SCOPE.NAME with SCOPE one of proc, sess, txn, req, res") }
            case .userlist:
                state.config.rules.references.append(.init(kind: .userlist, name: a, location: line.location, keyword: line.keyword))
            case .table:
                state.config.rules.references.append(.init(kind: .table, name: a, location: line.location, keyword: line.keyword))
            case .backend:
                state.config.rules.references.append(.init(kind: .backend, name: a, location: line.location, keyword: line.keyword))
            case .server:
                let path = a.contains("/") ? a : "\(state.proxy.name)/\(a)"
                state.config.rules.references.append(.init(kind: .server, name: path, location: line.location, keyword: line.keyword))
            case .optionalVariable:
                if !a.isEmpty && variable(a) == nil { throw line.error("\(what): invalid variable name '\(a)'; expected SCOPE.NAME with SCOPE one of proc, sess, txn, req, res, or nothing") }
            case .dateUnit:
                if !["s", "ms", "us"].contains(a) { throw line.error("\(what): unit '\(a)' must be one of s, ms, us") }
            }
        }
    }

    /// Checks specific to some converters.
    static func checkConverter(_ c: ConverterSpec, _ args: [String], line: KeywordLine) throws(ConfigError) {
        switch c.kind {
        case .fixTagValue:
            if FIXMessage.tagID(args[0]) == nil { throw line.error("converter 'fix_tag_value': '\(args[0])' is neither a positive tag number nor one of BeginString, BodyLength, MsgType, SenderCompID, TargetCompID, CheckSum") }
        case .mqttFieldValue:
            guard let type = MQTTPacket.typeID(args[0]) else { throw line.error("converter 'mqtt_field_value': Unknown MQTT type '\(args[0])'") }
            if MQTTPacket.field(args[1], type: type) == nil {
                throw line.error("converter 'mqtt_field_value': Unknown MQTT field name '\(args[1])' for packet type '\(args[0])'")
            }
        case .setVar:
            if case .failure(let e) = VarConditions.parse(args.dropFirst()) { throw line.error("converter 'set-var': \(e.message)") }
        case .and, .or, .xor, .add, .sub, .mul, .div, .mod:
            let a = args[0]
            if Int64(a) == nil && variable(a) == nil {
                throw line.error("converter '\(c.kind.rawValue)': '\(a)' is neither an integer nor a variable name")
            }
        case .field, .word:
            if Int64(args[0]) == 0 { throw line.error("converter '\(c.kind.rawValue)': the index must not be 0") }
            if args[1].isEmpty { throw line.error("converter '\(c.kind.rawValue)': empty separators") }
        case .sha2:
            if let a = args.first, !["224", "256", "384", "512"].contains(a) {
                throw line.error("converter 'sha2': unsupported number of bits '\(a)'; expected 224, 256, 384 or 512")
            }
        case .digest, .hmac:
            if DigestAlgorithm(args[0]) == nil { throw line.error("converter '\(c.kind.rawValue)': unknown digest '\(args[0])'") }
        case .be2dec, .be2hex:
            if args.count > 1, let n = Int64(args[1]), n < 1 || n > (c.kind == .be2dec ? 8 : Int64(Int32.max)) {
                throw line.error("converter '\(c.kind.rawValue)': chunk size '\(args[1])' must be between 1 and \(c.kind == .be2dec ? "8" : "2147483647")")
            }
        case .secureMemcmp:
            break
        case .jsonQuery:
            if args.count > 1 && args[1] != "int" { throw line.error("converter 'json_query': output type '\(args[1])' is not supported; expected 'int'") }
            if JSONPath(args[0], integer: false) == nil { throw line.error("converter 'json_query': unsupported JSON path '\(args[0])'") }
        case .json:
            if let a = args.first, !a.isEmpty, !["ascii", "utf8", "utf8s", "utf8p", "utf8ps"].contains(a) {
                throw line.error("converter 'json': unexpected input code '\(a)'; expected ascii, utf8, utf8s, utf8p or utf8ps")
            }
        case .regsub:
            if args.count == 3 {
                for f in args[2] where f != "i" && f != "g" {
                    throw line.error("converter 'regsub': unknown flag '\(f)'; expected 'i' or 'g'")
                }
            }
        default: break
        }
    }

    /// `txn.name` → VariableRef.
    static func variable(_ text: String) -> VariableRef? {
        guard let dot = text.firstIndex(of: "."), let scope = VariableRef.Scope(rawValue: String(text[..<dot])) else { return nil }
        let name = String(text[text.index(after: dot)...])
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == ".") }) else { return nil }
        return VariableRef(scope: scope, name: name)
    }

    // MARK: files

    /// Reads a pattern or map file once per path (HAProxy: one key per line, optional value
    /// after blanks, `#` comments, blank lines skipped).
    /// Reads a pattern (`map` false) or map file once; `user` ("acl", "map") records the use in
    /// the file's pattern reference as HAProxy does (nil: no reference, for add-acl & co.).
    static func loadFile(_ path: String, map: Bool, user: String? = "map", line: KeywordLine, state: inout ParseState) throws(ConfigError) {
        if let user {
            let where_ = "at file '\(line.location.file)' line \(line.location.line)"
            if let i = state.config.rules.patternRefs.firstIndex(where: { $0.path == path }) {
                var r = state.config.rules.patternRefs[i]
                if map && !r.hasValues {
                    throw line.error("The file \"\(path)\" is already used as one column file and cannot be used by as two column file.")
                }
                if !map && r.hasValues {
                    throw line.error("The file \"\(path)\" is already used as two column file and cannot be used by as one column file.")
                }
                r.display += ", by \(user) \(where_)"
                if user == "map" { r.usedByMap = true } else { r.usedByACL = true }
                state.config.rules.patternRefs[i] = r
            } else {
                state.config.rules.patternRefs.append(PatternRefDef(
                    path: path, display: "pattern loaded from file '\(path)' used by \(user) \(where_)",
                    usedByACL: user == "acl", usedByMap: user == "map", hasValues: map, uniqueID: nil))
            }
        }
        if state.config.rules.files[path] != nil { return }
        guard let data = FileReader.read(path) else {
            throw line.error("failed to open \(map ? "map" : "pattern") file '\(path)'")
        }
        var lines: [PatternFileDef.Line] = []
        var n = 0
        for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            n += 1
            var bytes = Array(raw)
            if bytes.last == 13 { bytes.removeLast() }
            var i = 0
            while i < bytes.count && (bytes[i] == 32 || bytes[i] == 9) { i += 1 }
            if i == bytes.count || bytes[i] == UInt8(ascii: "#") { continue }
            if map {
                var k = i
                while k < bytes.count && bytes[k] != 32 && bytes[k] != 9 { k += 1 }
                var v = k
                while v < bytes.count && (bytes[v] == 32 || bytes[v] == 9) { v += 1 }
                var e = bytes.count
                while e > v && (bytes[e - 1] == 32 || bytes[e - 1] == 9) { e -= 1 }
                lines.append(.init(key: String(decoding: bytes[i..<k], as: UTF8.self),
                                   value: String(decoding: bytes[v..<e], as: UTF8.self), line: n))
            } else {
                var e = bytes.count
                while e > i && (bytes[e - 1] == 32 || bytes[e - 1] == 9) { e -= 1 }
                lines.append(.init(key: String(decoding: bytes[i..<e], as: UTF8.self), value: nil, line: n))
            }
        }
        state.config.rules.files[path] = PatternFileDef(path: path, lines: lines)
    }

    /// set-map/add-acl may name a file that only the runtime API fills: an empty one then.
    static func loadFileIfPresent(_ path: String, map: Bool, state: inout ParseState) throws(ConfigError) {
        if state.config.rules.files[path] != nil { return }
        if FileManager.default.fileExists(atPath: path) {
            let line = KeywordLine(words: ["-"], argumentStart: 1, keyword: "", location: SourceLocation(file: path, line: 0))
            try loadFile(path, map: map, user: nil, line: line, state: &state)
        } else {
            state.config.rules.files[path] = PatternFileDef(path: path, lines: [])
        }
    }

    /// Every key of a map must be a valid pattern for its match method.
    static func checkMapPatterns(_ path: String, _ m: AclMatch, line: KeywordLine, state: ParseState) throws(ConfigError) {
        guard let f = state.config.rules.files[path] else { return }
        for l in f.lines {
            if let p = PatternSyntax.problem(l.key, m) {
                throw line.error("map file '\(path)' line \(l.line): \(p)")
            }
        }
    }
}

/// Masks of the ipmask converter and ACL networks.
enum IPMask {
    static func v4(_ text: String) -> UInt32? {
        if let n = Int(text) { return (0...32).contains(n) ? (n == 0 ? 0 : ~UInt32(0) << UInt32(32 - n)) : nil }
        guard case .ipv4? = TextAddress.parse(text)?.type, let s = TextAddress.parse(text) else { return nil }
        return s.ipv4
    }
    static func v6(_ text: String) -> (UInt64, UInt64)? {
        if let n = Int(text) {
            guard (0...128).contains(n) else { return nil }
            let hi: UInt64 = n >= 64 ? ~0 : (n == 0 ? 0 : ~UInt64(0) << UInt64(64 - n))
            let lo: UInt64 = n <= 64 ? 0 : (n == 128 ? ~0 : ~UInt64(0) << UInt64(128 - n))
            return (hi, lo)
        }
        guard let s = TextAddress.parse(text), s.type == .ipv6 else { return nil }
        return (s.hi, s.lo)
    }
}
