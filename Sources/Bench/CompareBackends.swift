import CBench
import Foundation

/// The origin servers behind the proxies in `compare`: nginx when installed (one worker, one
/// server block per port), else ringbench's built-in C server threads.
final class Backends {
    let kind: String
    let ports: [UInt16]
    private var nginx: Process?   // the master, in the foreground (daemon off)
    private var builtIn: [OpaquePointer] = []

    init(count: Int, bodySize: UInt32, ports picker: inout PortPicker, dir: URL) throws {
        let ports = (0..<count).map { _ in picker.next() }
        self.ports = ports
        if let nginxBinary = findExecutable("nginx") {
            kind = "nginx"
            let root = dir.appendingPathComponent("nginx")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("logs"), withIntermediateDirectories: true)
            let filler = String(repeating: "x", count: Int(bodySize))
            let servers = ports.enumerated().map { i, p in
                "  server { listen 127.0.0.1:\(p); location / { add_header X-Server s\(i + 1); return 200 \"server=s\(i + 1)\\n\(filler)\"; } }"
            }.joined(separator: "\n")
            let conf = """
            worker_processes 1;
            daemon off;
            pid \(root.path)/nginx.pid;
            error_log \(root.path)/logs/error.log;
            events { worker_connections 8192; }
            http {
              access_log off;
              keepalive_requests 100000000;
              client_body_temp_path \(root.path)/tmp;
              proxy_temp_path \(root.path)/tmp;
              fastcgi_temp_path \(root.path)/tmp;
              uwsgi_temp_path \(root.path)/tmp;
              scgi_temp_path \(root.path)/tmp;
            \(servers)
            }
            """
            let confURL = root.appendingPathComponent("nginx.conf")
            try conf.write(to: confURL, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: nginxBinary)
            p.arguments = ["-c", confURL.path, "-p", root.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            self.nginx = p
            guard ports.allSatisfy({ waitListening($0, seconds: 3) }) else {
                throw UsageError("nginx backends did not start (see \(root.path)/logs/error.log)")
            }
        } else {
            kind = "built-in"
            for (i, p) in ports.enumerated() {
                var err = [CChar](repeating: 0, count: 256)
                let s: OpaquePointer? = "s\(i + 1)".withCString { name in
                    var cfg = bench_server_config()
                    cfg.port = p
                    cfg.body_len = bodySize
                    cfg.name = name
                    return bench_server_start(&cfg, &err, Int32(err.count))
                }
                guard let s else { throw UsageError("backend on port \(p) did not start") }
                builtIn.append(s)
            }
        }
    }

    func stop() {
        if let p = nginx, p.isRunning {
            p.terminate()  // SIGTERM to the master we started; it stops its worker
            for _ in 0..<40 where p.isRunning { usleep(50_000) }
        }
        nginx = nil
        builtIn.forEach { bench_server_stop($0) }
        builtIn = []
    }
}
