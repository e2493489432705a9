/*
 * record.h - on-disk record layout of the store (internal to store/).
 *
 * Pure functions: bytes in, struct out (or struct in, bytes out). No LMDB,
 * no allocation, no I/O, so that they can be unit-tested and fuzzed alone.
 * Every decode function checks lengths and internal consistency and returns
 * STORE_ECORRUPT rather than reading past `len`; decoded pointers (paths,
 * reasons, key arrays) point into the input buffer.
 *
 * All integers on disk are big-endian: as keys their byte order is their
 * numeric order under LMDB's default memcmp comparison, and the files do
 * not depend on the host's byte order in our own fields (LMDB's page
 * format itself is native-endian anyway). Floats are stored as the
 * big-endian image of their IEEE-754 bits.
 *
 * Layouts (offsets in bytes):
 *
 *   u64 key / id        8: big-endian value
 *   meta value          8: u64
 *   doc record         85 + path_len + title_len + url_len + source_len
 *                      + author_len (schema 2):
 *                       0 size, 8 mtime, 16 first_seen, 24 content_hash[0],
 *                       32 content_hash[1], 40 norm_hash (u64/i64),
 *                       48 ntokens (u32), 52 path_len (u32),
 *                       56 published (i64, unix microseconds, 0 unknown),
 *                       64 title_len, 68 url_len, 72 source_len,
 *                       76 author_len (u32 each), 80 path bytes, NUL,
 *                       title, NUL, url, NUL, source, NUL, author, NUL
 *                       (no NUL inside any of them; the path is not empty;
 *                       an empty metadata string means unknown)
 *   pair record        56 (fixed: MDB_DUPFIXED), stored under both ends:
 *                       0 other end, 8 a, 16 b, 24 original (u64),
 *                       32 relation (u16) and how (u16: 0 before it
 *                       was recorded), 36 jaccard, 40 cont_ab,
 *                       44 cont_ba (float bits), 48 found_at (i64).
 *                       Dups of one key sort by `other`.
 *   index log record    4 * nkeys: a document's index keys, u32 each,
 *                       strictly ascending (decoded in index.c)
 *   index run chunk     a run is a sequence of chunks, LMDB key = the
 *                       chunk's number c (u32), holding buckets c * nb
 *                       to c * nb + nb - 1 (bucket = hkey >> shift; nb a
 *                       power of two, the same in a run), sorted by
 *                       (hkey, id): 0 shift (u8, <= 31), 1 zero (3
 *                       bytes), 4 first bucket fb, 8 buckets nb (u32
 *                       each, nb >= 1), 12 nb + 1 offsets (u32, from the
 *                       data's start: bucket fb + i is data[off[i],
 *                       off[i + 1]), off[0] = 0, off[nb] = the data's
 *                       length), then the data. A bucket is a sequence of
 *                       entries, one per hkey: varint (dk << 1 | many),
 *                       dk the hkey's distance from the bucket's first
 *                       hkey (first entry) or from the previous entry's
 *                       (> 0); if many, varint nids (>= 2) and varint
 *                       idbytes; then the ids: varint first id, varint
 *                       deltas (never 0). Varints are LEB128.
 *   reject record      18 + path_len + reason_len:
 *                       0 at (i64), 8 path_len, 12 reason_len (u32),
 *                       16 path, NUL, reason, NUL.
 */
#ifndef STORE_RECORD_H
#define STORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define REC_U64_LEN 8
#define REC_DOC_FIXED 80 /* doc record without its strings and NULs */
#define REC_PAIR_LEN 56
#define REC_REJECT_FIXED 16 /* reject record without strings and NULs */

void rec_put_u64(unsigned char *p, uint64_t v);
uint64_t rec_get_u64(const unsigned char *p);
void rec_put_u32(unsigned char *p, uint32_t v);
uint32_t rec_get_u32(const unsigned char *p);

/* An 8-byte u64 value (meta counters, paths → id, post/band dups).
 * STORE_ECORRUPT unless len == 8. */
int rec_u64_decode(const void *buf, size_t len, uint64_t *out);

/* Doc record. rec_doc_len: bytes needed for doc (its path and metadata
 * strings; NULL metadata counts as empty), 0 if a string is longer than
 * UINT32_MAX - 64 bytes. encode writes exactly that many bytes into buf
 * (doc->id is not stored: it is the key). decode fills out (id untouched;
 * path and metadata point into buf; empty metadata decodes as NULL). */
size_t rec_doc_len(const struct store_doc *doc);
void rec_doc_encode(unsigned char *buf, const struct store_doc *doc);
int rec_doc_decode(const void *buf, size_t len, struct store_doc *out);

/* Pair record as seen from end `self` (a or b). decode checks that self
 * is one end, the stored other end is the other one, a < b and original
 * is 0, a or b. */
void rec_pair_encode(
    unsigned char buf[REC_PAIR_LEN], const struct store_pair *p, uint64_t self);
int rec_pair_decode(
    const void *buf, size_t len, uint64_t self, struct store_pair *out);

/*
 * Index run chunks. open checks the header and the first offset, check
 * the last one (a reader of all buckets calls both); bucket gives a bucket's
 * entries (none if the chunk does not cover it), checking its offsets;
 * bucket_next returns 1 with the next entry's hkey and a cursor on its ids, 0
 * at the bucket's end; ids_next returns 1 with the next id, 0 at the list's
 * end. All return STORE_ECORRUPT on a malformed input and never read past it.
 * Writing: rec_chunk_head fills the REC_CHUNK_HEAD bytes before the offsets,
 * rec_entry_head an entry's header (at most 3 * REC_VARINT_MAX bytes)
 * before its ids.
 */
#define REC_CHUNK_HEAD 12
#define REC_VARINT_MAX 10
struct rec_chunk {
	const unsigned char *off, *data, *end;
	unsigned shift;
	uint32_t fb, nb;
};
struct rec_bucket {
	const unsigned char *p, *end;
	uint32_t base, last; /* the bucket's hkeys */
	uint32_t hkey;       /* last read */
	uint32_t n;          /* entries read */
};
struct rec_ids {
	const unsigned char *p, *end;
	uint64_t id;   /* last read */
	uint32_t left; /* ids not read */
};
int rec_chunk_open(struct rec_chunk *c, const void *buf, size_t len);
int rec_chunk_check(const struct rec_chunk *c);
int rec_chunk_bucket(
    const struct rec_chunk *c, uint32_t bucket, struct rec_bucket *b);
int rec_bucket_next(struct rec_bucket *b, uint32_t *hkey, struct rec_ids *ids);
int rec_ids_next(struct rec_ids *x, uint64_t *id);
size_t rec_varint_put(unsigned char *p, uint64_t v);
void rec_chunk_head(unsigned char *p, unsigned shift, uint32_t fb, uint32_t nb);
size_t rec_entry_head(
    unsigned char *p, uint32_t dk, uint32_t nids, size_t idbytes);

/* Reject record; decode fills out->path and out->reason into buf. */
size_t rec_reject_len(size_t path_len, size_t reason_len);
void rec_reject_encode(unsigned char *buf, const char *path, size_t path_len,
    const char *reason, size_t reason_len, int64_t at);
int rec_reject_decode(const void *buf, size_t len, struct store_reject *out);

#endif
