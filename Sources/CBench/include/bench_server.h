// A small, fast HTTP/1.1 server for ringbench: the backends of `ringbench compare` when nginx is
// missing, and the targets of the tests. It can misbehave on purpose (status, close, drop,
// delay) and can pretend to be a load balancer in front of N servers, sticky by cookie or not.
#ifndef BENCH_SERVER_H
#define BENCH_SERVER_H
#include <stdint.h>

typedef struct bench_server_config {
    uint32_t ip;              // network byte order; 0 = 127.0.0.1
    uint16_t port;            // 0 = any free port
    int status;               // response status (0 = 200)
    uint32_t body_len;        // body bytes (after the "server=<id>\n" line when named)
    const char *name;         // server id: sent as "X-Server: <id>" and "server=<id>" in the body
    int close_after;          // answer with Connection: close and close
    int drop;                 // read the request, then close without answering
    int chunked;              // send the body chunked (two chunks)
    uint32_t delay_us;        // sleep before each response: a deliberately slow server
    uint32_t backends;        // > 0: act as a balancer over ids <name>1..<name>N, round-robin
    const char *sticky_cookie;// with backends: honour/insert this cookie (Set-Cookie NAME=<id>)
    int echo_path;            // start the body with "path=<request path>\n" (to check URL mixes)
    int echo_peer;            // add "peer=<client IPv4>\n" to the body (to check --source)
} bench_server_config;

typedef struct bench_server bench_server;

/// Binds, listens and starts the server thread. NULL with a message in err on failure.
bench_server *bench_server_start(const bench_server_config *cfg, char *err, int errlen);
uint16_t bench_server_port(const bench_server *s);
/// Requests answered (or dropped) so far.
uint64_t bench_server_requests(const bench_server *s);
/// Stops the thread, closes every socket and frees the server.
void bench_server_stop(bench_server *s);
#endif
