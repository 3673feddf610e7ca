// The FIX parser behind fix_is_valid / fix_tag_value, on the messages of HAProxy's
// converter/fix.vtc (valid logons of every version, and the invalid variants it sends).
import Testing
@testable import Proxy

@Suite struct FIXMessageTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.utf8.makeIterator()
        while let h = it.next(), let l = it.next() { out.append(UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)!) }
        return out
    }
    /// `|` stands for the SOH delimiter.
    static func message(_ text: String) -> [UInt8] { text.utf8.map { $0 == UInt8(ascii: "|") ? 1 : $0 } }

    static let logon44 = bytes("383d4649582e342e3401393d3130320133353d410134393d434c49454e54310135363d4558454355544f520133343d310135323d32303230313032392d31333a30323a34342e3532380139383d30013130383d3330013134313d59013535333d557365726e616d65013535343d50617373776f72640131303d32353201")
    static let logon50 = bytes("383d464958542e312e3101393d3131360133353d410134393d434c49454e54310135363d4558454355544f520133343d310135323d32303230313032392d31333a31333a32322e36323401313132383d370139383d30013130383d3330013134313d59013535333d557365726e616d65013535343d50617373776f726401313133373d370131303d32303401")
    static let logon40 = bytes("383d4649582e342e3001393d37300133353d410134393d434c49454e54310135363d4558454355544f520133343d310135323d32303230313032392d31303a35343a31392e3631370139383d30013130383d33300131303d30393001")

    func validate(_ b: [UInt8]) -> FIXMessage.Validity { b.withUnsafeBytes { FIXMessage.validate($0) } }
    func value(_ b: [UInt8], _ tag: String) -> String? {
        b.withUnsafeBytes { p -> String? in
            guard case .found(let r) = FIXMessage.value(p, tag: FIXMessage.tagID(tag)!) else { return nil }
            return String(decoding: p[r], as: UTF8.self)
        }
    }

    @Test func validLogonsOfEveryVersion() {
        #expect(validate(Self.logon40) == .valid)
        #expect(validate(Self.logon44) == .valid)
        #expect(validate(Self.logon50) == .valid)
    }

    @Test func cutShortNeedsMoreAndDamageIsInvalid() {
        #expect(validate(Array(Self.logon44.prefix(20))) == .needMore)
        #expect(validate(Array(Self.logon44.dropLast(3))) == .needMore)
        // empty tag name, missing delimiter, wrong checksum, wrong body length, unknown version
        #expect(validate(Self.message("8=FIX.4.4|9=100|35=A|49=CLIENT1|56=EXECUTOR|34=1|52=20201029-13:02:44.528|=0|108=30|141=Y|553=Username|554=Password|10=252|")) == .invalid)
        #expect(validate(Self.message("8=FIX.4.4|9=100|35=A|49=CLIENT1|56=EXECUTOR|34=1|52=20201029-13:02:44.528|98|108=30|141=Y|553=Username|554=Password|10=252|")) == .invalid)
        var bad = Self.logon44; bad[bad.count - 2] = UInt8(ascii: "3")
        #expect(validate(bad) == .invalid)
        #expect(validate(Self.message("8=FIX.4.4|9=5|35=A|49=CLIENT1|10=000|")) == .invalid)
        #expect(validate(Self.message("8=FIX.9.9|9=10|35=A|49=CLIENT1|10=000|")) == .invalid)
        // tag beyond the version's range (FIX.4.0 stops at 140), and the second tag not BodyLength
        #expect(validate(Self.message("8=FIX.4.0|9=10|35=A|553=CLIENT1|10=000|")) == .invalid)
        #expect(validate(Self.message("8=FIX.4.0|35=A|9=10|49=CLIENT1|10=000|")) == .invalid)
    }

    @Test func tagValuesByNumberAndName() {
        #expect(value(Self.logon44, "BeginString") == "FIX.4.4")
        #expect(value(Self.logon44, "bodylength") == "102")
        #expect(value(Self.logon44, "35") == "A")
        #expect(value(Self.logon44, "SenderCompID") == "CLIENT1")
        #expect(value(Self.logon44, "56") == "EXECUTOR")
        #expect(value(Self.logon44, "CheckSum") == "252")
        #expect(value(Self.logon44, "999") == nil)
        #expect(FIXMessage.tagID("Nope") == nil && FIXMessage.tagID("0") == nil && FIXMessage.tagID("12") == 12)
        Array(Self.logon44.prefix(30)).withUnsafeBytes { #expect(FIXMessage.value($0, tag: 56) == .needMore) }
    }
}
