// PCRE2 with 8-bit code units, the library HAProxy 2.6 is built with on Debian (USE_PCRE2,
// USE_PCRE2_JIT): regexes in rules mean what they mean to HAProxy (\d, \s, lazy quantifiers).
#ifndef RINGPROXY_CPCRE2_SHIM_H
#define RINGPROXY_CPCRE2_SHIM_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
