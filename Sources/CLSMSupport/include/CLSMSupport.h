#ifndef CLSM_SUPPORT_H
#define CLSM_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Extends `crc` (a CRC32C of earlier bytes, or 0) over `count` bytes at `data`.
/// Uses the SSE4.2 `crc32` instruction when the CPU has it, a byte table otherwise.
uint32_t lsm_crc32c_extend(uint32_t crc, const void *data, size_t count);

/// The table-driven implementation, exposed so tests can check both paths agree.
uint32_t lsm_crc32c_extend_portable(uint32_t crc, const void *data, size_t count);

/// 1 when the hardware path is in use.
int lsm_crc32c_is_hardware_accelerated(void);

/// Starts writeback of `count` bytes at `offset` of the file `fd` without waiting (Linux's sync_file_range with
/// SYNC_FILE_RANGE_WRITE, which Swift's Glibc module does not export); a no-op elsewhere. Returns 0 or -1.
int lsm_start_writeback(int fd, int64_t offset, int64_t count);

/// Allocates `count` bytes of disk space at `offset` of the file `fd`, extending its size when they reach past
/// its end; they read as zeros (Linux's fallocate with mode 0, which Swift's Glibc module does not export).
/// Elsewhere fails with EOPNOTSUPP. Returns 0 or -1.
int lsm_reserve_space(int fd, int64_t offset, int64_t count);

/// Copies `count` bytes from `source` to `target` strictly from the first byte to the last, so that a process that
/// dies partway has copied a prefix of them. A log record copied into a shared mapping of the log then reads after
/// such a death as a record cut short (a torn tail), as after a short `write`; `memcpy` may store the head of a copy
/// last, which would leave later bytes behind a missing record header.
void lsm_copy_forward(void *target, const void *source, size_t count);

/// Asks the processor to start loading the cache line holding `address` for a read soon; it never faults, so any
/// address will do.
static inline void lsm_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Acquire load and release store of a pointer-sized slot in raw memory: the skiplist links nodes that live in
/// an arena, where Swift's atomic types cannot be placed.
static inline void *lsm_atomic_load_acquire_ptr(void *const *slot) {
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static inline void lsm_atomic_store_release_ptr(void **slot, void *value) {
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
}

static inline void *lsm_atomic_load_relaxed_ptr(void *const *slot) {
    return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

static inline void lsm_atomic_store_relaxed_ptr(void **slot, void *value) {
    __atomic_store_n(slot, value, __ATOMIC_RELAXED);
}

/// Relaxed load and store of a 64-bit word in raw memory: the memtable's key filter is an array of words that its
/// one writer sets bits in while readers test them.
static inline uint64_t lsm_atomic_load_relaxed_u64(const uint64_t *slot) {
    return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

static inline void lsm_atomic_store_relaxed_u64(uint64_t *slot, uint64_t value) {
    __atomic_store_n(slot, value, __ATOMIC_RELAXED);
}

#endif
