// The io_uring data plane: one pinned worker thread per core, each with its own ring,
// SO_REUSEPORT listeners, connection table and buffers. It moves bytes and tracks message
// framing; every decision (where a request goes, how heads are rewritten, what to answer)
// is made by Swift through the callbacks below, once per message head.
#ifndef RP_ENGINE_H
#define RP_ENGINE_H
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

enum rp_verdict {
    RP_NEED_MORE = 0,       // head incomplete: read more
    RP_FORWARD = 1,         // send the rewritten head (+ body) to `server`
    RP_RESPOND = 2,         // answer with `resp` bytes locally; `close_after` says what then
    RP_INTERIM = 3,         // (response) a 1xx head: forward it, then wait for the final head
    RP_DROP = 4,            // close the client connection now, no byte sent; logged
                            // (tcp-request content reject: PR; tcp-response content reject: PD)
    RP_DROP_QUIET = 5,      // (request) the same, with no log line (tcp-request connection
                            // reject, silent-drop)
};

enum rp_body { RP_BODY_NONE = 0, RP_BODY_LENGTH = 1, RP_BODY_CHUNKED = 2, RP_BODY_CLOSE = 3 };
enum { RP_SPLICE_REQUEST = 1, RP_SPLICE_RESPONSE = 2 };

#define RP_MAX_IOV 64

/// One head handed to Swift (request or response) and the action Swift writes back.
/// Which idle server connections a request may take (`http-reuse`; rp_reuse.c).
enum rp_reuse {
    RP_REUSE_ANY = 0,                 // any idle connection of the server (`always`; later requests)
    RP_REUSE_NEW,                     // a new connection (`safe`: a client connection's first request)
    RP_REUSE_PROVEN,                  // one that carried more than one request (`aggressive`: a first request)
    RP_REUSE_PRIVATE,                 // only the one this client connection opened (`never`)
};

/// The TLVs of a received PROXY v2 header that fetches read (fc_pp_authority,
/// fc_pp_unique_id); kept per client connection, only when the header had them.
typedef struct rp_pp_tlvs {
    uint16_t authority_len, unique_id_len;
    uint8_t authority[255];
    uint8_t unique_id[128];
} rp_pp_tlvs;

typedef struct rp_head_call {
    /* in */
    int worker;
    uint32_t slot;                    // connection slot (stable for the connection's life)
    int frontend;                     // index of the frontend whose listener accepted it
    int listener;                     // index of that listener (rp_engine_cfg.listeners)
    const uint8_t *buf;               // bytes received so far, head first
    uint32_t len;
    const struct sockaddr_storage *client;
    uint32_t request_index;           // 0 for the first request of the client connection
    int server;                       // (response) the server that answered
    int head_too_big;                 // buffer full without a complete head
    int inspect_again;                // mode tcp: a later call of the same inspection (the
                                      // connection-time rules already ran)
    int inspect_final;                // mode tcp: the inspect delay passed or the client closed:
                                      // no more bytes will be waited for
    /* out */
    int verdict;
    uint32_t head_len;                // bytes of the original head consumed
    uint32_t inspect_ms;              // mode tcp, RP_NEED_MORE: wait for bytes at most this long
                                      // from the first such answer (tcp-request inspect-delay);
                                      // with body_wait: the body may take this long from the
                                      // head's start (http-request wait-for-body time T)
    struct iovec iov[RP_MAX_IOV];     // the head to send, as slices (copied if outside buf)
    int iovcnt;
    int body;                         // enum rp_body
    int64_t body_len;                 // RP_BODY_LENGTH: bytes after the head
    int server_out;                   // RP_FORWARD: server index
    int close_after;                  // close the client connection after this exchange
    int server_reuse;                 // the server connection may go back to the idle pool
    uint32_t connect_timeout_ms, server_timeout_ms, client_timeout_ms, queue_timeout_ms;
    int retries;
    int redispatch;
    int abort_on_close;
    int direct;                       // RP_FORWARD: the server was chosen by persistence; when it
                                      // is full the request waits in its queue, else in the
                                      // backend's (HAProxy's two queues, for the counters/log)
    int lb_assigned;                  // RP_FORWARD: the balancer chose the server (a full queue,
                                      // `maxqueue`, sends the request to another one)
    uint32_t client_fin_timeout_ms;   // `timeout client-fin`: client timeout once it half-closed (0 = client)
    uint32_t server_fin_timeout_ms;   // `timeout server-fin`: server timeout once its side is shut for writes (0 = server)
    int splice;                       // RP_SPLICE_* bits: splice this exchange's request / response
                                      // body whatever its size (`option splice-request/response`);
                                      // 0: only bodies above the engine's threshold
    const uint8_t *resp;              // RP_RESPOND: bytes to send (copied)
    uint32_t resp_len;
    int status_hint;                  // status of a local answer, for the log
    int tunnel;                       // RP_FORWARD: relay raw bytes both ways until both sides
                                      // have closed. Request: mode tcp (head_len 0, no head; a
                                      // failure before the relay closes the connection, no page).
                                      // Response: a 101 (the request is over; what the client
                                      // sends after it goes to the server as it is); its
                                      // client/server_timeout_ms, when not 0, replace both
                                      // sides' timeouts from then on (`timeout tunnel`).
    int body_wait;                    // out, with RP_NEED_MORE: the head is complete and its body
                                      // is awaited (`option http-buffer-request`)
    int client_closed;                // in: the client sent its EOF while its body was awaited;
                                      // decide with what is here. RP_FORWARD then means "no
                                      // answer": the exchange ends before any server (CR, -1)
    int cli_fd;                       // in: the client socket (getsockname for dst / %fi, only
                                      // when the configuration reads them)
    int client_timeout_runs;          // out, RP_FORWARD: `timeout client` keeps running while the
                                      // response is awaited (a mode tcp frontend whose backend is
                                      // HTTP, as HAProxy's upgraded stream: expiry logs cD)
    int reuse;                        // RP_FORWARD: the idle server connections the request may
                                      // be sent on (`http-reuse`, enum rp_reuse)
    const rp_pp_tlvs *pp_in;          // in: the TLVs the client's PROXY v2 header carried, or NULL
    const uint8_t *pp_unique_id;      // out, RP_FORWARD: the unique id for a server with
    uint32_t pp_unique_id_len;        //   `proxy-v2-options unique-id` (copied), or NULL
    const struct sockaddr_storage *pp_dst;   // in: the destination the client's PROXY header named, or NULL
    const struct sockaddr_storage *pp_addrs; // out, RP_FORWARD: [source, destination] a server's PROXY
                                      //   header carries instead of the connection's (set-src/set-dst;
                                      //   AF_UNSPEC: the connection's), copied; or NULL
    int transparent;                  // out, RP_FORWARD: `option transparent`: connect to the client's
                                      //   destination (server_addr, else the PROXY header's, else the
                                      //   socket's) instead of server_out's address; the connection
                                      //   is this client connection's own (RP_REUSE_PRIVATE)
    const struct sockaddr_storage *server_addr;  // out, with transparent: the destination the rules
                                      //   made (set-dst / set-dst-port), copied; or NULL
    int res_inspect;                  // out, RP_FORWARD with tunnel: the backend has tcp-response
                                      //   content rules: the server's bytes are held (not relayed)
                                      //   and shown to on_response until it decides (rp_tunnel.c)
    int tunnel_inspect;               // in (response): `buf` holds the server's first bytes of a
                                      //   mode tcp connection (no head), inspect_again / inspect_final
                                      //   as for a request. Out: RP_NEED_MORE (inspect_ms: the delay,
                                      //   from the first such answer), RP_FORWARD (relay them;
                                      //   close_after: the server connection is closed: `close`),
                                      //   RP_DROP / RP_DROP_QUIET (both sides closed, PD)
    int server_closed;                // in (response, while its body is awaited): the server sent its
                                      //   EOF; decide with what is here. Out, with RP_NEED_MORE and
                                      //   body_wait: the response's body is awaited (http-response
                                      //   wait-for-body) at most inspect_ms from the first such answer;
                                      //   `len` then covers the whole response buffer
    uint32_t capture_max;             // out, RP_FORWARD of a response: copy the body as forwarded
                                      //   (framing included, at most this many bytes, never spliced)
                                      //   and hand it to on_done (http-response cache-store); 0: no copy
} rp_head_call;

/// What happened to one exchange, for logs and counters.
typedef struct rp_done_info {
    int worker;
    uint32_t slot;
    int frontend;
    int listener;                     // the listener that accepted the client connection
    int server;                       // -1 when none
    int status;                       // final status sent to the client, -1 when none
    uint64_t bytes_in;                // request bytes received from the client
    uint64_t bytes_out;               // response bytes sent to the client
    int64_t t_accept_us;              // CLOCK_REALTIME µs of the request's start (its first byte)
    int32_t tq, tw, tc, tr, tt;       // HAProxy timers in ms (-1 = phase not reached)
    int unassigned;                   // ended while waiting in the backend's queue: no server was
                                      // assigned yet (HAProxy logs <NOSRV>)
    int retries;
    int redispatched;
    char term[2];                     // termination state: HAProxy's first two characters
    int local_answer;                 // answered by the proxy itself (error page, stats...)
    const struct sockaddr_storage *client;
    uint32_t request_index;
    int cli_fd;                       // the client socket, still open (-1 when gone)
    uint64_t spliced_req;             // request body bytes moved client -> server by splice(2)
    uint64_t spliced_resp;            // response body bytes moved server -> client by splice(2)
    uint64_t bytes_in_reported;       // of bytes_in/bytes_out, what on_progress already reported
    uint64_t bytes_out_reported;      //   (option contstats; the counters add the rest)
    const uint8_t *capture;           // the response body copied as asked by capture_max, when it
    uint32_t capture_len;             //   was complete and fitted; NULL otherwise (valid during on_done)
} rp_done_info;

typedef struct rp_callbacks {
    void *ctx;
    /// A request head is (perhaps) complete in buf; fill the action.
    void (*on_request)(void *ctx, rp_head_call *call);
    /// A response head is (perhaps) complete; fill the action (iov, body, close_after).
    void (*on_response)(void *ctx, rp_head_call *call);
    /// The last retry failed: pick another server, or -1. `buf`/`len` hold the request head
    /// again (Swift's parsed copy of it may have been reused meanwhile).
    int (*on_redispatch)(void *ctx, int worker, uint32_t slot, int failed_server, const uint8_t *buf, uint32_t len);
    /// An exchange finished (logged, counted). Also called for requests answered locally.
    void (*on_done)(void *ctx, const rp_done_info *info);
    /// Once per loop turn of a worker, after its completions: flush batched work (syslog).
    void (*on_turn)(void *ctx, int worker);
    /// A client connection of `frontend`, accepted by `listener`, opened (1) or closed (0) on
    /// `worker` (HAProxy's frontend sessions are connections). Optional. A close comes after
    /// the last on_done.
    void (*on_connection)(void *ctx, int worker, int frontend, int listener, int opened);
    /// A listener with accept_proxy == RP_PROXY_IF accepted `fd` from `client`: 1 when a PROXY
    /// header must precede its bytes (`tcp-request connection expect-proxy layer4 if COND`).
    /// `option contstats`: bytes of the exchange in `slot` moved since the last report (or its
    /// start), for the counters of its frontend, listener, backend and `server` (-1: none).
    void (*on_progress)(void *ctx, int worker, uint32_t slot, int frontend, int listener, int server,
                        uint64_t bytes_in, uint64_t bytes_out);
    int (*on_expect_proxy)(void *ctx, int worker, int frontend, int listener, int fd,
                           const struct sockaddr_storage *client);
} rp_callbacks;

typedef struct rp_listener_cfg {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int fd;                           // >= 0: an already listening socket (fd@N, unix@, taken over
                                      // with -x); every worker accepts on a dup of it. -1: bind addr
                                      // in each worker with SO_REUSEPORT.
    int frontend;
    int maxconn;                      // per-frontend limit (0 = none)
    uint32_t client_timeout_ms;       // timeout client (0 = none)
    uint32_t http_request_timeout_ms; // timeout http-request: whole head (0 = client timeout)
    uint32_t keepalive_timeout_ms;    // timeout http-keep-alive between requests (0 = http-request)
    int sock_opts;                    // RP_SRV_KEEPALIVE (option clitcpka), RP_SRV_NOLINGER: set on
                                      // the listening socket, accepted sockets inherit them
    int accept_proxy;                 // `accept-proxy`: a PROXY header (v1/v2) precedes the first
                                      // request; its source becomes the client address.
                                      // RP_PROXY_IF: on_expect_proxy decides per connection
    int contstats;                    // `option contstats`: on_progress reports the byte counts
                                      // during a transfer, not only at on_done
    int tcp_mode;                     // mode tcp: on_request is called at once on accept (after
                                      // the PROXY header, if any), with no byte, for a tunnel
} rp_listener_cfg;

/* rp_listener_cfg.accept_proxy: never, always, or as on_expect_proxy says at accept. */
enum { RP_PROXY_NEVER = 0, RP_PROXY_ALWAYS = 1, RP_PROXY_IF = 2 };

/* Socket options of connections to a server (rp_server_cfg.sock_opts). */
enum { RP_SRV_KEEPALIVE = 1, RP_SRV_NOLINGER = 2, RP_SRV_TFO = 4, RP_SRV_SOURCE = 8, RP_SRV_USER_TIMEOUT = 16 };

typedef struct rp_server_cfg {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int maxconn;                      // concurrent requests; excess waits in a queue (0 = none)
    int backend;                      // its backend's index (the backends' queue counters)
    /* Server options (rp_srvopt.c). All zero: off, and the engine takes its plain paths. */
    int minconn;                      // > 0: HAProxy's dynamic limit between minconn and maxconn,
    int be_fullconn;                  //   from the backend's load (its servers' active + queued
    int be_first, be_count;           //   requests) relative to the backend's fullconn
    int maxqueue;                     // requests that may wait for this server (0 = no limit)
    int idle_max;                     // idle connections kept, all workers (0 = no limit, -1 = none)
    int idle_purge_ms;                // idle connections closed after this (0 = 5000, -1 = never)
    int sock_opts;                    // RP_SRV_* flags
    uint32_t user_timeout_ms;         // RP_SRV_USER_TIMEOUT: TCP_USER_TIMEOUT
    struct sockaddr_storage src;      // RP_SRV_SOURCE: bind before connecting (port 0: any;
    socklen_t srclen;                 //   src_port_lo..hi: a port from that range)
    uint16_t src_port_lo, src_port_hi;
    int send_proxy;                   // 1 / 2: a PROXY header v1 / v2 first on each new connection
                                      // (such connections are never pooled)
    int pp_opts;                      // RP_PP_OPT_* bits: the v2 TLVs to add (proxy-v2-options)
    int socks4;                       // new connections go through the SOCKS4 proxy socks4_addr
    struct sockaddr_storage socks4_addr;  // (IPv4; rp_socks4.c); the server's address must be IPv4
    socklen_t socks4_addrlen;
    int usesrc;                       // RP_USESRC_*: `source … usesrc`: bound to a foreign address
                                      // (IP_TRANSPARENT) before connecting; such connections are
                                      // private to their client connection (rp_usesrc.c)
    struct sockaddr_storage usesrc_addr;  // RP_USESRC_ADDR: that address (port 0: any)
    const char *usesrc_alert;         // written to stderr when the bind fails (HAProxy's alert)
} rp_server_cfg;

/// `usesrc client` (client's address and port), `clientip` (its address), `ADDR[:PORT]`.
enum { RP_USESRC_CLIENT = 1, RP_USESRC_CLIENTIP = 2, RP_USESRC_ADDR = 3 };

/// `proxy-v2-options` that need no TLS: the TLVs a v2 header carries (rp_ppconn.c).
enum { RP_PP_OPT_CRC32C = 1, RP_PP_OPT_AUTHORITY = 2, RP_PP_OPT_UNIQUE_ID = 4 };


/// The pages the engine sends by itself (timeouts, server failures).
enum rp_page { RP_PAGE_400, RP_PAGE_408, RP_PAGE_502, RP_PAGE_503, RP_PAGE_504, RP_PAGES };
typedef struct rp_page_bytes {
    const uint8_t *close;             // with `Connection: close`: the connection closes after it
    uint32_t close_len;
    const uint8_t *keep;              // without: the connection stays open (502/503/504 to a
    uint32_t keep_len;                // keep-alive client whose request was read in full)
} rp_page_bytes;

typedef struct rp_engine_cfg {
    int nworkers;
    /* CPU placement: worker i may run on the CPUs whose bits are set in
       cpu_masks[i * cpu_words ... + cpu_words - 1] (bit b of word k = CPU 64k + b). NULL or an
       empty mask: not pinned. */
    int cpu_words;
    const uint64_t *cpu_masks;
    int nlisteners;
    const rp_listener_cfg *listeners;
    int nservers;
    const rp_server_cfg *servers;
    int maxconn;                      // global limit (split among workers), 0 = 4096
    int splice_threshold;             // bytes; 0 disables splice
    rp_callbacks cb;
    int recv_single;                  // 1: single-shot client receives (no provided buffers);
                                      // also with the environment variable RINGPROXY_SINGLESHOT
    int bufring_entries;              // provided buffers per worker (a power of two), 0 = 4096
    int test_hooks;                   // publish rp_test.h snapshots once per loop turn
    int test_fail_worker;             // test hook: 1 + index of a worker whose set-up fails
    /* HAProxy's pages the engine sends by itself, indexed by enum rp_page; static bytes. */
    rp_page_bytes pages[RP_PAGES];
    int maxsessrate;                  /* new client connections per second, all workers (0 = none) */
} rp_engine_cfg;

typedef struct rp_engine rp_engine;

/// Binds every listener in every worker (SO_REUSEPORT) and starts nothing yet.
/// Returns 0 or a negative errno; `err` gets a message.
int rp_engine_create(const rp_engine_cfg *cfg, rp_engine **out, char *err, int errlen);
/// Starts the worker threads and waits until each has set up its ring and CPU placement.
/// Returns 0, or a negative errno with a message in `err`: then no worker runs and every
/// listening socket is closed (rp_engine_free is still to be called).
int rp_engine_start(rp_engine *e, char *err, int errlen);
/// Stops: soft = stop accepting and finish what is in flight; hard = close everything now.
void rp_engine_stop(rp_engine *e, int soft);
/// Waits for every worker to finish.
void rp_engine_join(rp_engine *e);
/// Frees the engine (joins the workers first if they still run, after a hard stop).
void rp_engine_free(rp_engine *e);
/// Number of client connections open now (all workers).
int rp_engine_active(rp_engine *e);
/// Queues `n` datagrams (each element of `base`, `stride` bytes apart, starts with a struct
/// msghdr) as SENDMSG on worker `worker`'s ring and submits them. Call only from that worker's
/// callbacks. UDP sends complete during the submit and MSG_DONTWAIT makes a full socket fail
/// instead of waiting, so the buffers are free again on return. Returns the number queued.
int rp_worker_send_datagrams(rp_engine *e, int worker, int fd, void *base, size_t stride, int n);
/// Requests being served by a server now (all workers).
int rp_engine_server_active(rp_engine *e, int server);
/// Requests waiting now, and at most so far, in a server's own queue (persistent requests) or,
/// with backend >= 0, in a backend's queue (load-balanced requests), all workers.
void rp_engine_queue(rp_engine *e, int server, int backend, int *cur, int *max);

/* ---------- runtime control (rp_control.c) ---------- */

/// Wakes worker `worker`'s loop (after posting it a job). Any thread.
void rp_engine_wake(rp_engine *e, int worker);
/// The listening sockets were handed to another process: never shut them down (soft stop and
/// `disable frontend` only stop accepting). Any thread.
void rp_engine_set_exported(rp_engine *e);
/// Every listening socket (one per worker per bind, or the one shared socket of an fd@N or
/// taken-over listener) with its listener index; returns the count. Any thread.
int rp_engine_listener_fds(rp_engine *e, int *fds, int *listener, int max);
/// Limits changed at run time; workers pick them up at their next accept or connect (then
/// `rp_worker_kick` on each resumes what a lower limit had stopped). Any thread.
void rp_engine_set_server_maxconn(rp_engine *e, int server, int maxconn);
void rp_engine_set_frontend_maxconn(rp_engine *e, int frontend, int maxconn);
void rp_engine_set_session_rate(rp_engine *e, int per_second);

/// One client connection, for `show sess`.
typedef struct rp_conn_info {
    uint32_t slot, gen;
    int frontend, listener, server;
    int cli_fd, srv_fd;
    struct sockaddr_storage client;
    int64_t age_ms;
    uint32_t req_index;
    int req_phase, resp_phase;
    uint64_t bytes_in, bytes_out;
    int64_t cdl_ms, sdl_ms;           /* time left before the client/server timeout, -1 = none */
} rp_conn_info;

/* The following run on worker `worker`'s own thread only (from its on_turn callback). */
int rp_worker_conns(rp_engine *e, int worker, rp_conn_info *out, int max);
/// `shutdown session`: 1 when the connection (slot, generation) was open and is now closed.
int rp_worker_kill(rp_engine *e, int worker, uint32_t slot, uint32_t gen);
/// `shutdown sessions server`: closes this worker's exchanges on `server`; returns how many.
int rp_worker_kill_server(rp_engine *e, int worker, int server);
/// `disable|enable frontend`: stops listening on (or binds again) one listener. 0 or -errno.
int rp_worker_listener_pause(rp_engine *e, int worker, int listener, int pause);
/// `set server addr`: new connections to `server` go to `addr`; idle ones are closed.
void rp_worker_set_server_addr(rp_engine *e, int worker, int server, const struct sockaddr_storage *addr, socklen_t len);
/// `set maxconn global`: this worker's share of connections (0 = back to the initial one).
void rp_worker_set_limit(rp_engine *e, int worker, int limit);
/// Re-arms accepts and starts queued requests after a limit was raised.
void rp_worker_kick(rp_engine *e, int worker);
/// `on-marked-down shutdown-sessions` (why 'D') and `on-marked-up shutdown-backup-sessions`
/// (why 'U'): closes this worker's exchanges on `server` and its idle connections to it. An
/// exchange whose response has not begun gets HAProxy's 502 (logged `DH`/`UH`); the others
/// are cut. Returns how many. (rp_srvopt.c)
int rp_worker_shutdown_server(rp_engine *e, int worker, int server, char why);

#endif
