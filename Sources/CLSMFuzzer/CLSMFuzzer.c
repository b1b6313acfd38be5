// The target holds only the declaration of libFuzzer's driver (see include/CLSMFuzzer.h).
#include "CLSMFuzzer.h"
