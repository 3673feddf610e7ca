// The parameters of `balance uri`, `balance hdr()` and the backup rules.

public struct BalanceOptions: Equatable, Sendable {
    /// `balance uri len N`: hash at most N characters.
    public var uriLength: Int? = nil
    /// `balance uri depth N`: hash at most N directories.
    public var uriDepth: Int? = nil
    /// `balance uri whole`: the query string is hashed too.
    public var uriWhole = false
    /// `balance uri path-only`: scheme and authority of an absolute URI are left out.
    public var uriPathOnly = false
    /// `balance url_param NAME check_post`: a POST without the parameter in its query string
    /// is hashed on the parameter in its body (what of it is in the buffer).
    public var urlParamCheckPost = false
    /// `balance hdr(NAME) use_domain_only`: only the second-level domain is hashed.
    public var headerDomainOnly = false
    /// A `balance` line was read (here or in the defaults): `dispatch` is then ignored.
    public var explicit = false
    /// `option allbackups`: all usable backups share the load when no active server is up.
    public var allBackups = false
    /// `option prefer-last-server`: a keep-alive client stays on the server of its last request.
    public var preferLastServer = false
    public init() {}
}
