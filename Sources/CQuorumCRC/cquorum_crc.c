// CRC32C: a hardware path (SSE 4.2 `crc32`) and an 8-slice table path with identical
// results. The choice is made once, at load time, from cpuid.
// fallocate(2) is declared only under _GNU_SOURCE.
#define _GNU_SOURCE
#include "cquorum_crc.h"

#include <fcntl.h>

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

#define CQUORUM_CRC32C_POLY 0x82F63B78u

// table[k][b]: the CRC of byte b followed by k zero bytes; lets the portable path consume
// eight bytes per step instead of one.
static uint32_t cquorum_crc_table[8][256];

static void cquorum_crc_build_table(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t crc = b;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 1u) ? (crc >> 1) ^ CQUORUM_CRC32C_POLY : crc >> 1;
        }
        cquorum_crc_table[0][b] = crc;
    }
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t crc = cquorum_crc_table[0][b];
        for (int k = 1; k < 8; k++) {
            crc = (crc >> 8) ^ cquorum_crc_table[0][crc & 0xFFu];
            cquorum_crc_table[k][b] = crc;
        }
    }
}

uint32_t cquorum_crc32c_portable_extend(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint32_t state = ~crc;
    // Byte steps until the pointer is 8-aligned, so the word loads below are aligned.
    while (length > 0 && ((uintptr_t)p & 7u) != 0) {
        state = (state >> 8) ^ cquorum_crc_table[0][(state ^ *p++) & 0xFFu];
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);  // little-endian host assumed (x86-64, aarch64)
        word ^= state;
        state = cquorum_crc_table[7][word & 0xFF] ^ cquorum_crc_table[6][(word >> 8) & 0xFF] ^
                cquorum_crc_table[5][(word >> 16) & 0xFF] ^ cquorum_crc_table[4][(word >> 24) & 0xFF] ^
                cquorum_crc_table[3][(word >> 32) & 0xFF] ^ cquorum_crc_table[2][(word >> 40) & 0xFF] ^
                cquorum_crc_table[1][(word >> 48) & 0xFF] ^ cquorum_crc_table[0][(word >> 56) & 0xFF];
        p += 8;
        length -= 8;
    }
    while (length > 0) {
        state = (state >> 8) ^ cquorum_crc_table[0][(state ^ *p++) & 0xFFu];
        length--;
    }
    return ~state;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
uint32_t cquorum_crc32c_hardware_extend(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t state = (uint32_t)~crc;
    while (length > 0 && ((uintptr_t)p & 7u) != 0) {
        state = _mm_crc32_u8((uint32_t)state, *p++);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        state = _mm_crc32_u64(state, word);
        p += 8;
        length -= 8;
    }
    while (length > 0) {
        state = _mm_crc32_u8((uint32_t)state, *p++);
        length--;
    }
    return ~(uint32_t)state;
}

// The record CRC on the hardware path: the length word, then the rest in 8-byte steps with
// no call in between (replay runs this once per record).
__attribute__((target("sse4.2")))
static uint32_t cquorum_crc32c_record_hardware(const uint8_t *p, size_t payload_length) {
    uint32_t length_word;
    memcpy(&length_word, p, 4);
    uint64_t state = _mm_crc32_u32(0xFFFFFFFFu, length_word);
    const uint8_t *q = p + 8;
    size_t n = 24 + payload_length;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, q, 8);
        state = _mm_crc32_u64(state, word);
        q += 8;
        n -= 8;
    }
    // The last 0-7 bytes in at most three steps (4, 2, 1), not one a byte: each step waits
    // for the one before, so a 7-byte tail cost as much as 7 words.
    uint32_t s32 = (uint32_t)state;
    if (n & 4) {
        uint32_t w;
        memcpy(&w, q, 4);
        s32 = _mm_crc32_u32(s32, w);
        q += 4;
    }
    if (n & 2) {
        uint16_t h;
        memcpy(&h, q, 2);
        s32 = _mm_crc32_u16(s32, h);
        q += 2;
    }
    if (n & 1) s32 = _mm_crc32_u8(s32, *q);
    return ~s32;
}

static int cquorum_cpu_has_sse42(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}
#else
uint32_t cquorum_crc32c_hardware_extend(uint32_t crc, const void *data, size_t length) {
    return cquorum_crc32c_portable_extend(crc, data, length);
}
static uint32_t cquorum_crc32c_record_hardware(const uint8_t *p, size_t payload_length) {
    uint32_t c = cquorum_crc32c_portable_extend(0, p, 4);
    return cquorum_crc32c_portable_extend(c, p + 8, 24 + payload_length);
}
static int cquorum_cpu_has_sse42(void) { return 0; }
#endif

typedef uint32_t (*cquorum_crc_fn)(uint32_t, const void *, size_t);

static cquorum_crc_fn cquorum_crc_impl = cquorum_crc32c_portable_extend;
static int cquorum_crc_hw = 0;

// Runs before main (and before any Swift code can call in), so the function pointer is
// written once, single-threaded, and only read afterwards.
__attribute__((constructor)) static void cquorum_crc_init(void) {
    cquorum_crc_build_table();
    cquorum_crc_hw = cquorum_cpu_has_sse42();
    cquorum_crc_impl = cquorum_crc_hw ? cquorum_crc32c_hardware_extend : cquorum_crc32c_portable_extend;
}

uint32_t cquorum_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    return cquorum_crc_impl(crc, data, length);
}

int cquorum_crc32c_has_hardware(void) { return cquorum_crc_hw; }

uint32_t cquorum_crc32c_record(const void *record, size_t payload_length) {
    const uint8_t *p = (const uint8_t *)record;
    if (cquorum_crc_hw) return cquorum_crc32c_record_hardware(p, payload_length);
    uint32_t c = cquorum_crc32c_portable_extend(0, p, 4);
    return cquorum_crc32c_portable_extend(c, p + 8, 24 + payload_length);
}

size_t cquorum_first_nonzero(const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    size_t i = 0;
    while (i < length && ((uintptr_t)(p + i) & 7u) != 0) {
        if (p[i] != 0) return i;
        i++;
    }
    // Eight words at a time: recovery runs this over mostly-zero preallocated segment tails.
    while (i + 64 <= length) {
        uint64_t w[8];
        memcpy(w, p + i, 64);
        if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0) break;
        i += 64;
    }
    while (i < length) {
        if (p[i] != 0) return i;
        i++;
    }
    return length;
}

size_t cquorum_nonzero_end(const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    size_t i = length;
    while (i > 0 && ((uintptr_t)(p + i) & 7u) != 0) {
        if (p[i - 1] != 0) return i;
        i--;
    }
    while (i >= 8) {
        uint64_t w;
        memcpy(&w, p + i - 8, 8);
        if (w != 0) break;
        i -= 8;
    }
    while (i > 0) {
        if (p[i - 1] != 0) return i;
        i--;
    }
    return 0;
}

int cquorum_fallocate(int fd, int64_t offset, int64_t length) {
    return fallocate(fd, 0, (off_t)offset, (off_t)length);
}

int cquorum_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
}
