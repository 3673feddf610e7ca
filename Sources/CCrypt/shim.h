// crypt(3) from libcrypt (libxcrypt on Debian): userlist passwords are checked as HAProxy
// checks them (USE_LIBCRYPT), so every hash glibc/libxcrypt knows ($1$, $5$, $6$, $y$...) works.
#ifndef RINGPROXY_CCRYPT_SHIM_H
#define RINGPROXY_CCRYPT_SHIM_H
#include <crypt.h>
#endif
