// The MQTT parser behind mqtt_is_valid / mqtt_field_value: packets of HAProxy's
// converter/mqtt.vtc and packets built here for each version of CONNECT and CONNACK (the two
// types HAProxy 2.6 understands), plus every other type (invalid) and cut-short packets.
import Testing
@testable import Proxy

@Suite struct MQTTPacketTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.utf8.makeIterator()
        while let h = it.next(), let l = it.next() { out.append(UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)!) }
        return out
    }

    /// A packet: fixed header byte, remaining length as a variable byte integer, body.
    static func packet(_ first: UInt8, _ body: [UInt8]) -> [UInt8] {
        var out = [first]
        var n = body.count
        repeat {
            var b = UInt8(n % 128); n /= 128
            if n > 0 { b |= 0x80 }
            out.append(b)
        } while n > 0
        return out + body
    }
    static func string(_ s: String) -> [UInt8] { let u = Array(s.utf8); return [UInt8(u.count >> 8), UInt8(u.count & 255)] + u }
    static func properties(_ p: [UInt8]) -> [UInt8] { [UInt8(p.count)] + p }

    static func connect(version: UInt8, flags: UInt8, props: [UInt8]? = nil, id: String, willProps: [UInt8]? = nil,
                        will: (String, String)? = nil, user: String? = nil, password: String? = nil,
                        name: String = "MQTT") -> [UInt8] {
        var body = string(name) + [version, flags, 0x00, 0x3c]
        if let props { body += properties(props) }
        body += string(id)
        if let willProps { body += properties(willProps) }
        if let will { body += string(will.0) + string(will.1) }
        if let user { body += string(user) }
        if let password { body += string(password) }
        return packet(0x10, body)
    }

    func validate(_ b: [UInt8]) -> MQTTPacket.Validity { b.withUnsafeBytes { MQTTPacket.validate($0) } }
    func value(_ b: [UInt8], _ type: String, _ field: String) -> String? {
        let t = MQTTPacket.typeID(type)!
        let f = MQTTPacket.field(field, type: t)!
        return b.withUnsafeBytes { p -> String? in
            switch MQTTPacket.value(p, type: t, field: f) {
            case .found(.bytes(let r)): return String(decoding: p[r], as: UTF8.self)
            case .found(.number(let n)): return String(n)
            case .notFound: return nil
            case .needMore: return "<more>"
            }
        }
    }

    // From converter/mqtt.vtc.
    static let connect50Complex = bytes("107e00044d51545405ee003c182700000014170126000161000162260001630001642100140008746573745f7375622a03000a746578742f706c61696e08000c77696c6c727370746f7069632600016500016626000167000168000977696c6c746f706963000b77696c6c7061796c6f61640004746573740006706173737764")
    static let connack50Complex = bytes("20250000221100000078217fff24012501270000ffff22000a2600016100016226000163000164")

    @Test func connectOfEveryVersion() {
        let v31 = Self.connect(version: 3, flags: 0xc2, id: "test_sub", user: "test", password: "passwd", name: "MQIsdp")
        #expect(v31 == Self.bytes("102400064d514973647003c2003c0008746573745f7375620004746573740006706173737764"))
        #expect(validate(v31) == .valid)
        #expect(value(v31, "connect", "protocol_name") == "MQIsdp")
        #expect(value(v31, "connect", "protocol_version") == "3")
        let v311 = Self.connect(version: 4, flags: 0xee, id: "test_sub", will: ("willtopic", "willpayload"), user: "test", password: "passwd")
        #expect(validate(v311) == .valid)
        #expect(value(v311, "CONNECT", "flags") == "238")
        #expect(value(v311, "1", "will_topic") == "willtopic")
        #expect(value(v311, "connect", "will_payload") == "willpayload")
        #expect(value(v311, "connect", "keepalive") == "60")
        #expect(value(v311, "connect", "17") == nil)                 // a 5.0 property of a 3.1.1 packet
        let v50 = Self.connect(version: 5, flags: 0x02, props: [0x21, 0x00, 0x14], id: "test_sub")
        #expect(v50 == Self.bytes("101800044d5154540502003c032100140008746573745f737562"))
        #expect(validate(v50) == .valid)
        #expect(value(v50, "connect", "33") == "20")
        #expect(value(v50, "connect", "username") == nil)
        #expect(value(v50, "connect", "17") == "0")                  // absent numeric property: 0, as HAProxy
    }

    @Test func complexConnectAndConnackOfTheRegTest() {
        let c = Self.connect50Complex
        #expect(validate(c) == .valid)
        let expected = ["flags": "238", "protocol_name": "MQTT", "protocol_version": "5", "client_identifier": "test_sub",
                        "will_topic": "willtopic", "will_payload": "willpayload", "username": "test", "password": "passwd",
                        "39": "20", "23": "1", "3": "text/plain", "8": "willrsptopic"]
        for (field, v) in expected { #expect(value(c, "connect", field) == v, "\(field)") }
        let a = Self.connack50Complex
        #expect(validate(a) == .valid)
        let acked = ["flags": "0", "protocol_version": "5", "reason_code": "0", "17": "120", "33": "32767", "36": "1",
                     "37": "1", "39": "65535", "34": "10"]
        for (field, v) in acked { #expect(value(a, "connack", field) == v, "\(field)") }
        #expect(value(a, "connect", "flags") == nil)                  // valid, but not of that type
    }

    @Test func connack311() {
        let a = Self.bytes("20020001")
        #expect(validate(a) == .valid)
        #expect(value(a, "connack", "protocol_version") == "4")
        #expect(value(a, "connack", "reason_code") == "1")
        #expect(value(a, "connack", "17") == nil)
        #expect(validate(Self.bytes("20020200")) == .invalid)          // reserved flag bits
        #expect(validate(Self.bytes("21020000")) == .invalid)          // fixed-header flags
    }

    @Test func otherTypesAreInvalid() {
        // PUBLISH (flags 0x0F is what 2.6.12 requires of its fixed header), PUBACK … AUTH.
        let packets: [[UInt8]] = [
            Self.packet(0x3F, Self.string("a/b") + [0, 1] + Array("x".utf8)), Self.packet(0x30, Self.string("a/b") + Array("x".utf8)),
            Self.packet(0x40, [0, 1]), Self.packet(0x50, [0, 1]), Self.packet(0x62, [0, 1]), Self.packet(0x70, [0, 1]),
            Self.packet(0x82, [0, 1] + Self.string("a") + [0]), Self.packet(0x90, [0, 1, 0]),
            Self.packet(0xA2, [0, 1] + Self.string("a")), Self.packet(0xB0, [0, 1]),
            Self.bytes("c000"), Self.bytes("d000"), Self.bytes("e000"), Self.bytes("f000"), Self.bytes("0000"),
        ]
        for p in packets { #expect(validate(p) == .invalid, "\(p)") }
    }

    @Test func damagedAndCutShortPackets() {
        let v311 = Self.connect(version: 4, flags: 0x02, id: "test_sub")
        #expect(validate(Array(v311.prefix(1))) == .needMore)
        #expect(validate(Array(v311.dropLast(2))) == .needMore)
        #expect(value(Array(v311.dropLast(2)), "connect", "flags") == "<more>")
        #expect(validate(Self.bytes("10ffffffff1400044d5154540402003c0008746573745f737562")) == .invalid)   // 5-byte length
        #expect(validate(Self.bytes("101800044d5154540402003c000874657374a5f737562ffffffff")) == .invalid)  // length mismatch
        #expect(validate(Self.connect(version: 6, flags: 0x02, id: "x")) == .invalid)
        #expect(validate(Self.connect(version: 4, flags: 0x03, id: "x")) == .invalid)    // reserved bit
        #expect(validate(Self.connect(version: 4, flags: 0x18, id: "x")) == .invalid)    // will QoS without will
        #expect(validate(Self.connect(version: 4, flags: 0x02, id: "x", name: "HTTP")) == .invalid)
        // 5.0: a repeated property, a zero receive maximum, an unknown property, data without method.
        #expect(validate(Self.connect(version: 5, flags: 0x02, props: [0x21, 0, 1, 0x21, 0, 1], id: "x")) == .invalid)
        #expect(validate(Self.connect(version: 5, flags: 0x02, props: [0x21, 0, 0], id: "x")) == .invalid)
        #expect(validate(Self.connect(version: 5, flags: 0x02, props: [0x24, 1], id: "x")) == .invalid)
        #expect(validate(Self.connect(version: 5, flags: 0x02, props: [0x16] + Self.string("d"), id: "x")) == .invalid)
        #expect(validate(Self.connect(version: 5, flags: 0x02, props: [0x26] + Self.string("a") + Self.string("b") + [0x26] + Self.string("c") + Self.string("d"), id: "x")) == .valid)
        // 2.6.12: an unknown CONNACK property reads as "needs more".
        #expect(validate(Self.packet(0x20, [0, 0, 2, 0x01, 0])) == .needMore)
    }

    @Test func converterArguments() {
        #expect(MQTTPacket.typeID("connack") == 2 && MQTTPacket.typeID("2") == 2 && MQTTPacket.typeID("auth") == 15)
        #expect(MQTTPacket.typeID("0") == nil && MQTTPacket.typeID("16") == nil && MQTTPacket.typeID("nope") == nil)
        #expect(MQTTPacket.field("Protocol_Name", type: 1) == .protocolName)
        #expect(MQTTPacket.field("reason_code", type: 1) == nil)      // not a CONNECT field
        #expect(MQTTPacket.field("36", type: 2) == .maximumQoS && MQTTPacket.field("36", type: 1) == nil)
        #expect(MQTTPacket.field("", type: 1) == nil)
    }
}
