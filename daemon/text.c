/* text.c - pure byte-level helpers; see text.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

size_t
text_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = text_utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
text_utf8_repair(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	size_t i = 0, n;

	/* Each bad byte becomes 3 bytes (U+FFFD); len * 3 + 1 always fits. */
	if (len > (((size_t)-1) - 1) / 3)
		return NULL;
	if ((out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	o = out;
	while (i < len) {
		if ((n = text_utf8_seq(p + i, len - i)) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(o - out);
	return out;
}

enum text_kind
text_classify(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, bad = 0, visible = 0;

	if (len == 0)
		return TEXT_EMPTY;
	if (memchr(s, '\0', len) != NULL)
		return TEXT_BINARY;
	while (i < len) {
		unsigned c = p[i];

		if ((n = text_utf8_seq(p + i, len - i)) == 0) {
			bad++;
			i++;
			continue;
		}
		if (n == 1 && (c < 0x20 || c == 0x7f)) {
			if (c != '\t' && c != '\n' && c != '\r' && c != '\f')
				bad++;
		} else if (!(n == 1 && c == ' '))
			visible++;
		i += n;
	}
	/* bad / len > 0.3 without floating point. */
	if (bad * 10 > len * 3)
		return TEXT_BINARY;
	if (visible == 0)
		return TEXT_EMPTY;
	return TEXT_OK;
}

const char *
text_kind_name(enum text_kind k)
{
	switch (k) {
	case TEXT_OK:
		return "text";
	case TEXT_EMPTY:
		return "empty";
	case TEXT_BINARY:
		return "binary";
	}
	return "unknown";
}

int
text_reqpath_clean(const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0, start, clen;

	if (len > 0 && in[0] == '/')
		return -EINVAL;
	while (i < len) {
		start = i;
		while (i < len && in[i] != '/') {
			if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
				return -EINVAL;
			i++;
		}
		clen = i - start;
		if (i < len)
			i++; /* the slash */
		if (clen == 0 || (clen == 1 && in[start] == '.'))
			continue;
		if (clen == 2 && in[start] == '.' && in[start + 1] == '.')
			return -EINVAL;
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, in + start, clen);
		o += clen;
	}
	out[o] = '\0';
	return o == 0 ? -EINVAL : 0;
}

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int
text_item_suffix(const char *s)
{
	return s[0] == '#' && s[1] != '\0' &&
	       strspn(s + 1, "0123456789") == strlen(s + 1);
}

const char *
text_name_refused(const char *rel)
{
	const char *hash = strrchr(rel, '#');

	for (const char *c = rel; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "a control character in the name";
	if (hash != NULL && strchr(hash, '/') == NULL &&
	    (text_item_suffix(hash) || strncmp(hash, "#dropped-", 9) == 0 ||
	        strncmp(hash, "#=", 2) == 0))
		return "the name ends as a feed item's does (#N, #dropped-, "
		       "#=): rename the file";
	return NULL;
}

int
text_name_ignored(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || name[0] == '.')
		return 1; /* also ".#file" (emacs lock), ".", ".." */
	if (name[0] == '#' && n > 1 && name[n - 1] == '#')
		return 1; /* emacs auto-save */
	return name[n - 1] == '~' || ends_with(name, n, ".tmp") ||
	       ends_with(name, n, ".swp") || ends_with(name, n, ".part");
}

int
text_path_watched(const char *rel)
{
	while (*rel != '\0') {
		char part[256];
		size_t k = strcspn(rel, "/");

		if (k >= sizeof(part))
			return 0;
		memcpy(part, rel, k);
		part[k] = '\0';
		if (text_name_ignored(part))
			return 0;
		rel += k + (rel[k] == '/');
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
text_query_get(const char *query, const char *key, char **out)
{
	size_t klen = strlen(key);
	const char *p = query, *end, *v;
	char *o;
	size_t i, n;

	*out = NULL;
	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			v = p + klen + 1;
			n -= klen + 1;
			if ((o = malloc(n + 1)) == NULL)
				return -ENOMEM;
			*out = o;
			for (i = 0; i < n; i++) {
				int hi, lo;

				if (v[i] == '+') {
					*o++ = ' ';
					continue;
				}
				if (v[i] != '%') {
					*o++ = v[i];
					continue;
				}
				if (i + 2 >= n)
					goto bad;
				hi = hexval((unsigned char)v[i + 1]);
				lo = hexval((unsigned char)v[i + 2]);
				if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
					goto bad;
				*o++ = (char)(hi << 4 | lo);
				i += 2;
			}
			*o = '\0';
			return 0;
		}
		if (n == klen && strncmp(p, key, klen) == 0) {
			/* "key" with no '=': an empty value. */
			if ((*out = strdup("")) == NULL)
				return -ENOMEM;
			return 0;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return -ENOENT;
bad:
	free(*out);
	*out = NULL;
	return -EINVAL;
}

void
text_visible(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			s[i] = '?';
		else if (c == 0xc2 && i + 1 < n &&
		         (unsigned char)s[i + 1] >= 0x80 &&
		         (unsigned char)s[i + 1] <= 0x9f)
			s[i] = s[i + 1] = '?';
	}
}
