// Cookie jar for ringbench's virtual clients (see bench_cookie_jar.h).
#include "bench_cookie_jar.h"
#include <string.h>

static int attr_max_age_zero(const char *p, size_t n) {
    static const char key[] = "max-age=0";
    for (size_t i = 0; i + 9 <= n; i++) {
        size_t j = 0;
        while (j < 9 && (p[i + j] | 0x20) == (key[j] | 0x20)) j++;
        if (j == 9 && (i + 9 == n || p[i + 9] == ';' || p[i + 9] == ' ')) return 1;
    }
    return 0;
}

void bench_jar_store(bench_cookie_jar *jar, const char *v, size_t len) {
    const char *semi = memchr(v, ';', len);
    size_t pair = semi ? (size_t)(semi - v) : len;
    while (pair && (v[pair - 1] == ' ' || v[pair - 1] == '\t')) pair--;
    const char *eq = memchr(v, '=', pair);
    if (!eq || eq == v) return;
    size_t nlen = (size_t)(eq - v);
    int remove = pair == nlen + 1 || (semi && attr_max_age_zero(semi, len - (size_t)(semi - v)));
    int slot = -1;
    for (int i = 0; i < jar->count; i++)
        if (jar->name_len[i] == nlen && memcmp(jar->pair[i], v, nlen) == 0) { slot = i; break; }
    if (remove) {
        if (slot < 0) return;
        jar->count--;
        if (slot != jar->count) {  // keep slots dense: move the last into the hole
            memcpy(jar->pair[slot], jar->pair[jar->count], jar->pair_len[jar->count]);
            jar->pair_len[slot] = jar->pair_len[jar->count];
            jar->name_len[slot] = jar->name_len[jar->count];
        }
        return;
    }
    if (pair > BENCH_JAR_PAIR || nlen > 255) return;
    if (slot < 0) {
        if (jar->count == BENCH_JAR_SLOTS) return;
        slot = jar->count++;
    }
    memcpy(jar->pair[slot], v, pair);
    jar->pair_len[slot] = (uint8_t)pair;
    jar->name_len[slot] = (uint8_t)nlen;
}

size_t bench_jar_render(const bench_cookie_jar *jar, char *out, size_t cap) {
    if (!jar->count || cap < BENCH_JAR_RENDER_MAX) return 0;
    size_t n = 0;
    memcpy(out, "Cookie: ", 8);
    n = 8;
    for (int i = 0; i < jar->count; i++) {
        if (i) { out[n++] = ';'; out[n++] = ' '; }
        memcpy(out + n, jar->pair[i], jar->pair_len[i]);
        n += jar->pair_len[i];
    }
    out[n++] = '\r';
    out[n++] = '\n';
    return n;
}
