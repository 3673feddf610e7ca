// Idle server connections kept for reuse (keep-alive to the servers), per worker and server:
// a small LIFO, oldest first, purged after 5 s unused.
#include "rp_internal.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* The most recently used idle connection to `server` that has carried at least `min_uses`
   requests (its count in *uses), or -1. */
int pool_take(worker *w, int server, uint32_t min_uses, uint32_t *uses) {
    int k = w->pool_n[server];
    while (k-- > 0) {
        pool_entry pe = w->pool[server][k];
        if (pe.uses < min_uses) continue;
        memmove(&w->pool[server][k], &w->pool[server][k + 1], (size_t)(w->pool_n[server] - k - 1) * sizeof(pool_entry));
        w->pool_n[server]--;
        idle_publish(w, server);
        srvopt_idle_count(w, server, -1);
        *uses = pe.uses;
        /* Recently used: trust it (a request that finds it dead is replayed on a fresh
           connection). Idle for a while: check the server has not closed it meanwhile. */
        if (pe.since + 1000 > w->now) return pe.fd;
        char b;
        ssize_t r = recv(pe.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r < 0 && errno == EAGAIN) return pe.fd;   /* alive and quiet */
        close(pe.fd);                                /* closed by the server, or garbage */
    }
    return -1;
}

/* Idle server connections are closed after 5 s unused (HAProxy's pool-purge-delay default;
   the server's `pool-purge-delay` otherwise), so a burst does not leave hundreds of descriptors
   open. Oldest entries are at the front. */
void pool_purge(worker *w) {
    for (int s = 0; s < w->e->cfg.nservers; s++) {
        if (!w->pool_n[s]) continue;
        int purge_ms = srvopt_purge_ms(w->e, s);
        if (purge_ms < 0) continue;                  /* pool-purge-delay 0: never */
        int k = 0;
        while (k < w->pool_n[s] && w->pool[s][k].since + purge_ms <= w->now) { close(w->pool[s][k++].fd); srvopt_idle_count(w, s, -1); }
        if (k) {
            memmove(&w->pool[s][0], &w->pool[s][k], (size_t)(w->pool_n[s] - k) * sizeof(pool_entry));
            w->pool_n[s] -= k;
            idle_publish(w, s);
        }
    }
}

void pool_put(worker *w, int server, int fd, uint32_t uses) {
    RP_ASSERT(fd >= 0 && server >= 0 && server < w->e->cfg.nservers);
    if (w->pool_n[server] >= w->pool_cap) {   /* full: drop the coldest */
        close(w->pool[server][0].fd);
        srvopt_idle_count(w, server, -1);
        memmove(&w->pool[server][0], &w->pool[server][1], (size_t)(w->pool_cap - 1) * sizeof(pool_entry));
        w->pool_n[server]--;
    }
    w->pool[server][w->pool_n[server]].fd = fd;
    w->pool[server][w->pool_n[server]].since = w->now;
    w->pool[server][w->pool_n[server]].uses = uses;
    w->pool_n[server]++;
    idle_publish(w, server);
    srvopt_idle_count(w, server, +1);
}
