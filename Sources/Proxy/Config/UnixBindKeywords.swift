// `unix-bind` in global: process-wide defaults for the UNIX sockets of `bind` lines (a path
// prefix, permissions, owner, group). A `bind` line's own settings win, as in HAProxy 2.6.

/// `unix-bind [prefix P] [mode M] [user U] [uid N] [group G] [gid N]`.
public struct UnixBindDefaults: Equatable, Sendable {
    /// Prepended to every `bind` UNIX socket path (not to abstract sockets).
    public var prefix: String? = nil
    public var mode: UInt32? = nil
    public var user: String? = nil
    public var uid: UInt32? = nil
    public var group: String? = nil
    public var gid: UInt32? = nil
    public init() {}

    /// The address with the prefix applied.
    func apply(to address: ListenAddress) -> ListenAddress {
        guard case .unixPath(let path) = address, let prefix else { return address }
        return .unixPath(prefix + path)
    }

    /// A `bind` line's options completed with these defaults where the line says nothing.
    func apply(to options: BindOptions) -> BindOptions {
        var o = options
        if o.mode == nil { o.mode = mode }
        if o.user == nil && o.uid == nil { o.user = user; o.uid = uid }
        if o.group == nil && o.gid == nil { o.group = group; o.gid = gid }
        return o
    }
}

enum UnixBindKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("unix-bind", .global, "unix-bind [prefix P] [mode M] [user U] [uid N] [group G] [gid N]",
                      "Defaults for the UNIX sockets of `bind` lines: a path prefix, permissions, owner and group (a `bind` line's own settings win).") { state, line throws(ConfigError) in
            guard line.argumentCount > 0 else {
                throw line.error("expects one of 'prefix', 'mode', 'user', 'uid', 'group' and 'gid'")
            }
            var d = state.config.global.process.unixBind
            var i = 0
            while let name = line.argument(i) {
                guard let value = line.argument(i + 1) else { throw line.error("'\(name)' expects a value") }
                switch name {
                case "prefix": d.prefix = value
                case "mode":
                    guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }), let m = UInt32(value, radix: 8), m <= 0o7777 else {
                        throw line.error("invalid mode '\(value)'; expected octal permissions such as 600 or 0660")
                    }
                    d.mode = m
                case "user": d.user = value
                case "group": d.group = value
                case "uid", "gid":
                    guard let n = ConfigUnits.integer(value), n <= Int(UInt32.max) else { throw line.error("invalid \(name) '\(value)'; expected a number") }
                    if name == "uid" { d.uid = UInt32(n) } else { d.gid = UInt32(n) }
                default:
                    throw line.error(EditDistance.unknownMessage("argument", name, ["prefix", "mode", "user", "uid", "group", "gid"]))
                }
                i += 2
            }
            state.config.global.process.unixBind = d
        },
    ]
}
