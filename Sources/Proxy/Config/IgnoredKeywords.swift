// Keywords HAProxy users commonly have that change nothing ringproxy does: accepted with an
// "ignored" warning so that the configuration still loads. Anything else unknown is an error.

enum IgnoredKeywords {
    static let all: [ConfigKeyword] = [
        ConfigKeyword("chroot", .global, "chroot DIR", "Jail directory; ringproxy opens no files after start.", ignored: true),
        ConfigKeyword("ulimit-n", .global, "ulimit-n N", "File-descriptor limit; ringproxy sizes it itself.", ignored: true),
        ConfigKeyword("spread-checks", .global, "spread-checks PERCENT", "Random jitter between health checks.", ignored: true),
        ConfigKeyword("max-spread-checks", .global, "max-spread-checks DELAY", "Upper bound on how far apart the first health checks start.", ignored: true),
        ConfigKeyword("quiet", .global, "quiet", "Do not print startup messages.", ignored: true),
        ConfigKeyword("tune.*", .global, "tune.NAME VALUE", "Other HAProxy buffer and engine tuning (tune.bufsize, tune.maxrewrite and tune.http.maxhdr are applied).", ignored: true),
        ConfigKeyword("ca-base", .global, "ca-base DIR", "TLS CA directory (ringproxy has no TLS).", ignored: true),
        ConfigKeyword("crt-base", .global, "crt-base DIR", "TLS certificate directory (ringproxy has no TLS).", ignored: true),
        ConfigKeyword("ssl-default-bind-ciphers", .global, "ssl-default-bind-ciphers LIST", "TLS defaults (ringproxy has no TLS).", ignored: true),
        ConfigKeyword("ssl-default-bind-ciphersuites", .global, "ssl-default-bind-ciphersuites LIST", "TLS defaults (ringproxy has no TLS).", ignored: true),
        ConfigKeyword("ssl-default-bind-options", .global, "ssl-default-bind-options OPTIONS", "TLS defaults (ringproxy has no TLS).", ignored: true),
        // Server-side TLS defaults: ringproxy refuses `ssl` on servers, so these can change nothing.
        ConfigKeyword("ssl-default-server-ciphers", .global, "ssl-default-server-ciphers LIST", "TLS defaults for servers (ringproxy has no TLS; `ssl` on a server is refused).", ignored: true),
        ConfigKeyword("ssl-default-server-ciphersuites", .global, "ssl-default-server-ciphersuites LIST", "TLS defaults for servers (ringproxy has no TLS; `ssl` on a server is refused).", ignored: true),
        ConfigKeyword("ssl-default-server-options", .global, "ssl-default-server-options OPTIONS", "TLS defaults for servers (ringproxy has no TLS; `ssl` on a server is refused).", ignored: true),
        ConfigKeyword("ssl-server-verify", .global, "ssl-server-verify none|required", "Certificate verification default for TLS servers (ringproxy has no TLS; `ssl` on a server is refused).", ignored: true),
    ]
}
