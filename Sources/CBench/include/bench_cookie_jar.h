// A virtual client's cookie jar: keeps the latest value per Set-Cookie name and renders the
// `Cookie:` request header. Fixed size, no allocation.
#ifndef BENCH_COOKIE_JAR_H
#define BENCH_COOKIE_JAR_H
#include <stddef.h>
#include <stdint.h>

enum { BENCH_JAR_SLOTS = 8, BENCH_JAR_PAIR = 160 };

typedef struct bench_cookie_jar {
    uint8_t count;
    uint8_t name_len[BENCH_JAR_SLOTS];
    uint8_t pair_len[BENCH_JAR_SLOTS];
    char pair[BENCH_JAR_SLOTS][BENCH_JAR_PAIR];   // "name=value"
} bench_cookie_jar;

/// Applies one Set-Cookie value ("name=value; Path=/; ..."). Max-Age=0 or an empty value
/// removes the cookie. Pairs too long for a slot are ignored.
void bench_jar_store(bench_cookie_jar *jar, const char *v, size_t len);
/// Writes "Cookie: a=1; b=2\r\n" into out (capacity cap). Returns bytes written, 0 if empty.
size_t bench_jar_render(const bench_cookie_jar *jar, char *out, size_t cap);
/// Bytes bench_jar_render can need at most.
enum { BENCH_JAR_RENDER_MAX = 10 + BENCH_JAR_SLOTS * (BENCH_JAR_PAIR + 2) + 2 };
#endif
