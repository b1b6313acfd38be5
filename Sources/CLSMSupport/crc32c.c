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
__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const void *data, size_t count) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t c = ~crc;
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
