// set-var's conditions and the byte-carrying configuration words, as pure functions (the
// side-by-side runs with HAProxy are in RulesSampleTests and RuntimeAPIAgreementTests).
import Testing
@testable import Proxy

@Suite struct VariableConditionsTests {
    @Test func conditionsParseAndRefuseUnknownOnes() {
        #expect(VarConditions.parse(["ifset", "iflt"]) == .success([.ifSet, .ifLess]))
        #expect(VarConditions.parse(["ifbogus"]) == .failure(.unknown("ifbogus")))
        #expect(VarConditions.parse(["ifset", "ifset", "ifset", "ifset", "ifset"]) == .failure(.tooMany))
        let e = ConfigTestSupport.errors(ConfigTestSupport.frontend("http-request set-var(txn.a,ifsometimes) int(1)"))
        #expect(e.contains { $0.message.contains("unknown set-var condition 'ifsometimes'") }, "\(e)")
        let u = ConfigTestSupport.errors(ConfigTestSupport.frontend("http-request unset-var(txn.a,ifset)"))
        #expect(u.contains { $0.message.contains("'unset-var' takes no condition") }, "\(u)")
    }

    @Test func conditionsDecideOnTheInputAndTheCurrentValue() {
        var cur = VarValue()
        _ = cur.store(.int(5))
        defer { cur.free() }
        let empty = Sample.string(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(VarConditions.ifGreater.allow(input: .int(2), exists: true, current: cur))
        #expect(!VarConditions.ifGreater.allow(input: .int(9), exists: true, current: cur))
        #expect(VarConditions.ifLess.allow(input: .int(9), exists: true, current: cur))
        #expect(VarConditions.ifGreater.allow(input: empty, exists: true, current: cur))   // not two integers: allowed
        #expect(VarConditions.ifEmpty.allow(input: empty, exists: false, current: nil))
        #expect(!VarConditions.ifEmpty.allow(input: .int(0), exists: false, current: nil))   // scalars are never empty
        #expect(VarConditions.ifNotEmpty.allow(input: .int(0), exists: false, current: nil))
        #expect(!VarConditions.ifSet.allow(input: .int(1), exists: true, current: nil))
        #expect(VarConditions.ifNotSet.allow(input: .int(1), exists: true, current: nil))
        #expect(!VarConditions.ifNotExists.allow(input: .int(1), exists: true, current: nil))
    }

    @Test func globalSetVarIsProcOnlyAndInternalDataOnly() {
        let e1 = ConfigTestSupport.errors("global\n    set-var txn.a int(1)\n")
        #expect(e1.contains { $0.message.contains("only process-wide variables") }, "\(e1)")
        let e2 = ConfigTestSupport.errors("global\n    set-var proc.a src\n")
        #expect(e2.contains { $0.message.contains("fetch method 'src'") }, "\(e2)")
        let c = ConfigTestSupport.parse("global\n    set-var proc.a int(1)\n    set-var-fmt proc.b \"%[var(proc.a)]x\"\n")
        #expect(c?.global.processVariables.count == 2)
    }

    @Test func escapedBytesSurviveTheLexer() throws {
        let line = try ConfigLexer.lex(#"set-header a "%[str(-\xE0\xff-)]" é"#[...].utf8)
        #expect(ConfigBytes.bytes(line.words[2]) == Array("%[str(-".utf8) + [0xE0, 0xFF] + Array("-)]".utf8))
        #expect(line.words[3] == "é" && ConfigBytes.bytes(line.words[3]) == [0xC3, 0xA9])
        // a literal code point of the private range stays itself
        let odd = String(Unicode.Scalar(0x10FE90)!)
        #expect(ConfigBytes.bytes(ConfigBytes.string(Array(odd.utf8))) == Array(odd.utf8))
    }
}
