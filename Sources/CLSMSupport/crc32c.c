#include "CLSMSupport.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

/* Reflected CRC32C (Castagnoli) polynomial. */
#define CRC32C_POLY 0x82F63B78u

static uint32_t crc_table[256];
static int crc_table_ready = 0;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        }
        crc_table[i] = c;
    }
    __atomic_store_n(&crc_table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t lsm_crc32c_extend_portable(uint32_t crc, const void *data, size_t count) {
    if (!__atomic_load_n(&crc_table_ready, __ATOMIC_ACQUIRE)) {
        /* Racing builders write identical values, so a duplicate build is harmless. */
        build_table();
    }
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    for (size_t i = 0; i < count; i++) {
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    }
    return ~c;
}

#if defined(__x86_64__)
#include <pthread.h>

/*
 * The crc32 instruction has a latency of three cycles and a throughput of one, so a single stream of it runs at a
 * third of the speed the CPU can give. Long inputs are therefore cut into three equal lanes computed side by side,
 * then joined. CRC without its final inversion is linear: the state after lanes A, B, C of L bytes each is
 * shift(A, 2L) ^ shift(B, L) ^ C, where A starts from the running state, B and C from zero, and shift(s, n) is the
 * state s advanced over n zero bytes. That shift is linear in s, so it is applied as four 256-entry tables, one per
 * byte of s, built once by running the instruction over zeros.
 */
#define LONG_LANE 1024
#define SHORT_LANE 128

/* shift_tables[op][k][b]: the state (b << 8k) advanced over the op's number of zero bytes. */
enum { SHIFT_LONG, SHIFT_2LONG, SHIFT_SHORT, SHIFT_2SHORT, SHIFT_COUNT };
static uint32_t shift_tables[SHIFT_COUNT][4][256];
static pthread_once_t shift_tables_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2")))
static uint32_t advance_over_zeros(uint32_t state, size_t count) {
    uint64_t c = state;
    for (size_t i = 0; i < count / 8; i++) c = _mm_crc32_u64(c, 0);
    return (uint32_t)c;
}

static void build_shift_tables(void) {
    static const size_t lengths[SHIFT_COUNT] = {LONG_LANE, 2 * LONG_LANE, SHORT_LANE, 2 * SHORT_LANE};
    for (int op = 0; op < SHIFT_COUNT; op++) {
        for (int k = 0; k < 4; k++) {
            for (uint32_t b = 0; b < 256; b++) {
                shift_tables[op][k][b] = advance_over_zeros(b << (8 * k), lengths[op]);
            }
        }
    }
}

static inline uint32_t shift_state(int op, uint32_t s) {
    return shift_tables[op][0][s & 0xFF] ^ shift_tables[op][1][(s >> 8) & 0xFF]
         ^ shift_tables[op][2][(s >> 16) & 0xFF] ^ shift_tables[op][3][s >> 24];
}

/* Advances `state` over rounds of three lanes of `lane` bytes while the input holds a whole round. */
__attribute__((target("sse4.2")))
static uint64_t three_lanes(uint64_t state, const uint8_t **data, size_t *count, size_t lane, int shift1, int shift2) {
    const uint8_t *p = *data;
    size_t n = *count;
    while (n >= 3 * lane) {
        uint64_t a = state, b = 0, c = 0;
        for (size_t i = 0; i < lane; i += 8) {
            uint64_t wa, wb, wc;
            memcpy(&wa, p + i, 8);
            memcpy(&wb, p + lane + i, 8);
            memcpy(&wc, p + 2 * lane + i, 8);
            a = _mm_crc32_u64(a, wa);
            b = _mm_crc32_u64(b, wb);
            c = _mm_crc32_u64(c, wc);
        }
        state = shift_state(shift2, (uint32_t)a) ^ shift_state(shift1, (uint32_t)b) ^ (uint32_t)c;
        p += 3 * lane;
        n -= 3 * lane;
    }
    *data = p;
    *count = n;
    return state;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const void *data, size_t count) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = ~crc;
    if (count >= 3 * SHORT_LANE) {
        pthread_once(&shift_tables_once, build_shift_tables);
        c = three_lanes(c, &p, &count, LONG_LANE, SHIFT_LONG, SHIFT_2LONG);
        c = three_lanes(c, &p, &count, SHORT_LANE, SHIFT_SHORT, SHIFT_2SHORT);
    }
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = _mm_crc32_u8(c32, *p);
        p++;
        count--;
    }
    return ~c32;
}

static int hardware_available(void) {
    static int state = -1;
    int s = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (s < 0) {
        __builtin_cpu_init();
        s = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        __atomic_store_n(&state, s, __ATOMIC_RELAXED);
    }
    return s;
}

int lsm_crc32c_is_hardware_accelerated(void) { return hardware_available(); }

uint32_t lsm_crc32c_extend(uint32_t crc, const void *data, size_t count) {
    if (hardware_available()) {
        return crc32c_hardware(crc, data, count);
    }
    return lsm_crc32c_extend_portable(crc, data, count);
}
#else
int lsm_crc32c_is_hardware_accelerated(void) { return 0; }

uint32_t lsm_crc32c_extend(uint32_t crc, const void *data, size_t count) {
    return lsm_crc32c_extend_portable(crc, data, count);
}
#endif
