/* httpc.c - HTTP response parsing for reprintctl; see httpc.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpc.h"

/* The header block's line starting at p (up to end) named `name`? */
static int
header_is(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(end - p) > n && strncasecmp(p, name, n) == 0 &&
	       p[n] == ':';
}

static const char *
header_value(const char *p, const char *name)
{
	p += strlen(name) + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *
find_crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static int
dechunk(char *b, size_t len, size_t *outlen)
{
	const char *p = b, *end = b + len, *eol;
	char *o = b;
	uint64_t sz;
	int d;

	for (;;) {
		if ((eol = find_crlf(p, end)) == NULL)
			return -EPROTO;
		sz = 0;
		if (p == eol)
			return -EINVAL;
		for (; p < eol && *p != ';'; p++) {
			if (*p >= '0' && *p <= '9')
				d = *p - '0';
			else if (*p >= 'a' && *p <= 'f')
				d = *p - 'a' + 10;
			else if (*p >= 'A' && *p <= 'F')
				d = *p - 'A' + 10;
			else
				return -EINVAL;
			if (sz > (UINT64_MAX >> 4))
				return -EINVAL;
			sz = sz << 4 | (uint64_t)d;
		}
		p = eol + 2;
		if (sz == 0)
			break; /* trailers, if any, are not needed */
		if (sz > (uint64_t)(end - p))
			return -EPROTO;
		memmove(o, p, (size_t)sz);
		o += sz;
		p += sz;
		if (end - p < 2)
			return -EPROTO;
		if (p[0] != '\r' || p[1] != '\n')
			return -EINVAL;
		p += 2;
	}
	*outlen = (size_t)(o - b);
	return 0;
}

int
httpc_parse(char *buf, size_t len, int *status, char **body, size_t *body_len)
{
	const char *end = buf + len, *p, *eol;
	char *b;
	uint64_t cl = 0;
	int have_cl = 0, chunked = 0, i;

	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -EINVAL;
	*status = 0;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		*status = *status * 10 + (buf[i] - '0');
	}
	if ((eol = find_crlf(buf, end)) == NULL)
		return -EPROTO;
	for (p = eol + 2;; p = eol + 2) {
		if ((eol = find_crlf(p, end)) == NULL)
			return -EPROTO;
		if (eol == p)
			break; /* end of headers */
		if (header_is(p, eol, "Content-Length")) {
			const char *v = header_value(p, "Content-Length");

			if (v >= eol)
				return -EINVAL;
			for (cl = 0; v < eol && *v >= '0' && *v <= '9'; v++) {
				if (cl > UINT64_MAX / 10 - 1)
					return -EINVAL;
				cl = cl * 10 + (uint64_t)(*v - '0');
			}
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if (v != eol)
				return -EINVAL;
			have_cl = 1;
		} else if (header_is(p, eol, "Transfer-Encoding")) {
			const char *v = header_value(p, "Transfer-Encoding");

			if ((size_t)(eol - v) >= 7 &&
			    strncasecmp(eol - 7, "chunked", 7) == 0)
				chunked = 1;
		}
	}
	b = (char *)eol + 2;
	if (chunked) {
		int rc = dechunk(b, (size_t)(end - b), body_len);

		if (rc < 0)
			return rc;
		*body = b;
		return 0;
	}
	if (have_cl) {
		if (cl > (uint64_t)(end - b))
			return -EPROTO;
		*body_len = (size_t)cl;
	} else
		*body_len = (size_t)(end - b);
	*body = b;
	return 0;
}

char *
httpc_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out, *o;
	unsigned char c;

	if (n > (SIZE_MAX - 1) / 3 || (out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '/')
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}
