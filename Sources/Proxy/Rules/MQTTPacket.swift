// MQTT packets for the `mqtt_is_valid` and `mqtt_field_value` converters (configuration.txt
// 7.3.1), as HAProxy 2.6.12 reads them (mqtt.c): the first packet of a stream, of which only
// CONNECT (MQTT 3.1 "MQIsdp", 3.1.1 and 5.0) and CONNACK (3.1.1: 2 bytes, 5.0: with
// properties) are understood; every other type is invalid. A packet cut short "needs more"
// (the rule may wait for more bytes). Kept as 2.6.12 behaves: a CONNACK property it does not
// know reads as "needs more", and PUBLISH must carry flags 0x0F to pass the fixed header.

enum MQTTPacket {
    enum Validity: Equatable { case valid, invalid, needMore }

    /// HAProxy's MQTT_CPT_* (1 CONNECT … 15 AUTH).
    static let typeNames = ["CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
                            "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"]
    static let connect = 1, connack = 2
    /// The flags each type's fixed header must carry (index: type).
    static let requiredFlags: [UInt8] = [0, 0, 0, 0x0F, 0, 0, 0x02, 0, 0x02, 0, 0x02, 0, 0, 0, 0, 0]

    /// Field names in HAProxy's MQTT_FN_* order (index = field id); MQTT 5.0 properties by number.
    static let fieldNames = ["", "flags", "reason_code", "protocol_name", "protocol_version", "client_identifier",
                             "will_topic", "will_payload", "username", "password", "keepalive",
                             "1", "2", "3", "8", "9", "11", "17", "18", "19", "21", "22", "23", "24", "25", "26",
                             "28", "31", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42"]

    enum Field: Int {
        case flags = 1, reasonCode, protocolName, protocolVersion, clientIdentifier, willTopic, willPayload, username, password, keepalive
        case payloadFormatIndicator, messageExpiryInterval, contentType, responseTopic, correlationData, subscriptionIdentifier
        case sessionExpiryInterval, assignedClientIdentifier, serverKeepalive, authenticationMethod, authenticationData
        case requestProblemInformation, delayInterval, requestResponseInformation, responseInformation, serverReference
        case reasonString, receiveMaximum, topicAliasMaximum, topicAlias, maximumQoS, retainAvailable, userProperty
        case maximumPacketSize, wildcardSubscriptionAvailable, subscriptionIdentifiersAvailable, sharedSubscriptionAvailable
    }

    /// Which fields each packet type may be asked for (the converter's load-time check).
    static let fieldsPerType: [Int: Set<Field>] = [
        1: [.protocolName, .protocolVersion, .flags, .keepalive, .sessionExpiryInterval, .receiveMaximum, .maximumPacketSize,
            .topicAliasMaximum, .requestResponseInformation, .requestProblemInformation, .userProperty, .authenticationMethod,
            .authenticationData, .clientIdentifier, .delayInterval, .payloadFormatIndicator, .messageExpiryInterval,
            .contentType, .responseTopic, .correlationData, .willTopic, .willPayload, .username, .password],
        2: [.flags, .protocolVersion, .reasonCode, .sessionExpiryInterval, .receiveMaximum, .maximumQoS, .retainAvailable,
            .maximumPacketSize, .assignedClientIdentifier, .topicAliasMaximum, .reasonString, .wildcardSubscriptionAvailable,
            .subscriptionIdentifiersAvailable, .sharedSubscriptionAvailable, .serverKeepalive, .responseInformation,
            .serverReference, .userProperty, .authenticationMethod, .authenticationData],
        3: [.payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData,
            .subscriptionIdentifier, .topicAlias, .userProperty],
        4: [.reasonCode, .reasonString, .userProperty], 5: [.reasonCode, .reasonString, .userProperty],
        6: [.reasonCode, .reasonString, .userProperty], 7: [.reasonCode, .reasonString, .userProperty],
        8: [.subscriptionIdentifier, .userProperty], 9: [.reasonString, .userProperty], 10: [.userProperty],
        11: [.reasonString, .userProperty], 12: [], 13: [],
        14: [.reasonCode, .sessionExpiryInterval, .serverReference, .reasonString, .userProperty],
        15: [.authenticationMethod, .authenticationData, .reasonString, .userProperty],
    ]

    /// A packet type given by name (any case) or number (its leading digits, 1–15).
    static func typeID(_ text: String) -> Int? {
        var n = 0
        for c in text.utf8 { guard c >= 48 && c <= 57 else { break }; n = min(n * 10 + Int(c - 48), 1000) }
        if (1...15).contains(n) { return n }
        if let i = typeNames.firstIndex(where: { $0.equalsIgnoringASCIICase(text) }) { return i + 1 }
        return nil
    }

    /// A field name or property number allowed for `type`.
    static func field(_ text: String, type: Int) -> Field? {
        guard let i = fieldNames.firstIndex(where: { $0.equalsIgnoringASCIICase(text) }), let f = Field(rawValue: i),
              fieldsPerType[type]?.contains(f) == true else { return nil }
        return f
    }

    /// A field's value: a number (written in decimal) or bytes of the packet.
    enum Value: Equatable { case number(UInt32), bytes(Range<Int>) }
    enum Lookup: Equatable { case found(Value), notFound, needMore }

    /// What CONNECT and CONNACK carry (only what fields may be asked for).
    struct Parsed {
        var type = 0
        var remainingLength = 0
        var protocolName: Range<Int>? = nil
        var protocolVersion: UInt32 = 0
        var flags: UInt32 = 0
        var keepalive: UInt32 = 0
        var reasonCode: UInt32 = 0
        var numbers: [Field: UInt32] = [:]          // properties (connect/connack) and will properties
        var strings: [Field: Range<Int>] = [:]
        var clientIdentifier: Range<Int>? = nil
        var willTopic: Range<Int>? = nil, willPayload: Range<Int>? = nil
        var username: Range<Int>? = nil, password: Range<Int>? = nil
    }

    /// A cursor over the packet's bytes; every read fails (nil) past `end`.
    struct Reader {
        let b: UnsafeRawBufferPointer
        var at: Int
        var end: Int
        var remaining: Int { end - at }
        mutating func u8() -> UInt32? { guard remaining >= 1 else { return nil }; at += 1; return UInt32(b[at - 1]) }
        mutating func u16() -> UInt32? {
            guard remaining >= 2 else { return nil }
            at += 2; return UInt32(b[at - 2]) << 8 | UInt32(b[at - 1])
        }
        mutating func u32() -> UInt32? {
            guard remaining >= 4 else { return nil }
            at += 4; return UInt32(b[at - 4]) << 24 | UInt32(b[at - 3]) << 16 | UInt32(b[at - 2]) << 8 | UInt32(b[at - 1])
        }
        /// A variable byte integer: at most 4 bytes (a fourth continuation byte fails); data
        /// ending inside it gives what was read.
        mutating func varint() -> Int? {
            var value = 0, shift = 0, count = 0
            while count < 4 && remaining > 0 {
                let byte = Int(b[at]); at += 1
                value += (byte & 127) << shift
                shift += 7
                if byte <= 127 { break }
                count += 1
            }
            return count == 4 ? nil : value
        }
        /// A 2-byte length then that many bytes.
        mutating func string() -> Range<Int>? {
            guard let n = u16(), remaining >= Int(n) else { return nil }
            at += Int(n)
            return (at - Int(n))..<at
        }
    }

    static func validate(_ b: UnsafeRawBufferPointer) -> Validity { parse(b).0 }

    static func parse(_ b: UnsafeRawBufferPointer) -> (Validity, Parsed) {
        var p = Parsed()
        guard b.count >= 2 else { return (.needMore, p) }
        let type = Int(b[0] >> 4), flags = b[0] & 0x0F
        guard type != 0, flags == requiredFlags[type] else { return (.invalid, p) }
        p.type = type
        var r = Reader(b: b, at: 1, end: b.count)
        guard let length = r.varint() else { return (.invalid, p) }
        p.remainingLength = length
        guard r.remaining >= length else { return (.needMore, p) }
        switch type {
        case connect: return (parseConnect(&r, &p), p)
        case connack: return (parseConnack(&r, &p), p)
        default: return (.invalid, p)
        }
    }

    static func isName(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, _ name: StaticString) -> Bool {
        guard r.count == name.utf8CodeUnitCount else { return false }
        for (k, i) in r.enumerated() where Bytes.lower(b[i]) != Bytes.lower(name.utf8Start[k]) { return false }
        return true
    }

    static func parseConnect(_ r: inout Reader, _ p: inout Parsed) -> Validity {
        let start = r.remaining
        guard let name = r.string(), isName(r.b, name, "MQTT") || isName(r.b, name, "MQIsdp") else { return .invalid }
        p.protocolName = name
        guard let version = r.u8(), [3, 4, 5].contains(version) else { return .invalid }
        p.protocolVersion = version
        guard let flags = r.u8(), flags & 0x01 == 0 else { return .invalid }       // reserved bit
        if flags & (0x04 | 0x18 | 0x20) == 0x18 { return .invalid }                  // will QoS without will
        p.flags = flags
        guard let keepalive = r.u16() else { return .invalid }
        p.keepalive = keepalive
        if version == 5 {
            guard properties(&r, &p, connectProperties) else { return .invalid }
        }
        if p.strings[.authenticationMethod].map({ $0.isEmpty }) ?? true, !(p.strings[.authenticationData]?.isEmpty ?? true) {
            return .invalid          // authentication data without a method
        }
        guard let id = r.string() else { return .invalid }
        p.clientIdentifier = id
        let will = flags & 0x04 != 0
        if version == 5 && will {
            guard properties(&r, &p, willProperties) else { return .invalid }
        }
        if will {
            guard let topic = r.string(), let payload = r.string() else { return .invalid }
            p.willTopic = topic; p.willPayload = payload
        }
        if flags & 0x80 != 0 { guard let u = r.string() else { return .invalid }; p.username = u }
        if flags & 0x40 != 0 { guard let pw = r.string() else { return .invalid }; p.password = pw }
        return start - r.remaining == p.remainingLength ? .valid : .invalid
    }

    static func parseConnack(_ r: inout Reader, _ p: inout Parsed) -> Validity {
        let start = r.remaining
        guard r.remaining >= 2 else { return .invalid }
        p.protocolVersion = r.remaining == 2 ? 4 : 5
        guard let flags = r.u8(), flags & 0xFE == 0 else { return .invalid }
        p.flags = flags
        guard let code = r.u8() else { return .invalid }
        p.reasonCode = code
        if p.protocolVersion == 5 {
            switch propertiesOrUnknown(&r, &p, connackProperties) {
            case .invalid: return .invalid
            case .needMore: return .needMore        // 2.6.12: an unknown CONNACK property
            case .valid: break
            }
        }
        return start - r.remaining == p.remainingLength ? .valid : .invalid
    }

    /// How a property is read: its field, its size, and the values it may take.
    enum PropertyKind { case byte(max: UInt32?), twoBytes(nonZero: Bool), fourBytes(nonZero: Bool), string(nonEmpty: Bool), user }
    static let connectProperties: [UInt8: (Field, PropertyKind)] = [
        0x11: (.sessionExpiryInterval, .fourBytes(nonZero: false)), 0x21: (.receiveMaximum, .twoBytes(nonZero: true)),
        0x27: (.maximumPacketSize, .fourBytes(nonZero: true)), 0x22: (.topicAliasMaximum, .twoBytes(nonZero: false)),
        0x19: (.requestResponseInformation, .byte(max: 1)), 0x17: (.requestProblemInformation, .byte(max: 1)),
        0x26: (.userProperty, .user), 0x15: (.authenticationMethod, .string(nonEmpty: false)),
        0x16: (.authenticationData, .string(nonEmpty: false)),
    ]
    static let willProperties: [UInt8: (Field, PropertyKind)] = [
        0x18: (.delayInterval, .fourBytes(nonZero: false)), 0x01: (.payloadFormatIndicator, .byte(max: 1)),
        0x02: (.messageExpiryInterval, .fourBytes(nonZero: false)), 0x03: (.contentType, .string(nonEmpty: false)),
        0x08: (.responseTopic, .string(nonEmpty: false)), 0x09: (.correlationData, .string(nonEmpty: false)),
        0x26: (.userProperty, .user),
    ]
    static let connackProperties: [UInt8: (Field, PropertyKind)] = [
        0x11: (.sessionExpiryInterval, .fourBytes(nonZero: false)), 0x21: (.receiveMaximum, .twoBytes(nonZero: true)),
        0x24: (.maximumQoS, .byte(max: 1)), 0x25: (.retainAvailable, .byte(max: 1)),
        0x27: (.maximumPacketSize, .fourBytes(nonZero: true)), 0x12: (.assignedClientIdentifier, .string(nonEmpty: true)),
        0x22: (.topicAliasMaximum, .twoBytes(nonZero: false)), 0x1F: (.reasonString, .string(nonEmpty: false)),
        0x28: (.wildcardSubscriptionAvailable, .byte(max: 1)), 0x29: (.subscriptionIdentifiersAvailable, .byte(max: 1)),
        0x2A: (.sharedSubscriptionAvailable, .byte(max: 1)), 0x13: (.serverKeepalive, .twoBytes(nonZero: false)),
        0x1A: (.responseInformation, .string(nonEmpty: false)), 0x1C: (.serverReference, .string(nonEmpty: false)),
        0x26: (.userProperty, .user), 0x15: (.authenticationMethod, .string(nonEmpty: false)),
        0x16: (.authenticationData, .string(nonEmpty: false)),
    ]

    static func properties(_ r: inout Reader, _ p: inout Parsed, _ known: [UInt8: (Field, PropertyKind)]) -> Bool {
        propertiesOrUnknown(&r, &p, known) == .valid
    }

    /// A property list (varint length, then id/value pairs): invalid for a bad or repeated
    /// property (user properties may repeat), needMore for an unknown one (the caller decides).
    static func propertiesOrUnknown(_ r: inout Reader, _ p: inout Parsed, _ known: [UInt8: (Field, PropertyKind)]) -> Validity {
        guard let length = r.varint(), r.remaining >= length else { return .invalid }
        var props = Reader(b: r.b, at: r.at, end: r.at + length)
        r.at += length
        var seen: Set<Field> = []
        while props.remaining > 0 {
            let id = props.b[props.at]
            props.at += 1
            guard let entry = known[id] else { return .needMore }
            let (field, kind) = entry
            if field != .userProperty {
                if seen.contains(field) { return .invalid }
                seen.insert(field)
            }
            switch kind {
            case .byte(let max):
                guard let v = props.u8(), max.map({ v <= $0 }) ?? true else { return .invalid }
                p.numbers[field] = v
            case .twoBytes(let nonZero):
                guard let v = props.u16(), !nonZero || v != 0 else { return .invalid }
                p.numbers[field] = v
            case .fourBytes(let nonZero):
                guard let v = props.u32(), !nonZero || v != 0 else { return .invalid }
                p.numbers[field] = v
            case .string(let nonEmpty):
                guard let s = props.string(), !nonEmpty || !s.isEmpty else { return .invalid }
                p.strings[field] = s
            case .user:
                guard props.string() != nil, props.string() != nil else { return .invalid }
            }
        }
        return .valid
    }

    /// mqtt_field_value: the field of a valid packet of `type`.
    static func value(_ b: UnsafeRawBufferPointer, type: Int, field: Field) -> Lookup {
        let (validity, p) = parse(b)
        switch validity {
        case .needMore: return .needMore
        case .invalid: return .notFound
        case .valid: guard p.type == type else { return .notFound }
        }
        func text(_ r: Range<Int>?) -> Lookup { r.map { $0.isEmpty ? .notFound : .found(.bytes($0)) } ?? .notFound }
        func number(_ v: UInt32?) -> Lookup { .found(.number(v ?? 0)) }
        let v5 = p.protocolVersion == 5
        let will = p.flags & 0x04 != 0
        if type == connect {
            switch field {
            case .flags: return number(p.flags)
            case .protocolName: return text(p.protocolName)
            case .protocolVersion: return number(p.protocolVersion)
            case .clientIdentifier: return text(p.clientIdentifier)
            case .willTopic: return text(p.willTopic)
            case .willPayload: return text(p.willPayload)
            case .username: return text(p.username)
            case .password: return text(p.password)
            case .keepalive: return number(p.keepalive)
            case .payloadFormatIndicator, .messageExpiryInterval, .delayInterval:
                return v5 && will ? number(p.numbers[field]) : .notFound
            case .contentType, .responseTopic, .correlationData:
                return v5 && will ? text(p.strings[field]) : .notFound
            case .sessionExpiryInterval, .requestProblemInformation, .requestResponseInformation, .receiveMaximum,
                 .topicAliasMaximum, .maximumPacketSize:
                return v5 ? number(p.numbers[field]) : .notFound
            case .authenticationMethod, .authenticationData:
                return v5 ? text(p.strings[field]) : .notFound
            default: return .notFound
            }
        }
        if type == connack {
            switch field {
            case .flags: return number(p.flags)
            case .reasonCode: return number(p.reasonCode)
            case .protocolVersion: return number(p.protocolVersion)
            case .sessionExpiryInterval, .serverKeepalive, .receiveMaximum, .topicAliasMaximum, .maximumQoS, .retainAvailable,
                 .maximumPacketSize, .wildcardSubscriptionAvailable, .subscriptionIdentifiersAvailable, .sharedSubscriptionAvailable:
                return v5 ? number(p.numbers[field]) : .notFound
            case .assignedClientIdentifier, .authenticationMethod, .authenticationData, .responseInformation,
                 .serverReference, .reasonString:
                return v5 ? text(p.strings[field]) : .notFound
            default: return .notFound
            }
        }
        return .notFound
    }
}

private extension String {
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { Bytes.lower($0) == Bytes.lower($1) }
    }
}
