// FIX (Financial Information eXchange) messages for the `fix_is_valid` and `fix_tag_value`
// converters (configuration.txt 7.3.1): `TAG=VALUE<SOH>` fields; the first is BeginString with
// a known version, the second BodyLength (the byte count from after it up to the CheckSum
// field), the third MsgType, and the CheckSum field (three digits: the byte sum modulo 256 of
// everything before it) ends the message. A message cut short "needs more" (the rule may wait
// for more bytes) rather than being invalid.

enum FIXMessage {
    static let delimiter: UInt8 = 0x01
    /// HAProxy's FIX_MSG_MINSIZE: below this nothing can be decided.
    static let minimumSize = 26

    enum Validity: Equatable { case valid, invalid, needMore }
    enum TagValue: Equatable { case found(Range<Int>), notFound, needMore }

    static let beginString = 8, bodyLength = 9, checkSum = 10, msgType = 35, senderCompID = 49, targetCompID = 56

    /// Versions and the highest standard tag each defines (10000–19999 are user tags).
    static let versions: [(String, Int)] = [
        ("FIX.4.0", 140), ("FIX.4.1", 211), ("FIX.4.2", 446), ("FIX.4.3", 659), ("FIX.4.4", 956), ("FIXT.1.1", 1621),
    ]

    /// A tag given to fix_tag_value: a positive number or one of the names HAProxy knows.
    static func tagID(_ text: String) -> Int? {
        if let n = Int(text), n > 0, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { return n }
        switch text.lowercased() {
        case "msgtype": return msgType
        case "checksum": return checkSum
        case "bodylength": return bodyLength
        case "targetcompid": return targetCompID
        case "beginstring": return beginString
        case "sendercompid": return senderCompID
        default: return nil
        }
    }

    /// A decimal number made of every byte of `b` (nil if empty, not all digits, or 0).
    static func number(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count < 10 else { return nil }
        var n = 0
        for i in r {
            let c = b[i]
            guard c >= 48 && c <= 57 else { return nil }
            n = n * 10 + Int(c - 48)
        }
        return n
    }

    /// A field's tag, checked against the version's range once the version is known.
    static func checkedTag(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, version: Int?) -> Int? {
        guard let n = number(b, r), n > 0 else { return nil }
        guard let version else { return n }
        if (10000...19999).contains(n) { return n }
        return n <= versions[version].1 ? n : nil
    }

    /// The next field from `i`: the tag's and the value's ranges, or nil when its `=` or its
    /// delimiter is not there yet.
    @inline(__always)
    static func field(_ b: UnsafeRawBufferPointer, from i: Int) -> (tag: Range<Int>, value: Range<Int>)? {
        var eq = i
        while eq < b.count && b[eq] != UInt8(ascii: "=") { eq += 1 }
        guard eq < b.count else { return nil }
        var end = eq + 1
        while end < b.count && b[end] != delimiter { end += 1 }
        guard end < b.count else { return nil }
        return (i..<eq, (eq + 1)..<end)
    }

    static func validate(_ b: UnsafeRawBufferPointer) -> Validity {
        if b.count < minimumSize { return .needMore }
        var i = 0, fields = 0, bodyLen = 0
        var bodyStart: Int? = nil
        var version: Int? = nil
        var sum: UInt8 = 0
        while i < b.count {
            guard let (tag, value) = field(b, from: i) else { return .needMore }
            if tag.isEmpty { return .invalid }
            guard let id = checkedTag(b, tag, version: version) else { return .invalid }
            fields += 1
            switch fields {
            case 1:
                guard id == beginString else { return .invalid }
                let text = Array(b[value])
                guard let v = versions.firstIndex(where: { Array($0.0.utf8) == text }) else { return .invalid }
                version = v
            case 2:
                guard id == bodyLength, let n = number(b, value), n > 0 else { return .invalid }
                bodyLen = n
                bodyStart = value.upperBound + 1
            case 3:
                guard id == msgType else { return .invalid }
            default:
                if id == checkSum {
                    guard bodyLen == i - bodyStart!, value.count == 3, let declared = number(b, value),
                          declared == Int(sum) else { return .invalid }
                    return .valid
                }
            }
            for k in tag { sum &+= b[k] }
            sum &+= UInt8(ascii: "=")
            for k in value { sum &+= b[k] }
            sum &+= delimiter
            i = value.upperBound + 1
        }
        return bodyStart != nil ? .needMore : .invalid
    }

    /// The value of the first field `id` (no validation beyond non-empty numeric tags).
    static func value(_ b: UnsafeRawBufferPointer, tag want: Int) -> TagValue {
        var i = 0
        while i < b.count {
            guard let (tag, value) = field(b, from: i) else { return .needMore }
            guard !tag.isEmpty, let id = checkedTag(b, tag, version: nil) else { return .notFound }
            if id == want { return value.isEmpty ? .needMore : .found(value) }   // HAProxy: an empty value reads as 'more data'
            if id == checkSum { return .notFound }
            i = value.upperBound + 1
        }
        return .needMore
    }
}
