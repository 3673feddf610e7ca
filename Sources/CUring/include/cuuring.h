// CUring: the io_uring engine (C over liburing 2.3) and the few helpers Swift cannot import.
#ifndef CUURING_H
#define CUURING_H
#include "rp_sys.h"
#include "rp_engine.h"
#include "rp_pollring.h"
#include "rp_test.h"
#include "rp_chunk.h"
#include "rp_proxyproto.h"
#endif
