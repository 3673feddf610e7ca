// CBench: ringbench's io_uring load generator and origin server in C.
#ifndef CBENCH_H
#define CBENCH_H
#include "bench_client.h"
#include "bench_cookie_jar.h"
#include "bench_response.h"
#include "bench_server.h"
#endif
