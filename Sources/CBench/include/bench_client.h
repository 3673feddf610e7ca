// ringbench's load-generation engine: one io_uring per thread, many HTTP/1.1 connections per
// thread, response framing, cookie jars and server-id tracking, all in C so the per-request
// path never crosses into Swift. Swift builds a bench_config, starts a run, polls progress and
// reads the bench_result at the end.
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H
#include <stdint.h>

/// One request template (one --url). The engine sends `head`, then a `Cookie:` line when the
/// virtual client holds cookies, then `tail` (which ends the head and carries the body).
typedef struct bench_request {
    const char *head;      // "GET /path HTTP/1.1\r\nHost: h\r\n<extra headers>"
    uint32_t head_len;
    const char *tail;      // "Content-Length: n\r\n\r\n<body>" or "\r\n"
    uint32_t tail_len;
    int is_head_method;    // HEAD responses carry no body
} bench_request;

typedef struct bench_config {
    uint32_t dst_ip;              // IPv4, network byte order
    uint16_t dst_port;            // host byte order
    const bench_request *requests;
    uint32_t nrequests;
    const uint16_t *schedule;     // URL index per slot, repeated; encodes --url weights
    uint32_t schedule_len;
    uint32_t threads;
    uint32_t connections;         // total, spread over threads
    uint32_t clients;             // virtual clients with cookie jars (0 = none)
    double rate;                  // total requests/s for the open loop; 0 = closed loop
    uint64_t duration_ns;         // measured window (0 = until max_requests)
    uint64_t warmup_ns;           // unmeasured lead-in
    uint64_t max_requests;        // total measured requests (0 = until duration)
    uint64_t timeout_ns;          // per request, connect included
    int close_each;               // Connection: close: a new connection per request
    const uint32_t *source_ips;   // network byte order; connections bind round-robin
    uint32_t nsource;
    const char *server_id_header; // response header naming the server (case-insensitive)
    const char *server_id_body;   // or: body prefix; the id is the following token
    int pin_threads;              // pin thread i to CPU (first_cpu + i) % cores
    int first_cpu;
} bench_config;

enum { BENCH_HIST_BUCKETS = 3456 };  // log-linear microsecond buckets, < 0.8 % wide
enum { BENCH_MAX_SERVERS = 64, BENCH_SERVER_NAME = 64 };

typedef struct bench_server_count {
    char name[BENCH_SERVER_NAME];
    uint64_t responses;
} bench_server_count;

typedef struct bench_result {
    uint64_t responses;       // complete responses in the measured window (any status)
    uint64_t bytes_in;        // response bytes received in the window
    uint64_t bytes_out;
    uint64_t err_connect;     // connect refused/failed (each consumes one request)
    uint64_t err_read;        // closed or reset before the response was complete
    uint64_t err_timeout;
    uint64_t err_status;      // complete responses with status >= 400
    uint64_t err_parse;       // malformed response framing
    uint64_t status_class[6]; // [1]..[5] = 1xx..5xx
    uint64_t connects;        // successful connects
    uint64_t elapsed_ns;      // measured window length
    uint64_t max_backlog;     // open loop: most requests ever waiting for a connection
    // Stickiness: per virtual client, a response from a different server than its previous one.
    uint64_t moves;
    uint64_t identified;      // responses that carried a server id
    uint64_t clients_moved;   // clients that moved at least once
    uint32_t nservers;
    bench_server_count servers[BENCH_MAX_SERVERS];
    uint64_t latency_us[BENCH_HIST_BUCKETS]; // counts; bench_hist_value(i) gives the value
    char error[256];          // set when the run could not start
} bench_result;

typedef struct bench_progress {
    uint64_t responses, errors, elapsed_ns;
    int measuring;            // 0 during warmup
} bench_progress;

typedef struct bench_run bench_run;

/// Starts the run on its own threads. Returns NULL and fills `err` when it cannot start.
bench_run *bench_start(const bench_config *cfg, char *err, int errlen);
/// Live counters for a progress line; safe from any thread.
void bench_poll(bench_run *run, bench_progress *out);
/// Asks the threads to stop early (Ctrl-C).
void bench_stop(bench_run *run);
/// 1 once every thread has finished (the quota or the duration is done, or stopped).
int bench_is_done(bench_run *run);
/// Waits for the threads, merges their results into `out` and frees the run.
void bench_finish(bench_run *run, bench_result *out);
/// Start + finish in one call. Returns 0, or -1 with out->error set.
int bench_execute(const bench_config *cfg, bench_result *out);
/// Representative latency (µs) of histogram bucket `i` (its midpoint).
uint64_t bench_hist_value(uint32_t i);
/// Bucket index of a latency in µs (exposed for tests of the layout).
uint32_t bench_hist_index(uint64_t us);
#endif
