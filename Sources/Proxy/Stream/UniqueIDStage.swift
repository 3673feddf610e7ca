// unique-id-format / unique-id-header, as HAProxy's http_process_request: once the rules have
// run, the frontend's format makes the request's unique id (unless a fetch made it already),
// `unique-id-header` adds it to the request, and a server with `proxy-v2-options unique-id`
// gets it in its PROXY v2 header (the engine copies it: pp_unique_id). Frontends without a
// unique-id-format skip this with one optional test.

import CUring

extension StreamHandler {
    func applyUniqueID(_ call: UnsafeMutablePointer<rp_head_call>, _ wr: WorkerRules, frontend proxy: Int) {
        // rendered once per transaction and kept in the slot's rule state (UniqueID.swift), so
        // the response rules and the log see the same ID as the header and the PROXY TLV
        guard rules?.uniqueIDFormats[proxy] != nil, let id = wr.context.finishUniqueID() else { return }
        call.pointee.pp_unique_id = id.baseAddress?.assumingMemoryBound(to: UInt8.self)
        call.pointee.pp_unique_id_len = UInt32(id.count)
    }
}
