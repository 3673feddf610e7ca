// HAProxy 2.6.12's protocol checks are tcp-check rulesets written in its source; these are the
// same rules (request bytes, expectations, statuses and messages), with the variables they
// preset. (2.6.12 includes the SMTP QUIT exchange and the widened PostgreSQL auth regex.)

enum ProtocolCheckRules {
    static func rules(for c: ProxyCheckConfig, at location: SourceLocation) -> ([CheckRule], [(String, CheckValue)]) {
        var out: [CheckRule] = []
        func add(_ a: CheckRule.Action) { out.append(CheckRule(a, index: out.count, location: location)) }
        func fmt(_ parts: [CheckFormat.Part]) -> CheckFormat { CheckFormat(parts) }
        func payload(_ offset: Int, _ conv: [CheckExpression.Converter]) -> CheckFormat {
            fmt([.expression(CheckExpression(.responsePayload(offset: offset, length: 0), conv))])
        }
        let cutCRLF: [CheckExpression.Converter] = [.cutCRLF]
        let smtpText: [CheckExpression.Converter] = [.ltrim([UInt8(ascii: " ")]), .cutCRLF]
        let statusCode = CheckExpression(.responsePayload(offset: 0, length: 3))
        var connect = CheckConnect()
        connect.useServerSettings = true
        connect.linger = true

        switch c.kind {
        case .redis:
            add(.send(.bytes(Array("*1\r\n$4\r\nPING\r\n".utf8))))
            var e = CheckExpect(.string(Array("+PONG\r\n".utf8)))
            e.errorStatus = .l7sts
            e.onError = payload(0, cutCRLF)
            e.onSuccess = CheckFormat(literal: "Redis server is ok")
            add(.expect(e))
            return (out, [])

        case .sslHello:
            add(.send(.format(sslv3ClientHello, binary: true)))
            var e = CheckExpect(.binaryRegex("^1[56]"))
            e.minRecv = 5
            e.okStatus = .l6ok; e.errorStatus = .l6rsp; e.timeoutStatus = .l6tout
            add(.expect(e))
            return (out, [])

        case .smtp:
            add(.connect(connect))
            var greet = CheckExpect(.regex("^[0-9]{3}[ \r]"))
            greet.minRecv = 4
            greet.errorStatus = .l7rsp
            greet.onError = payload(0, cutCRLF)
            add(.expect(greet))
            var ready = CheckExpect(.regex("^2[0-9]{2}[ \r]"))
            ready.minRecv = 4
            ready.errorStatus = .l7sts
            ready.onError = payload(4, smtpText)
            ready.statusCode = statusCode
            add(.expect(ready))
            add(.send(.format(fmt([.expression(CheckExpression(.variable("check.smtp_cmd"))), .text([13, 10])]), binary: false)))
            var hello = CheckExpect(.regex("^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]"))
            hello.errorStatus = .l7sts
            hello.onError = payload(4, smtpText)
            hello.onSuccess = payload(4, smtpText)
            hello.statusCode = statusCode
            add(.expect(hello))
            add(.send(.bytes(Array("QUIT\r\n".utf8))))
            var quit = CheckExpect(.regex("^2[0-9]{2}[- \r]"))
            quit.minRecv = 4
            quit.errorStatus = .l7sts
            quit.onError = payload(4, smtpText)
            quit.onSuccess = payload(4, smtpText)
            quit.statusCode = statusCode
            add(.expect(quit))
            return (out, [("check.smtp_cmd", .string(Array(c.smtpGreeting.utf8)))])

        case .pgsql:
            add(.connect(connect))
            let user = Array(c.pgsqlUser.utf8)
            // length (4 bytes, big-endian), protocol 3.0, "user\0", the user, "\0\0"
            let length = UInt32(15 + user.count)
            var packet: [UInt8] = [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
            packet += [0x00, 0x03, 0x00, 0x00] + Array("user".utf8) + [0] + user + [0, 0]
            add(.send(.bytes(packet)))
            var notError = CheckExpect(.regex("^E"))
            notError.inverse = true
            notError.minRecv = 5
            notError.errorStatus = .l7rsp
            notError.onError = fmt([.expression(CheckExpression(.responsePayload(offset: 6, length: 0)))])
            add(.expect(notError))
            var auth = CheckExpect(.binaryRegex("^52000000[A-Z0-9]{2}000000(00|02|03|04|05|06|07|09|0A)"))
            auth.minRecv = 9
            auth.errorStatus = .l7sts
            auth.onSuccess = CheckFormat(literal: "PostgreSQL server is ok")
            auth.onError = CheckFormat(literal: "PostgreSQL unknown error")
            add(.expect(auth))
            return (out, [])

        case .mysql:
            add(.connect(connect))
            if let u = c.mysqlUser {
                let user = Array(u.utf8)
                let length = user.count + (c.mysqlPost41 ? 7 + 27 : 7)
                var packet: [UInt8] = [UInt8(length & 0xff), UInt8((length >> 8) & 0xff), UInt8((length >> 16) & 0xff), 1]
                if c.mysqlPost41 {
                    packet += [0x00, 0x82, 0x00, 0x00]           // client capabilities
                    packet += [0x00, 0x80, 0x00, 0x01]           // max packet
                    packet += [0x21]                             // character set (UTF-8)
                    packet += [UInt8](repeating: 0, count: 23)
                } else {
                    packet += [0x00, 0x80]                       // client capabilities
                    packet += [0x00, 0x00, 0x01]                 // max packet
                }
                packet += user + [0] + [0]                       // user, filler
                packet += [0x01, 0x00, 0x00, 0x00, 0x01]         // COM_QUIT
                add(.send(.bytes(packet)))
            }
            add(.expect(CheckExpect(.custom(.mysqlInitialHandshake))))
            if c.mysqlUser != nil { add(.expect(CheckExpect(.custom(.mysqlOK)))) }
            return (out, [])

        case .ldap:
            add(.send(.bytes(CheckExpressionParser.hexBytes("300C020101600702010304008000")!)))
            var ber = CheckExpect(.binaryRegex("^30"))
            ber.minRecv = 14
            ber.onError = CheckFormat(literal: "Not LDAPv3 protocol")
            add(.expect(ber))
            add(.expect(CheckExpect(.custom(.ldapBindResponse))))
            return (out, [])

        case .spop:
            add(.send(.bytes(SPOPHello.healthCheckRequest)))
            var e = CheckExpect(.custom(.spopAgentHello))
            e.minRecv = 4
            add(.expect(e))
            return (out, [])

        case .layer4, .tcpCheck, .http:
            return ([], [])
        }
    }

    /// HAProxy's SSLv3 CLIENT HELLO, with the current time in it (hexadecimal text, decoded at send).
    static let sslv3ClientHello: CheckFormat = {
        let head = "16" + "0300" + "0079" + "01" + "000075" + "0300"
        let tail = "00" + "004E"
            + "0001" + "0002" + "0003" + "0004" + "0005" + "0006" + "0007" + "0008" + "0009" + "000A"
            + "000B" + "000C" + "000D" + "000E" + "000F" + "0010" + "0011" + "0012" + "0013" + "0014"
            + "0015" + "0016" + "0017" + "0018" + "0019" + "001A" + "001B" + "002F" + "0030" + "0031"
            + "0032" + "0033" + "0034" + "0035" + "0036" + "0037" + "0038" + "0039" + "003A"
            + "01" + "00"
        return CheckFormat([
            .text(Array(head.utf8)),
            .expression(CheckExpression(.date, [.htonl, .hex])),
            .expression(CheckExpression(.string("HAPROXYSSLCHK\nHAPROXYSSLCHK\n"), [.hex])),
            .text(Array(tail.utf8)),
        ])
    }()
}
