// req.rdp_cookie([NAME]) / rdp_cookie and req.rdp_cookie_cnt([NAME]) / rdp_cookie_cnt: the
// RDP cookie in the stream's first bytes (RDPCookie.swift). As HAProxy's smp_fetch_rdp_cookie*,
// bytes not yet enough to answer give no sample marked as one that may change (content rules
// wait within the inspect delay); the count is 1 or 0.

extension RuleContext {
    func rdpCookieSample(name: [UInt8]?, count: Bool) -> Sample? {
        let b = content.request
        switch RDPCookie.find(b, name: name) {
        case .incomplete: content.mayChange = true; return nil
        case .absent: return count ? .int(0) : nil
        case .value(let r): return count ? .int(1) : .string(UnsafeRawBufferPointer(rebasing: b[r]))
        }
    }
}
