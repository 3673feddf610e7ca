// A replaced pattern set is kept for a grace period (an evaluation may still read it); a
// reference freed within that period must release it too (LeakSanitizer found it leaked at
// exit after `del acl` on the runtime API).
@testable import Proxy
import Testing

@Suite struct PatternReferenceLifetimeTests {
    @Test func setsRetiredWithinTheGracePeriodAreFreedWithTheReference() throws {
        weak var replaced: PatternSet?
        do {
            let def = PatternRefDef(path: nil, display: "test", usedByACL: true, usedByMap: false, hasValues: false, uniqueID: nil)
            let ref = PatternReference(def, uniqueID: 1, entries: [.init(key: "a", value: nil), .init(key: "b", value: nil)])
            let view = try ref.view(method: .exact, ignoreCase: false, output: nil)
            view.with { replaced = $0 }
            try ref.update({ $0.removeFirst() }, nowMs: 0)      // `del acl`: the old set is retired
            #expect(replaced != nil, "still retained during the grace period")
        }
        #expect(replaced == nil, "the retired set outlived its reference")
    }
}
