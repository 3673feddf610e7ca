// `http-request|http-response wait-for-body time T [at-least N] [if|unless COND]` (HAProxy
// 2.6): the message's body is awaited until it is whole, N bytes of it are in, or the buffer
// is full; after T a request gets a 408, a response is replaced by a 504. ringproxy waits
// before the rules run, for the wait-for-body rules whose conditions hold then
// (BodyWaitRules.swift).

enum WaitForBodySyntax {
    static func parse(_ r: inout ArgCursor) throws(ConfigError) -> HTTPActionDef {
        let line = r.line
        var time: Int? = nil
        var atLeast = 0
        while let w = r.peek, w != "if" && w != "unless" {
            r.next()
            switch w {
            case "time":
                let v = try r.value("time")
                guard let ms = ConfigUnits.milliseconds(v), ms > 0 else { throw line.error("'wait-for-body': invalid time '\(v)'") }
                time = ms
            case "at-least":
                let v = try r.value("size")
                guard let n = ConfigUnits.size(v), n >= 0 else { throw line.error("'wait-for-body': invalid size '\(v)'") }
                atLeast = n
            default:
                throw line.error("'wait-for-body': unexpected '\(w)'; expected 'time' or 'at-least'")
            }
        }
        guard let time else { throw line.error("'wait-for-body': expects 'time <time>' [ 'at-least <bytes>' ]") }
        return .waitForBody(timeMs: time, atLeast: atLeast)
    }
}
