// The PHP-like app's session table stays bounded and keeps sessions in use.
import Testing
@testable import Origins

@Suite struct OriginSessionTableTests {
    @Test func countsVisitsPerSession() {
        var t = PHPSessionTable()
        #expect(t.visit("a") == 1)
        #expect(t.visit("b") == 1)
        #expect(t.visit("a") == 2)
    }

    @Test func forgetsIdleSessionsButKeepsActiveOnes() {
        var t = PHPSessionTable(generationSize: 10)
        #expect(t.visit("active") == 1)
        for i in 0..<1000 {
            _ = t.visit("one-shot-\(i)")
            if i % 5 == 0 { _ = t.visit("active") }
        }
        #expect(t.count <= 20)
        #expect(t.visit("active") == 202)
        #expect(t.visit("one-shot-0") == 1) // long forgotten
    }
}
