// sync_file_range and fallocate are GNU extensions, declared only with _GNU_SOURCE.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
