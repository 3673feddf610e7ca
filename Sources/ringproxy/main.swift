import Proxy
#if canImport(Glibc)
import Glibc
#endif

exit(CommandLine.runRingproxy(Array(CommandLine.arguments.dropFirst()), demo: Demo.run))
