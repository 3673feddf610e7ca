// The environment variables a configuration sees while it is read. HAProxy reads and changes
// its real process environment (`setenv` in `global` affects the lines after it); ringproxy
// works on a copy so that `-c` and the tests never touch the process, and applies the final
// copy to the process only when it starts the proxy (Runtime).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ConfigEnvironment: Equatable, Sendable {
    public private(set) var values: [String: String]
    public init(_ values: [String: String] = [:]) { self.values = values }

    /// A snapshot of this process's environment.
    public static func process() -> ConfigEnvironment {
        var values: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                let name = String(text[..<eq])
                if values[name] == nil { values[name] = String(text[text.index(after: eq)...]) }
            }
            p += 1
        }
        return ConfigEnvironment(values)
    }

    public subscript(name: String) -> String? { values[name] }

    /// `setenv NAME VALUE` (overwrite) or `presetenv NAME VALUE` (only when unset).
    public mutating func set(_ name: String, _ value: String, overwrite: Bool = true) {
        if overwrite || values[name] == nil { values[name] = value }
    }

    public mutating func unset(_ name: String) { values[name] = nil }

    /// `resetenv [NAME...]`: removes every variable but the named ones.
    public mutating func reset(keeping names: [String]) {
        let keep = Set(names)
        values = values.filter { keep.contains($0.key) }
    }

    /// The legacy expansion HAProxy applies to addresses once more after the line was read
    /// (`env_expand` in str2sa_range): `$NAME` and `${NAME}` anywhere, quoted or not, an unset
    /// variable becoming empty; no defaults. `bind :$PORT` works because of it.
    public func expandInAddress(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "$") else { out.append(bytes[i]); i += 1; continue }
            var j = i + 1
            let braced = j < bytes.count && bytes[j] == UInt8(ascii: "{")
            if braced { j += 1 }
            let start = j
            while j < bytes.count, ConfigEnvironment.isNameByte(bytes[j]) { j += 1 }
            let name = String(decoding: bytes[start..<j], as: UTF8.self)
            if let value = values[name], !name.isEmpty { out += Array(value.utf8) }
            if braced, j < bytes.count, bytes[j] == UInt8(ascii: "}") { j += 1 }
            i = j
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Makes the process environment equal to this one (at start, so that children and
    /// `env()` see what the configuration set).
    public func applyToProcess() {
        let current = ConfigEnvironment.process()
        for name in current.values.keys where values[name] == nil { unsetenv(name) }
        for (name, value) in values where current.values[name] != value { setenv(name, value, 1) }
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }
}
