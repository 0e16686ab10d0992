// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) for the journal.
//
// The hardware path uses the SSE 4.2 crc32 instruction; a table-driven path gives the
// same results on any CPU. `cquorum_crc32c_extend` picks one at load time (cpuid).
#ifndef CQUORUM_CRC_H
#define CQUORUM_CRC_H

#include <stddef.h>
#include <stdint.h>

/// CRC32C of `data` continued from `crc`, the CRC32C of the bytes before it
/// (0 for the first piece): extend(crc32c(a), b) == crc32c(a ++ b).
uint32_t cquorum_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// Same result, always through the 8-slice table (for tests and non-SSE 4.2 CPUs).
uint32_t cquorum_crc32c_portable_extend(uint32_t crc, const void *data, size_t length);

/// Same result, always through the crc32 instruction. Call only when
/// `cquorum_crc32c_has_hardware()` is 1.
uint32_t cquorum_crc32c_hardware_extend(uint32_t crc, const void *data, size_t length);

/// The CRC32C of a journal record: its bytes 0..<4 (the length) followed by bytes
/// 8..<32+payload_length (the rest of the header and the payload). One call, one pass.
uint32_t cquorum_crc32c_record(const void *record, size_t payload_length);

/// 1 when this CPU has SSE 4.2 (and the hardware path is in use), else 0.
int cquorum_crc32c_has_hardware(void);

#endif

#ifndef CQUORUM_FILE_H
#define CQUORUM_FILE_H
/// fallocate(2) with mode 0 (Swift's Glibc module hides it behind _GNU_SOURCE).
/// Returns 0, or -1 with errno set.
int cquorum_fallocate(int fd, int64_t offset, int64_t length);

/// sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE): starts writeback of the range
/// without waiting for it. Returns 0, or -1 with errno set.
int cquorum_start_writeback(int fd, int64_t offset, int64_t length);
#endif

#ifndef CQUORUM_SCAN_H
#define CQUORUM_SCAN_H
/// Offset of the first non-zero byte in `data[0..<length]`, or `length` when all are zero.
/// Lives beside the CRC because recovery uses both on the same mapped bytes.
size_t cquorum_first_nonzero(const void *data, size_t length);

/// One past the offset of the last non-zero byte in `data[0..<length]` (0 when all are zero).
size_t cquorum_nonzero_end(const void *data, size_t length);
#endif
