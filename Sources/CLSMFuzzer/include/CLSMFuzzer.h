#ifndef CLSMFUZZER_H
#define CLSMFUZZER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver, present only in binaries linked with -sanitize=fuzzer: `lsm-fuzz` calls it from its own
// main (built with -DLSM_FUZZER) so that one executable can also replay inputs without libFuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
