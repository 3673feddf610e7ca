// xxHash 0.8 (libxxhash-dev), the library HAProxy 2.6 bundles (import/xxhash.h) for the xxh32,
// xxh64 and xxh3 converters: XXH3 is too large to hand-write safely.
#ifndef RINGPROXY_CXXHASH_SHIM_H
#define RINGPROXY_CXXHASH_SHIM_H
#include <xxhash.h>
#endif
