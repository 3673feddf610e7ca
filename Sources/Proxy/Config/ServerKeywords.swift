// `server NAME ADDR[:PORT] [options]` and `default-server [options]`.

enum ServerKeywords {
    static let options = ["check", "inter", "fastinter", "downinter", "rise", "fall", "weight", "cookie", "maxconn",
                          "backup", "disabled", "port", "addr", "slowstart"]

    static let all: [ConfigKeyword] = [
        ConfigKeyword("server", [.backend, .listen],
                      "server NAME ADDR[:PORT] [check] [inter T] [fastinter T] [downinter T] [rise N] [fall N] [weight N] [cookie V] [maxconn N] [backup] [disabled] [port N] [addr IP] [slowstart T]",
                      "A real server; without PORT the client's destination port is used (port 0 in the model).") { state, line throws(ConfigError) in
            guard line.argumentCount >= 2 else { throw line.error("missing \(line.argumentCount == 0 ? "name and address" : "address"); expected 'server NAME ADDR[:PORT] [options]'") }
            let name = line.argument(0)!
            if let other = state.proxy.servers.first(where: { $0.name == name }) {
                throw line.error("duplicate server name '\(name)' in \(state.proxy.kind.rawValue) '\(state.proxy.name)'; first defined at \(other.location)")
            }
            // Addresses get HAProxy's second, legacy expansion (`server s $HOST:$PORT`).
            let address = state.environment.expandInAddress(line.argument(1)!)
            let (written, portText) = AddressParser.split(address)
            var host = written
            if let v4 = AddressParser.normalizedIPv4(host) { host = v4 }
            if host.isEmpty || host == "*" {
                // HAProxy reads an empty address as 0.0.0.0: "the client's destination" in
                // transparent setups, which ringproxy does not have.
                host = "0.0.0.0"
                state.warn(line.location, "'server \(name)': empty address read as 0.0.0.0; ringproxy connects there, it does not forward to the client's original destination")
            }
            guard AddressParser.isIP(host) || AddressParser.isHostname(host) else {
                throw line.error("invalid address '\(host)'; expected an IPv4/IPv6 address or a host name")
            }
            var port = 0
            if let portText, !portText.isEmpty, portText != "0" {
                switch AddressParser.port(portText) {
                case .success(let p): port = p
                case .failure(let e): throw line.error(e.message)
                }
            }
            var server = ServerConfig(name: name, host: host, port: port, location: line.location)
            for words in state.serverTemplate.options {
                var defaultLine = line
                defaultLine.words = ["default-server"] + words
                defaultLine.argumentStart = 1
                try apply(defaultLine, from: 0, to: &server)
            }
            try apply(line, from: 2, to: &server)
            state.proxy.servers.append(server)
        },
        ConfigKeyword("default-server", .backendSide, "default-server [server options]",
                      "Options applied to every later `server` line of the section (and of sections after a defaults).") { state, line throws(ConfigError) in
            var probe = ServerConfig(name: "", host: "", port: 0, location: line.location)
            try apply(line, from: 0, to: &probe)    // validate now, apply per server later
            state.serverTemplate.options.append(Array(line.arguments))
        },
    ]

    /// Applies server options from argument `start` on.
    static func apply(_ line: KeywordLine, from start: Int, to server: inout ServerConfig) throws(ConfigError) {
        var i = start
        func value(_ what: String) throws(ConfigError) -> String {
            guard let v = line.argument(i + 1) else { throw line.error("missing value after '\(line.argument(i)!)'; expected \(what)") }
            return v
        }
        while let option = line.argument(i) {
            switch option {
            case "check": server.check = true; i += 1; continue
            case "backup": server.backup = true; i += 1; continue
            case "disabled": server.disabled = true; i += 1; continue
            case "inter": _ = try value("a time"); server.inter = try positiveTime(line, i + 1, option)
            case "fastinter": _ = try value("a time"); server.fastinter = try positiveTime(line, i + 1, option)
            case "downinter": _ = try value("a time"); server.downinter = try positiveTime(line, i + 1, option)
            case "slowstart": _ = try value("a time"); server.slowstart = try line.time(i + 1, "slowstart")
            case "rise": _ = try value("a count"); server.rise = try line.integer(i + 1, "rise", in: 1...1_000_000)
            case "fall": _ = try value("a count"); server.fall = try line.integer(i + 1, "fall", in: 1...1_000_000)
            case "weight": _ = try value("a weight"); server.weight = try line.integer(i + 1, "weight", in: 0...256)
            case "maxconn": _ = try value("a count"); server.maxconn = try line.integer(i + 1, "maxconn", in: 0...10_000_000)
            case "cookie":
                let v = try value("a cookie value")
                guard !v.isEmpty, !v.contains(where: { $0 == ";" || $0 == "," || $0 == "=" || $0 == " " }) else {
                    throw line.error("invalid cookie value '\(v)'; it may not be empty nor contain ';', ',', '=' or spaces")
                }
                server.cookie = v
            case "port":
                let v = try value("a port")
                switch AddressParser.port(v) {
                case .success(let p): server.checkPort = p
                case .failure(let e): throw line.error(e.message)
                }
            case "addr":
                let v = try value("an IP address")
                guard AddressParser.isIP(v) else { throw line.error("invalid check address '\(v)'; expected an IPv4 or IPv6 address") }
                server.checkAddr = v
            default:
                if let used = try ServerCheckOptions.apply(option, line, i, &server) { i += used; continue }
                throw line.error(EditDistance.unknownMessage("server option", option, options + ServerCheckOptions.names))
            }
            i += 2
        }
    }

    static func positiveTime(_ line: KeywordLine, _ i: Int, _ what: String) throws(ConfigError) -> Int {
        let t = try line.time(i, what)
        guard t > 0 else { throw line.error("'\(what)' must be greater than 0") }
        return t
    }
}
