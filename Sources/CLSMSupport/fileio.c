// sync_file_range and fallocate are GNU extensions, declared only with _GNU_SOURCE.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "CLSMSupport.h"

int lsm_start_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
    (void)offset;
    (void)count;
    return 0;
#endif
}

int lsm_reserve_space(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    return fallocate(fd, 0, offset, count);
#else
    (void)fd;
    (void)offset;
    (void)count;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

void lsm_copy_forward(void *target, const void *source, size_t count) {
    // Volatile stores are neither merged nor reordered by the compiler, and the processor retires them in order:
    // a process stopped between two of them has stored exactly the bytes before that point.
    typedef uint64_t __attribute__((aligned(1), may_alias)) unaligned_word;
    volatile unsigned char *to = target;
    const unsigned char *from = source;
    size_t done = 0;
    for (; done + 8 <= count; done += 8) {
        uint64_t word;
        memcpy(&word, from + done, 8);
        *(volatile unaligned_word *)(to + done) = word;
    }
    for (; done < count; done++) to[done] = from[done];
}
