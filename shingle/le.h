/*
 * le.h - little-endian loads and stores, whatever the host (compilers make
 * each one instruction). Internal to shingle/: the hashes of grams and
 * the normalizer's eight-byte copies must not depend on the host's order.
 */
#ifndef SHINGLE_LE_H
#define SHINGLE_LE_H

#include <stdint.h>
#include <string.h>

static inline uint32_t
load_le32(const void *p)
{
	const unsigned char *u = p;

	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
	       (uint32_t)u[3] << 24;
}

static inline uint64_t
load_le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void
store_le64(void *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

#endif
