// Joinable pthreads running a Swift closure (no Foundation in the Proxy module).
#if canImport(Glibc)
import Glibc
#endif

enum OriginThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a joinable thread with a small stack (connection threads do little).
    static func spawn(stackBytes: Int = 256 * 1024, _ body: @escaping () -> Void) throws -> pthread_t {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackBytes)
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attr, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw OriginSocketError(call: "pthread_create", code: rc)
        }
        return thread
    }

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}
