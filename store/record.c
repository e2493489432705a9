/*
 * record.c - encode/decode of the store's records; see record.h for the
 * layouts. Decoders never trust a length they have not checked.
 */
#include <stdint.h>
#include <string.h>

#include "record.h"

void
rec_put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

uint64_t
rec_get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void
rec_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

uint32_t
rec_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_i64(unsigned char *p, int64_t v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u)); /* two's complement image, no UB */
	rec_put_u64(p, u);
}

static int64_t
get_i64(const unsigned char *p)
{
	uint64_t u = rec_get_u64(p);
	int64_t v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

static void
put_f32(unsigned char *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	rec_put_u32(p, u);
}

static float
get_f32(const unsigned char *p)
{
	uint32_t u = rec_get_u32(p);
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

int
rec_u64_decode(const void *buf, size_t len, uint64_t *out)
{
	if (buf == NULL || len != REC_U64_LEN)
		return STORE_ECORRUPT;
	*out = rec_get_u64(buf);
	return 0;
}

/* ---- Documents ---------------------------------------------------------- */

/* The five strings of a doc record, in record order. */
static void
doc_strings(const struct store_doc *doc, const char *s[5])
{
	s[0] = doc->path;
	s[1] = doc->title;
	s[2] = doc->url;
	s[3] = doc->source;
	s[4] = doc->author;
}

size_t
rec_doc_len(const struct store_doc *doc)
{
	const char *s[5];
	size_t len = REC_DOC_FIXED, l;

	doc_strings(doc, s);
	for (int i = 0; i < 5; i++) {
		l = s[i] != NULL ? strlen(s[i]) : 0;
		if (l > UINT32_MAX - 64)
			return 0;
		len += l + 1;
	}
	return len + (doc->checked != 0 ? 8 : 0);
}

void
rec_doc_encode(unsigned char *buf, const struct store_doc *doc)
{
	const char *s[5];
	unsigned char *p = buf + REC_DOC_FIXED;
	size_t l;

	rec_put_u64(buf + 0, doc->size);
	put_i64(buf + 8, doc->mtime);
	put_i64(buf + 16, doc->first_seen);
	rec_put_u64(buf + 24, doc->content_hash[0]);
	rec_put_u64(buf + 32, doc->content_hash[1]);
	rec_put_u64(buf + 40, doc->norm_hash);
	rec_put_u32(buf + 48, doc->ntokens);
	put_i64(buf + 56, doc->published);
	doc_strings(doc, s);
	for (int i = 0; i < 5; i++) {
		l = s[i] != NULL ? strlen(s[i]) : 0;
		/* path_len at 52, the metadata lengths from 64 on */
		rec_put_u32(buf + (i == 0 ? 52 : 60 + 4 * i), (uint32_t)l);
		if (l > 0)
			memcpy(p, s[i], l);
		p[l] = '\0';
		p += l + 1;
	}
	/* After the strings, only when known: records written before it
	 * was kept end there. */
	if (doc->checked != 0)
		put_i64(p, doc->checked);
}

int
rec_doc_decode(const void *buf, size_t len, struct store_doc *out)
{
	const unsigned char *p = buf, *q;
	const char *s[5];
	uint64_t l[5], total = REC_DOC_FIXED;

	if (p == NULL || len < REC_DOC_FIXED + 6) /* path of >= 1 byte */
		return STORE_ECORRUPT;
	for (int i = 0; i < 5; i++) {
		l[i] = rec_get_u32(p + (i == 0 ? 52 : 60 + 4 * i));
		total += l[i] + 1; /* five u32s: no overflow in 64 bits */
	}
	if (l[0] == 0 || (total != (uint64_t)len && total + 8 != (uint64_t)len))
		return STORE_ECORRUPT;
	q = p + REC_DOC_FIXED;
	for (int i = 0; i < 5; i++) {
		if (q[l[i]] != '\0' || memchr(q, '\0', l[i]) != NULL)
			return STORE_ECORRUPT;
		s[i] = l[i] > 0 || i == 0 ? (const char *)q : NULL;
		q += l[i] + 1;
	}
	out->size = rec_get_u64(p + 0);
	out->mtime = get_i64(p + 8);
	out->first_seen = get_i64(p + 16);
	out->content_hash[0] = rec_get_u64(p + 24);
	out->content_hash[1] = rec_get_u64(p + 32);
	out->norm_hash = rec_get_u64(p + 40);
	out->ntokens = rec_get_u32(p + 48);
	out->published = get_i64(p + 56);
	out->path = s[0];
	out->title = s[1];
	out->url = s[2];
	out->source = s[3];
	out->author = s[4];
	out->checked = total + 8 == (uint64_t)len ? get_i64(q) : 0;
	return 0;
}

/* ---- Pairs -------------------------------------------------------------- */

void
rec_pair_encode(
    unsigned char buf[REC_PAIR_LEN], const struct store_pair *p, uint64_t self)
{
	rec_put_u64(buf + 0, self == p->a ? p->b : p->a);
	rec_put_u64(buf + 8, p->a);
	rec_put_u64(buf + 16, p->b);
	rec_put_u64(buf + 24, p->original);
	/* The relation's high half holds how: 0 in a pair stored before
	 * it was recorded, which the record's length could not tell. */
	rec_put_u32(buf + 32, (p->relation & 0xffff) | p->how << 16);
	put_f32(buf + 36, p->jaccard);
	put_f32(buf + 40, p->cont_ab);
	put_f32(buf + 44, p->cont_ba);
	put_i64(buf + 48, p->found_at);
}

int
rec_pair_decode(
    const void *buf, size_t len, uint64_t self, struct store_pair *out)
{
	const unsigned char *p = buf;
	uint64_t other, a, b, orig;

	if (p == NULL || len != REC_PAIR_LEN)
		return STORE_ECORRUPT;
	other = rec_get_u64(p + 0);
	a = rec_get_u64(p + 8);
	b = rec_get_u64(p + 16);
	orig = rec_get_u64(p + 24);
	if (a == 0 || a >= b)
		return STORE_ECORRUPT;
	if (!((self == a && other == b) || (self == b && other == a)))
		return STORE_ECORRUPT;
	if (orig != 0 && orig != a && orig != b)
		return STORE_ECORRUPT;
	out->a = a;
	out->b = b;
	out->original = orig;
	out->relation = rec_get_u32(p + 32) & 0xffff;
	out->how = rec_get_u32(p + 32) >> 16;
	out->jaccard = get_f32(p + 36);
	out->cont_ab = get_f32(p + 40);
	out->cont_ba = get_f32(p + 44);
	out->found_at = get_i64(p + 48);
	return 0;
}

/* ---- Index run chunks ---------------------------------------------------- */

size_t
rec_varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* -1 on a truncated or over-long varint. One-byte varints are the rule
 * in a run: they take the short path. */
static inline int
varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;

	if (*p < end && !(**p & 0x80)) {
		*v = *(*p)++;
		return 0;
	}
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*p == end)
			return -1;
		unsigned char c = *(*p)++;
		if (shift == 63 && c > 1)
			return -1;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

void
rec_chunk_head(unsigned char *p, unsigned shift, uint32_t fb, uint32_t nb)
{
	p[0] = (unsigned char)shift;
	p[1] = p[2] = p[3] = 0;
	rec_put_u32(p + 4, fb);
	rec_put_u32(p + 8, nb);
}

size_t
rec_entry_head(unsigned char *p, uint32_t dk, uint32_t nids, size_t idbytes)
{
	size_t n;

	if (nids == 1)
		return rec_varint_put(p, (uint64_t)dk << 1);
	n = rec_varint_put(p, (uint64_t)dk << 1 | 1);
	n += rec_varint_put(p + n, nids);
	return n + rec_varint_put(p + n, idbytes);
}

int
rec_chunk_open(struct rec_chunk *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (p == NULL || len < REC_CHUNK_HEAD + 8)
		return STORE_ECORRUPT;
	c->shift = p[0];
	c->fb = rec_get_u32(p + 4);
	c->nb = rec_get_u32(p + 8);
	if (c->shift > 31 || p[1] || p[2] || p[3] || c->nb == 0 ||
	    c->fb > (UINT32_MAX >> c->shift) ||
	    c->nb - 1 > (UINT32_MAX >> c->shift) - c->fb ||
	    c->nb > (len - REC_CHUNK_HEAD) / 4 - 1)
		return STORE_ECORRUPT;
	c->off = p + REC_CHUNK_HEAD;
	c->data = c->off + 4 * ((size_t)c->nb + 1);
	c->end = p + len;
	/* The last offset is a cache line away from the header: a lookup
	 * does not read it (rec_chunk_bucket checks each bucket's bounds),
	 * a scan of the whole chunk does (rec_chunk_check). */
	if (rec_get_u32(c->off) != 0)
		return STORE_ECORRUPT;
	return 0;
}

int
rec_chunk_check(const struct rec_chunk *c)
{
	size_t last = rec_get_u32(c->off + 4 * (size_t)c->nb);

	return last == (size_t)(c->end - c->data) ? 0 : STORE_ECORRUPT;
}

int
rec_chunk_bucket(
    const struct rec_chunk *c, uint32_t bucket, struct rec_bucket *b)
{
	memset(b, 0, sizeof(*b));
	b->base = bucket << c->shift;
	b->last = b->base | (uint32_t)(((uint64_t)1 << c->shift) - 1);
	if (bucket < c->fb || bucket - c->fb >= c->nb)
		return 0; /* not in this chunk: empty */
	const unsigned char *o = c->off + 4 * (size_t)(bucket - c->fb);
	uint32_t from = rec_get_u32(o), to = rec_get_u32(o + 4);
	if (from > to || to > (size_t)(c->end - c->data))
		return STORE_ECORRUPT;
	b->p = c->data + from;
	b->end = c->data + to;
	return 0;
}

int
rec_bucket_next(struct rec_bucket *b, uint32_t *hkey, struct rec_ids *ids)
{
	uint64_t x, nids = 1, idbytes;

	if (b->p == b->end)
		return 0;
	if (varint_get(&b->p, b->end, &x) != 0)
		return STORE_ECORRUPT;
	uint64_t dk = x >> 1;
	if ((b->n > 0 && dk == 0) ||
	    dk > (uint64_t)b->last - (b->n ? b->hkey : b->base))
		return STORE_ECORRUPT;
	if (x & 1) {
		if (varint_get(&b->p, b->end, &nids) != 0 ||
		    varint_get(&b->p, b->end, &idbytes) != 0 || nids < 2 ||
		    nids > UINT32_MAX || idbytes < nids ||
		    idbytes > (size_t)(b->end - b->p))
			return STORE_ECORRUPT;
	} else {
		/* One id: its varint is the list. */
		const unsigned char *q = b->p;
		while (q < b->end && q - b->p < 10 && (*q & 0x80))
			q++;
		if (q == b->end || q - b->p == 10)
			return STORE_ECORRUPT;
		idbytes = (size_t)(q - b->p) + 1;
	}
	b->hkey = (b->n ? b->hkey : b->base) + (uint32_t)dk;
	b->n++;
	ids->p = b->p;
	ids->end = b->p + idbytes;
	ids->id = 0;
	ids->left = (uint32_t)nids;
	b->p += idbytes;
	*hkey = b->hkey;
	return 1;
}

int
rec_ids_next(struct rec_ids *x, uint64_t *id)
{
	uint64_t v;

	if (x->left == 0)
		return x->p == x->end ? 0 : STORE_ECORRUPT;
	if (varint_get(&x->p, x->end, &v) != 0 || v == 0 ||
	    v > UINT64_MAX - x->id)
		return STORE_ECORRUPT;
	x->id += v; /* the first is absolute (id starts at 0) */
	x->left--;
	*id = x->id;
	return 1;
}

/* ---- Rejected files ----------------------------------------------------- */

size_t
rec_reject_len(size_t path_len, size_t reason_len)
{
	return REC_REJECT_FIXED + path_len + 1 + reason_len + 1;
}

void
rec_reject_encode(unsigned char *buf, const char *path, size_t path_len,
    const char *reason, size_t reason_len, int64_t at)
{
	unsigned char *p = buf + REC_REJECT_FIXED;

	put_i64(buf + 0, at);
	rec_put_u32(buf + 8, (uint32_t)path_len);
	rec_put_u32(buf + 12, (uint32_t)reason_len);
	memcpy(p, path, path_len);
	p[path_len] = '\0';
	p += path_len + 1;
	memcpy(p, reason, reason_len);
	p[reason_len] = '\0';
}

int
rec_reject_decode(const void *buf, size_t len, struct store_reject *out)
{
	const unsigned char *p = buf, *s;
	uint64_t pl, rl;

	if (p == NULL || len < REC_REJECT_FIXED + 3) /* path >= 1 byte */
		return STORE_ECORRUPT;
	pl = rec_get_u32(p + 8);
	rl = rec_get_u32(p + 12);
	if (pl == 0 || (uint64_t)len != REC_REJECT_FIXED + pl + 1 + rl + 1)
		return STORE_ECORRUPT;
	s = p + REC_REJECT_FIXED;
	if (s[pl] != '\0' || memchr(s, '\0', pl) != NULL ||
	    s[pl + 1 + rl] != '\0' || memchr(s + pl + 1, '\0', rl) != NULL)
		return STORE_ECORRUPT;
	out->at = get_i64(p + 0);
	out->path = (const char *)s;
	out->reason = (const char *)(s + pl + 1);
	return 0;
}
