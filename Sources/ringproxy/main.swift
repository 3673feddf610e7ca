import Proxy
#if canImport(Glibc)
import Glibc
#endif

if let spec = getenv("RINGPROXY_SMOKE") { runSmoke(String(cString: spec)) }
exit(CommandLine.runRingproxy(Array(CommandLine.arguments.dropFirst())))
