import Foundation

/// A joinable, named thread for the control plane's long-lived loops (health checks, runtime API, peers, log
/// forwarders, DNS): one place for what each of them did by hand with pthread_create.
/// Joinable, unlike Foundation's Thread, so stop() waits without polling; named, so `top -H`
/// and `perf` say which is which; and a failure to start is an error the caller reports,
/// never a thread that silently does not exist.
struct ControlThread: @unchecked Sendable {
    // @unchecked: a pthread_t is a plain handle; only the owner joins it, once.
    private let handle: pthread_t

    struct StartError: Error, CustomStringConvertible {
        let name: String, code: Int32
        var description: String { "cannot start the \(name) thread: \(String(cString: strerror(code)))" }
    }

    private final class Body { let run: () -> Void; init(_ run: @escaping () -> Void) { self.run = run } }

    /// `name`: at most 15 bytes are kept (the kernel's limit).
    init(name: String, _ body: @escaping () -> Void) throws {
        let threadName = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        let box = Unmanaged.passRetained(Body { Thread.current.name = threadName; body() }).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw StartError(name: name, code: rc)
        }
        handle = t
    }

    /// Waits for the body to return.
    func join() { pthread_join(handle, nil) }

    /// For a thread nobody waits for (it lives as long as the process).
    func detach() { pthread_detach(handle) }
}
