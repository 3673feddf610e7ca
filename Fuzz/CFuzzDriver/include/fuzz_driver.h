// libFuzzer's entry point for programs that keep their own main (LLVM 11+): the fuzz targets
// are SwiftPM executables, whose main SwiftPM renames and links itself, so they call this
// rather than let libFuzzer's main take over.
#ifndef FUZZ_DRIVER_H
#define FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
