// libFuzzer target: the configuration parser (preprocessor, keyword registry, every keyword's
// handler and the end-of-file checks) on arbitrary text. Errors are expected; a crash is not.
@testable import Proxy
import CFuzzDriver
import Glibc

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data = UnsafeRawPointer(data) else { return 0 }
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
    _ = try? ConfigParser.parse(text: text, file: "fuzz.cfg", environment: ConfigEnvironment(["PORT": "8080"]))
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzConfig))
