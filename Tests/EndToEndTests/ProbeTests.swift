import Testing
import CUring

@Suite struct ProbeTests {
    @Test func ioUringIsAvailableHere() {
        var why = [CChar](repeating: 0, count: 256)
        let r = rp_io_uring_probe(&why, Int32(why.count))
        #expect(r == 0, "\(String(cString: why))")
    }
}
