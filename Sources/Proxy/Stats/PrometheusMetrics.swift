// Where each of HAProxy's exporter metrics takes its value: a CSV column of the object's stats
// row (an empty cell is NaN, as HAProxy prints a field it does not set), a column in
// milliseconds printed in seconds, or one of the labelled families computed apart (status,
// check status, response codes, the backends' aggregates). Process metrics come from the
// `show info` fields. The names and their order are PrometheusHelp's.

enum PrometheusValue {
    case column(String)
    case milliseconds(String)
    /// Computed by the renderer (labelled families, build info...).
    case special
}

enum PrometheusMetrics {
    /// Frontend, listener, backend and server metrics, by name without `haproxy_<object>_`.
    static let objects: [String: PrometheusValue] = [
        "current_queue": .column("qcur"), "max_queue": .column("qmax"),
        "current_sessions": .column("scur"), "max_sessions": .column("smax"), "limit_sessions": .column("slim"),
        "sessions_total": .column("stot"), "bytes_in_total": .column("bin"), "bytes_out_total": .column("bout"),
        "requests_denied_total": .column("dreq"), "responses_denied_total": .column("dresp"),
        "request_errors_total": .column("ereq"), "connection_errors_total": .column("econ"),
        "response_errors_total": .column("eresp"), "retry_warnings_total": .column("wretr"),
        "redispatch_warnings_total": .column("wredis"), "weight": .column("weight"),
        "active_servers": .column("act"), "backup_servers": .column("bck"),
        "check_failures_total": .column("chkfail"), "check_up_down_total": .column("chkdown"),
        "check_last_change_seconds": .column("lastchg"), "downtime_seconds_total": .column("downtime"),
        "queue_limit": .column("qlimit"), "current_throttle": .column("throttle"),
        "loadbalanced_total": .column("lbtot"), "limit_session_rate": .column("rate_lim"),
        "max_session_rate": .column("rate_max"), "http_requests_rate_max": .column("req_rate_max"),
        "http_requests_total": .column("req_tot"), "client_aborts_total": .column("cli_abrt"),
        "server_aborts_total": .column("srv_abrt"), "http_comp_bytes_in_total": .column("comp_in"),
        "http_comp_bytes_out_total": .column("comp_out"), "http_comp_bytes_bypassed_total": .column("comp_byp"),
        "http_comp_responses_total": .column("comp_rsp"), "last_session_seconds": .column("lastsess"),
        "queue_time_average_seconds": .milliseconds("qtime"), "connect_time_average_seconds": .milliseconds("ctime"),
        "response_time_average_seconds": .milliseconds("rtime"), "total_time_average_seconds": .milliseconds("ttime"),
        "connections_rate_max": .column("conn_rate_max"), "connections_total": .column("conn_tot"),
        "intercepted_requests_total": .column("intercepted"), "denied_connections_total": .column("dcon"),
        "denied_sessions_total": .column("dses"), "failed_header_rewriting_total": .column("wrew"),
        "connection_attempts_total": .column("connect"), "connection_reuses_total": .column("reuse"),
        "http_cache_lookups_total": .column("cache_lookups"), "http_cache_hits_total": .column("cache_hits"),
        "idle_connections_current": .column("srv_icur"), "idle_connections_limit": .column("src_ilim"),
        "max_queue_time_seconds": .milliseconds("qtime_max"), "max_connect_time_seconds": .milliseconds("ctime_max"),
        "max_response_time_seconds": .milliseconds("rtime_max"), "max_total_time_seconds": .milliseconds("ttime_max"),
        "internal_errors_total": .column("eint"), "unsafe_idle_connections_current": .column("idle_conn_cur"),
        "safe_idle_connections_current": .column("safe_conn_cur"), "used_connections_current": .column("used_conn_cur"),
        "need_connections_current": .column("need_conn_est"), "uweight": .column("uweight"),
        "status": .special, "check_status": .special, "check_code": .special, "check_duration_seconds": .special,
        "http_responses_total": .special, "agg_server_status": .special, "agg_server_check_status": .special,
        "agg_check_status": .special,
    ]

    /// Process metrics: the `show info` field each one prints (a missing field is NaN).
    static let process: [String: String] = [
        "nbthread": "Nbthread", "nbproc": "Nbproc", "relative_process_id": "Process_num",
        "uptime_seconds": "Uptime_sec", "start_time_seconds": "Start_time_sec",
        "max_memory_bytes": "Memmax_bytes", "pool_allocated_bytes": "PoolAlloc_bytes", "pool_used_bytes": "PoolUsed_bytes",
        "pool_failures_total": "PoolFailed", "max_fds": "Ulimit-n", "max_sockets": "Maxsock",
        "max_connections": "Maxconn", "hard_max_connections": "Hard_maxconn", "current_connections": "CurrConns",
        "connections_total": "CumConns", "requests_total": "CumReq", "max_ssl_connections": "MaxSslConns",
        "current_ssl_connections": "CurrSslConns", "ssl_connections_total": "CumSslConns", "max_pipes": "Maxpipes",
        "pipes_used_total": "PipesUsed", "pipes_free_total": "PipesFree", "current_connection_rate": "ConnRate",
        "limit_connection_rate": "ConnRateLimit", "max_connection_rate": "MaxConnRate",
        "current_session_rate": "SessRate", "limit_session_rate": "SessRateLimit", "max_session_rate": "MaxSessRate",
        "current_ssl_rate": "SslRate", "limit_ssl_rate": "SslRateLimit", "max_ssl_rate": "MaxSslRate",
        "current_frontend_ssl_key_rate": "SslFrontendKeyRate", "max_frontend_ssl_key_rate": "SslFrontendMaxKeyRate",
        "frontend_ssl_reuse": "SslFrontendSessionReuse_pct", "current_backend_ssl_key_rate": "SslBackendKeyRate",
        "max_backend_ssl_key_rate": "SslBackendMaxKeyRate", "ssl_cache_lookups_total": "SslCacheLookups",
        "ssl_cache_misses_total": "SslCacheMisses", "http_comp_bytes_in_total": "CompressBpsIn",
        "http_comp_bytes_out_total": "CompressBpsOut", "limit_http_comp": "CompressBpsRateLim",
        "current_zlib_memory": "ZlibMemUsage", "max_zlib_memory": "MaxZlibMemUsage", "current_tasks": "Tasks",
        "current_run_queue": "Run_queue", "idle_time_percent": "Idle_pct", "stopping": "Stopping", "jobs": "Jobs",
        "unstoppable_jobs": "Unstoppable Jobs", "listeners": "Listeners", "active_peers": "ActivePeers",
        "connected_peers": "ConnectedPeers", "dropped_logs_total": "DroppedLogs", "busy_polling_enabled": "BusyPolling",
        "failed_resolutions": "FailedResolutions", "bytes_out_total": "TotalBytesOut",
        "spliced_bytes_out_total": "TotalSplicdedBytesOut", "bytes_out_rate": "BytesOutRate", "recv_logs_total": "CumRecvLogs",
    ]

    /// Server states (status, agg_server_status, agg_server_check_status) and check results,
    /// in HAProxy's label order.
    static let serverStates = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"]
    static let checkResults = ["HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP",
                               "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"]
}
