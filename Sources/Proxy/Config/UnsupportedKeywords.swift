// HAProxy keywords that ringproxy does not implement. Using one is an error (ignoring it would
// change behaviour silently); naming them lets the message say so instead of "unknown".

enum UnsupportedKeywords {
    static let names: Set<String> = [
        "reqadd", "reqrep", "reqdel", "reqirep", "reqidel",
        "rspadd", "rsprep", "rspdel", "rspirep", "rspidel", "reqallow", "reqdeny", "reqtarpit",
        "rate-limit", "http-check",
        "tcp-check", "force-persist", "ignore-persist", "server-template",
        "disabled", "enabled", "email-alert", "external-check",
        "monitor", "monitor-net", "max-keep-alive-queue", "maxconnrate", "maxsessrate",
        "nbcores", "lua-load", "h1-case-adjust",
    ]

    static func message(_ keyword: String) -> String {
        "'\(keyword)' is a HAProxy keyword that ringproxy does not implement; remove it (ringproxy never ignores a setting silently)"
    }
}
