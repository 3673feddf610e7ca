// What ringproxy says about itself: its own version, the HAProxy version whose configuration
// language it speaks (what `version_atleast()`/`version_before()` compare with, so that a file
// written for HAProxy 2.6 takes its 2.6 branches), and the feature list of `-vv` that
// `feature(NAME)` reads. A feature is listed with '+' only when ringproxy really has it.

public enum BuildInfo {
    public static let version = "0.1.0"
    /// The HAProxy release whose configuration language and behaviour ringproxy follows.
    public static let dialectVersion = "2.6.12"

    /// HAProxy's "Feature list" format: `+NAME` present, `-NAME` absent. The absent ones are the
    /// HAProxy features configurations commonly test for, so that `feature(X)` answers false.
    public static let featureList = [
        "+LINUX_SPLICE",      // large bodies go socket→pipe→socket with splice(2)
        "+PROMEX",            // http-request use-service prometheus-exporter
        "+THREAD",            // one worker thread per core (nbthread)
        "+GETADDRINFO",       // server and check host names are resolved with getaddrinfo
        "+PCRE2", "+PCRE2_JIT", // regexes in rules (Sources/Proxy/Rules/Regex.swift)
        "+LIBCRYPT", "+CRYPT_H", // userlist passwords checked with crypt(3)
        "-OPENSSL", "-LUA", "-ZLIB", "-SLZ", "-QUIC", "-PCRE", "-PCRE_JIT",
        "-SYSTEMD", "-TPROXY", "-LINUX_TPROXY", "-TFO", "-NS", "-DEVICEATLAS", "-51DEGREES",
        "-WURFL", "-OT", "-CPU_AFFINITY", "-EPOLL", "-POLL", "-KQUEUE", "-EVPORTS", "-NETFILTER",
        "-OBSOLETE_LINKER", "-MEMORY_PROFILING", "-ENGINE",
    ].joined(separator: " ")

    /// `feature(NAME)` as HAProxy evaluates it: NAME must appear as a whole word after '+'.
    static func hasFeature(_ name: String, in list: String) -> Bool {
        guard !name.isEmpty else { return false }
        for word in list.split(separator: " ") where word.dropFirst() == name[...] {
            return word.first == "+"
        }
        return false
    }
}

/// HAProxy's version numbers ("2.6.12", "2.5-dev7", "1.9-rc2", "2.4-dev18-f6818d-20") as
/// seven numbers compared in order: major, minor, patch, sub, tag (dev 1, rc/pre 2, release 3),
/// tag number, commit count. Missing parts count as zero.
enum VersionNumber {
    static func split(_ text: String) -> [Int]? {
        var value = [0, 0, 0, 0, 3, 0, 0]
        let b = Array(text.utf8)
        guard !b.isEmpty else { return nil }
        var i = 0
        func number() -> Int {
            // strtol: optional blanks and sign are not expected here; digits only.
            var n = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { n = n &* 10 &+ Int(b[i] - 0x30); i += 1 }
            return n
        }
        var part = 0
        while true {
            value[part] = number()
            if i == b.count { return value }
            if b[i] == UInt8(ascii: "-") && part < 4 { i += 1; break }
            guard b[i] == UInt8(ascii: "."), part < 3 else { return nil }
            i += 1
            part += 1
            if part == 4 { return nil }
        }
        // The tag: a commit count directly, or dev/rc/pre with a number, then "-…-COUNT".
        let rest = Array(b[i...])
        func has(_ p: String) -> Bool { rest.starts(with: Array(p.utf8)) }
        if let first = rest.first, first < 0x30 || first > 0x39 {
            var skip = 0
            if has("dev") { value[4] = 1; skip = 3 } else if has("rc") { value[4] = 2; skip = 2 } else if has("pre") { value[4] = 2; skip = 3 }
            if skip > 0 {
                i += skip
                value[5] = number()
                if i == b.count { return value }
                guard b[i] == UInt8(ascii: "-") else { return nil }
                i += 1
            }
        }
        let tail = Array(b[i...])
        if let dash = tail.lastIndex(of: UInt8(ascii: "-")) {
            let count = tail[(dash + 1)...]
            guard !count.isEmpty else { return nil }
            value[6] = count.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) ? Int(String(decoding: count, as: UTF8.self)) ?? 0 : 0
            return value
        }
        value[6] = !tail.isEmpty && tail.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) ? Int(String(decoding: tail, as: UTF8.self)) ?? 0 : 0
        return value
    }

    /// -1: `version` is older than `current`, 0: the same, 1: newer; -3 when `version` does not
    /// parse (HAProxy's code, which makes `version_atleast(garbage)` true).
    static func compare(_ version: String, withCurrent current: String) -> Int {
        guard let loc = split(current) else { return -2 }
        guard let mod = split(version) else { return -3 }
        for k in 0..<7 {
            if mod[k] < loc[k] { return -1 }
            if mod[k] > loc[k] { return 1 }
        }
        return 0
    }
}
