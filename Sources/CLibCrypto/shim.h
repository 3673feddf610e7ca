// OpenSSL's libcrypto (libssl-dev) for the digest converters (sha1, sha2, digest, hmac):
// HAProxy 2.6 computes them with OpenSSL, so the same library answers for the same names
// (EVP_get_digestbyname). swift-crypto was not used: it has no SHA-224 and no lookup by name,
// and it builds a whole BoringSSL copy.
#ifndef RINGPROXY_CLIBCRYPTO_SHIM_H
#define RINGPROXY_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#endif
