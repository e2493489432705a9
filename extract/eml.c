/*
 * eml.c - an RFC 5322 message with MIME (RFC 2045-2047) parts, parsed by
 * hand: header folding, encoded words, multipart nesting, base64 and
 * quoted-printable bodies, charsets through iconv.
 *
 * Against MIME bombs: every entity counts against max_parts, multipart
 * nesting against max_mime_depth, and decoded text against max_output.
 * Each level scans only its own body, so the work is bounded by the
 * input size times max_mime_depth.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"

struct entity {
	const char *hdr, *body;
	size_t hlen, blen;
};

/* A part found in the tree, decoded later. */
struct leaf {
	const char *body;
	size_t len;
	char cte[32], charset[48];
	int found;
};

struct walk {
	const struct extract_limits *lim;
	unsigned parts;
	struct leaf plain, html;
};

/* Split at the first empty line; no empty line means no body. */
static void
split_entity(const char *s, size_t len, struct entity *e)
{
	size_t i = 0;

	e->hdr = s;
	/* An mbox "From " separator line is not a header. */
	if (len >= 5 && !memcmp(s, "From ", 5)) {
		while (i < len && s[i] != '\n')
			i++;
		i++;
		e->hdr = s + (i < len ? i : len);
	}
	/* Starts with an empty line: no headers at all. */
	if (i == 0 && len > 0 &&
	    (s[0] == '\n' || (len > 1 && s[0] == '\r' && s[1] == '\n'))) {
		e->hlen = 0;
		e->body = s + (s[0] == '\n' ? 1 : 2);
		e->blen = len - (s[0] == '\n' ? 1 : 2);
		return;
	}
	for (; i < len; i++) {
		if (s[i] != '\n')
			continue;
		if (i + 1 < len && s[i + 1] == '\n') {
			e->hlen = (size_t)(s + i + 1 - e->hdr);
			e->body = s + i + 2;
			e->blen = len - i - 2;
			return;
		}
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			e->hlen = (size_t)(s + i + 1 - e->hdr);
			e->body = s + i + 3;
			e->blen = len - i - 3;
			return;
		}
	}
	e->hlen = (size_t)(s + len - e->hdr);
	e->body = s + len;
	e->blen = 0;
}

/*
 * The unfolded value of the first header `name`, malloc'd, or NULL
 * (absent or ENOMEM). Values longer than 64 KiB are cut.
 */
static char *
header_get(const struct entity *e, const char *name)
{
	struct xbuf b = {.max = 64 * 1024};
	const char *s = e->hdr, *end = e->hdr + e->hlen, *p, *eol;
	size_t n = strlen(name);

	while (s < end) {
		eol = memchr(s, '\n', (size_t)(end - s));
		eol = eol ? eol : end;
		if ((size_t)(eol - s) > n && !strncasecmp(s, name, n)) {
			p = s + n;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			if (p < eol && *p == ':') {
				p++;
				for (;;) {
					size_t l = (size_t)(eol - p);
					if (l > 0 && p[l - 1] == '\r')
						l--;
					if (xbuf_put(&b, p, l) < 0)
						break;
					if (eol >= end || eol + 1 >= end ||
					    (eol[1] != ' ' && eol[1] != '\t'))
						break;
					p = eol + 1;
					eol =
					    memchr(p, '\n', (size_t)(end - p));
					eol = eol ? eol : end;
				}
				return xbuf_take(&b, NULL);
			}
		}
		s = eol + 1;
	}
	return NULL;
}

/* "type/subtype" of a Content-Type, lowercased, into buf. */
static void
media_type(const char *v, char *buf, size_t sz)
{
	size_t i = 0;

	while (v != NULL && (*v == ' ' || *v == '\t'))
		v++;
	while (v != NULL && *v != '\0' && *v != ';' && *v != ' ' &&
	       *v != '\t' && i + 1 < sz) {
		buf[i++] = (char)((*v >= 'A' && *v <= 'Z') ? *v + 32 : *v);
		v++;
	}
	buf[i] = '\0';
}

/* A parameter of a structured header ("boundary", "charset") into buf;
 * 0 or -1 when absent or too long. */
static int
param_get(const char *v, const char *name, char *buf, size_t sz)
{
	size_t n = strlen(name), i;

	if (v == NULL)
		return -1;
	while ((v = strchr(v, ';')) != NULL) {
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncasecmp(v, name, n) != 0)
			continue;
		v += n;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		i = 0;
		if (*v == '"') {
			for (v++; *v != '\0' && *v != '"'; v++) {
				if (*v == '\\' && v[1] != '\0')
					v++;
				if (i + 1 >= sz)
					return -1;
				buf[i++] = *v;
			}
		} else {
			for (;
			     *v != '\0' && *v != ';' && *v != ' ' && *v != '\t';
			     v++) {
				if (i + 1 >= sz)
					return -1;
				buf[i++] = *v;
			}
		}
		buf[i] = '\0';
		return i > 0 ? 0 : -1;
	}
	return -1;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode into out (room for 3/4 of len); returns the length. Characters
 * outside the alphabet are skipped; '=' ends the data. */
static size_t
b64_decode(const char *in, size_t len, char *out)
{
	unsigned acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	for (i = 0; i < len && in[i] != '='; i++) {
		if ((v = b64val((unsigned char)in[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return o;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Quoted-printable (header: '_' is a space, RFC 2047 Q). out holds len. */
static size_t
qp_decode(const char *in, size_t len, char *out, int header)
{
	size_t i = 0, o = 0, j;
	int h, l;

	while (i < len) {
		char c = in[i];
		if (header && c == '_') {
			out[o++] = ' ';
			i++;
			continue;
		}
		if (c != '=') {
			out[o++] = c;
			i++;
			continue;
		}
		if (i + 2 < len + 0 && (h = hexval(in[i + 1])) >= 0 &&
		    (l = hexval(in[i + 2])) >= 0) {
			out[o++] = (char)(h * 16 + l);
			i += 3;
			continue;
		}
		/* Soft line break, maybe after trailing blanks. */
		j = i + 1;
		while (j < len && (in[j] == ' ' || in[j] == '\t'))
			j++;
		if (j < len && in[j] == '\r')
			j++;
		if (j < len && in[j] == '\n') {
			i = j + 1;
			continue;
		}
		if (j == len) {
			i = j;
			continue;
		}
		out[o++] = c;
		i++;
	}
	return o;
}

/*
 * Where encoded words are known to fail: one whose encoded text starts
 * in [from, to] fails as the one tried there did. Its text had no "?="
 * before the blank or the end of the value at `to`, so neither has
 * theirs; or it ended in a "?=" at `to` that did not decode, and a word
 * begun inside that text (an "=?" in it) is no word either. Without this
 * every "=?" of a value would scan on to the same blank: quadratic.
 */
struct ew_fail {
	const char *from, *to;
};

/* One encoded word at s ("=?cs?B?...?="): decoded UTF-8 appended to b and
 * its length in *used, or -1 when it is not one. *scanned counts the
 * bytes read looking for its parts. */
static int
encoded_word(const char *s, size_t len, struct xbuf *b, size_t *used,
    struct ew_fail *f, size_t *scanned)
{
	char cs[48], *raw, *u = NULL, *star;
	const char *p = s + 2, *q, *t, *e;
	size_t n, rl, ul;
	int enc, rc;

	/* A charset name longer than cs is none: look no further. */
	n = len - 2 < sizeof(cs) ? len - 2 : sizeof(cs);
	q = memchr(p, '?', n);
	*scanned += q != NULL ? (size_t)(q - p) + 1 : n;
	if (q == NULL || q == p)
		return -1;
	memcpy(cs, p, (size_t)(q - p));
	cs[q - p] = '\0';
	if ((star = strchr(cs, '*')) != NULL) /* RFC 2231 language */
		*star = '\0';
	if ((size_t)(q - s) + 3 > len || q[2] != '?')
		return -1;
	enc = q[1] | 0x20;
	if (enc != 'b' && enc != 'q')
		return -1;
	t = q + 3;
	if (t >= f->from && t <= f->to)
		return -1;
	for (e = t; e + 1 < s + len && !(e[0] == '?' && e[1] == '='); e++)
		if (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n')
			break;
	*scanned += (size_t)(e - t) + 1;
	f->from = t;
	f->to = e;
	if (e + 1 >= s + len || e[0] != '?')
		return -1;
	n = (size_t)(e - t);
	if ((raw = malloc(n + 1)) == NULL)
		return -1;
	rl = enc == 'b' ? b64_decode(t, n, raw) : qp_decode(t, n, raw, 1);
	rc = ex_to_utf8(cs, raw, rl, 64 * 1024, &u, &ul);
	if (rc == EXTRACT_ECHARSET)
		rc = ex_to_utf8(NULL, raw, rl, 64 * 1024, &u, &ul);
	free(raw);
	if (rc < 0)
		return -1;
	rc = xbuf_put(b, u, ul);
	free(u);
	if (rc < 0)
		return -1;
	*used = (size_t)(e + 2 - s);
	return 0;
}

char *
ex_header_text(const char *v, size_t *scanned)
{
	struct xbuf b = {.max = 64 * 1024};
	struct ew_fail f;
	char *u = NULL, *r;
	size_t ul, i = 0, used, ws = 0, wsn = 0;
	int last_ew = 0;

	if (v == NULL || ex_to_utf8(NULL, v, strlen(v), 64 * 1024, &u, &ul) < 0)
		return NULL;
	f.from = u + 1; /* none yet */
	f.to = u;
	while (i < ul) {
		struct xbuf w = {.max = 64 * 1024};
		if (u[i] == '=' && i + 1 < ul && u[i + 1] == '?' &&
		    encoded_word(u + i, ul - i, &w, &used, &f, scanned) == 0) {
			/* Blanks between two encoded words vanish. */
			if (wsn > 0 && !last_ew)
				(void)xbuf_put(&b, u + ws, wsn);
			if (w.len > 0)
				(void)xbuf_put(&b, w.p, w.len);
			xbuf_free(&w);
			wsn = 0;
			last_ew = 1;
			i += used;
			continue;
		}
		xbuf_free(&w);
		if (u[i] == ' ' || u[i] == '\t') {
			if (wsn++ == 0)
				ws = i;
			i++;
			continue;
		}
		if (wsn > 0)
			(void)xbuf_put(&b, u + ws, wsn);
		wsn = 0;
		last_ew = 0;
		(void)xbuf_putc(&b, u[i]);
		i++;
	}
	free(u);
	if ((u = xbuf_take(&b, &ul)) == NULL)
		return NULL;
	r = ex_meta_str(u, ul);
	free(u);
	return r;
}

static char *
header_text(const char *v)
{
	size_t scanned = 0;
	return ex_header_text(v, &scanned);
}

static int walk(struct walk *w, const char *s, size_t len, unsigned depth);

/* "--boundary" at the start of a line, at or after p. */
static const char *
find_delim(const char *body, const char *p, const char *end, const char *delim,
    size_t dl)
{
	const char *hit;

	/* memmem is a GNU extension; the first byte is always '-'. */
	while ((size_t)(end - p) >= dl &&
	       (hit = memchr(p, '-', (size_t)(end - p) - dl + 1)) != NULL) {
		if (!memcmp(hit, delim, dl) && (hit == body || hit[-1] == '\n'))
			return hit;
		p = hit + 1;
	}
	return NULL;
}

/* The part from `part` up to the line break before `hit`. */
static int
walk_part(struct walk *w, const char *part, const char *hit, unsigned depth)
{
	const char *le = hit;

	if (le > part && le[-1] == '\n')
		le--;
	if (le > part && le[-1] == '\r')
		le--;
	return walk(w, part, (size_t)(le - part), depth + 1);
}

static int
walk(struct walk *w, const char *s, size_t len, unsigned depth)
{
	struct entity e;
	char *ct, *cte, *disp, type[96], bnd[80];
	char delim[84];
	const char *p, *end, *part = NULL, *hit;
	size_t dl;
	struct leaf *lf;
	int rc = 0;

	if (++w->parts > w->lim->max_parts)
		return EXTRACT_EPARTS;
	split_entity(s, len, &e);
	ct = header_get(&e, "Content-Type");
	media_type(ct ? ct : "text/plain", type, sizeof(type));
	if (type[0] == '\0')
		strcpy(type, "text/plain");
	if (!strncmp(type, "multipart/", 10)) {
		if (depth + 1 > w->lim->max_mime_depth) {
			rc = EXTRACT_EPARTS;
			goto out;
		}
		if (param_get(ct, "boundary", bnd, sizeof(bnd)) < 0) {
			rc = EXTRACT_EMALFORMED;
			goto out;
		}
		dl = (size_t)snprintf(delim, sizeof(delim), "--%s", bnd);
		p = e.body;
		end = e.body + e.blen;
		while ((hit = find_delim(e.body, p, end, delim, dl)) != NULL) {
			if (part != NULL &&
			    (rc = walk_part(w, part, hit, depth)) < 0)
				goto out;
			p = hit + dl;
			if ((size_t)(end - p) >= 2 && p[0] == '-' &&
			    p[1] == '-') {
				part = NULL; /* closing delimiter */
				break;
			}
			while (p < end && *p != '\n')
				p++;
			part = p < end ? p + 1 : end;
			p = part;
		}
		/* A message cut short: its last part is still a part. */
		if (part != NULL && part < end)
			rc = walk_part(w, part, end, depth);
		goto out;
	}
	if (!strcmp(type, "message/rfc822")) {
		if (depth + 1 > w->lim->max_mime_depth)
			rc = EXTRACT_EPARTS;
		else
			rc = walk(w, e.body, e.blen, depth + 1);
		goto out;
	}
	if (strcmp(type, "text/plain") != 0 && strcmp(type, "text/html") != 0)
		goto out;
	disp = header_get(&e, "Content-Disposition");
	if (disp != NULL &&
	    !strncasecmp(disp + strspn(disp, " \t"), "attachment", 10)) {
		free(disp);
		goto out;
	}
	free(disp);
	lf = type[5] == 'p' ? &w->plain : &w->html;
	if (lf->found)
		goto out;
	lf->found = 1;
	lf->body = e.body;
	lf->len = e.blen;
	cte = header_get(&e, "Content-Transfer-Encoding");
	media_type(cte ? cte : "", lf->cte, sizeof(lf->cte));
	free(cte);
	if (param_get(ct, "charset", lf->charset, sizeof(lf->charset)) < 0)
		lf->charset[0] = '\0';
out:
	free(ct);
	return rc;
}

/* Transfer encoding and charset: UTF-8 bytes of a leaf. */
static int
leaf_decode(const struct leaf *lf, size_t max, char **out, size_t *olen)
{
	char *raw;
	size_t rl;
	int rc;

	if (lf->len > max)
		return EXTRACT_ETOOBIG;
	if ((raw = malloc(lf->len + 1)) == NULL)
		return -ENOMEM;
	if (!strcmp(lf->cte, "base64"))
		rl = b64_decode(lf->body, lf->len, raw);
	else if (!strcmp(lf->cte, "quoted-printable"))
		rl = qp_decode(lf->body, lf->len, raw, 0);
	else {
		memcpy(raw, lf->body, lf->len);
		rl = lf->len;
	}
	rc = ex_to_utf8(
	    lf->charset[0] ? lf->charset : NULL, raw, rl, max, out, olen);
	free(raw);
	return rc;
}

/* Address parts of a From value (already decoded): display name and the
 * domain of the address. */
static void
parse_from(const char *v, char **name, char **domain)
{
	const char *lt, *gt, *at, *end;
	char *tmp, *p;
	size_t n;

	*name = *domain = NULL;
	if (v == NULL)
		return;
	lt = strrchr(v, '<');
	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		n = (size_t)(lt - v);
		if ((tmp = malloc(n + 1)) != NULL) {
			/* Unquote: "Doe, Jane" -> Doe, Jane */
			for (p = tmp, at = v; at < lt; at++)
				if (*at != '"' && *at != '\\')
					*p++ = *at;
			*p = '\0';
			*name = ex_meta_str(tmp, strlen(tmp));
			free(tmp);
		}
		at = memchr(lt, '@', (size_t)(gt - lt));
		end = gt;
	} else {
		const char *op = strchr(v, '(');
		const char *cp = op ? strchr(op, ')') : NULL;
		if (op != NULL && cp != NULL)
			*name = ex_meta_str(op + 1, (size_t)(cp - op - 1));
		end = op ? op : v + strlen(v);
		at = memchr(v, '@', (size_t)(end - v));
		if (*name == NULL && at != NULL)
			*name = ex_meta_str(v, (size_t)(end - v));
	}
	if (at != NULL && at + 1 < end) {
		if ((*domain = ex_meta_str(at + 1, (size_t)(end - at - 1))) !=
		    NULL) {
			for (p = *domain; *p != '\0'; p++) {
				if (*p == ' ' || *p == '>') {
					*p = '\0';
					break;
				}
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			}
			if (**domain == '\0') {
				free(*domain);
				*domain = NULL;
			}
		}
	}
}

static int
eml_parse(const char *data, size_t len, const struct extract_limits *lim,
    struct extract_doc *out)
{
	static const char *url_headers[] = {
	    "Archived-At", "X-Original-URL", "X-URL", "Content-Base", NULL};
	struct walk w;
	struct entity e;
	char *v, *name = NULL, *domain = NULL, *text = NULL;
	size_t tlen = 0;
	int rc, i;

	memset(&w, 0, sizeof(w));
	w.lim = lim;
	split_entity(data, len, &e);
	if ((v = header_get(&e, "Subject")) != NULL) {
		out->title = header_text(v);
		free(v);
	}
	if ((v = header_get(&e, "Date")) != NULL) {
		(void)ex_date(v, &out->published, &out->warning);
		free(v);
	}
	if ((v = header_get(&e, "From")) != NULL) {
		char *d = header_text(v);
		parse_from(d, &name, &domain);
		free(d);
		free(v);
	}
	if ((v = header_get(&e, "Organization")) != NULL) {
		out->source = header_text(v);
		free(v);
	}
	for (i = 0; url_headers[i] != NULL && out->url == NULL; i++)
		if ((v = header_get(&e, url_headers[i])) != NULL) {
			char *u = header_text(v), *p;
			free(v);
			if (u != NULL && u[0] == '<' &&
			    (p = strchr(u, '>')) != NULL) {
				*p = '\0';
				memmove(u, u + 1, strlen(u));
			}
			out->url = u;
		}
	out->author = name;
	name = NULL;
	if (out->source == NULL) {
		out->source = domain;
		domain = NULL;
	}
	free(domain);
	if ((rc = walk(&w, data, len, 0)) < 0)
		return rc;
	rc = EXTRACT_EEMPTY;
	if (w.plain.found) {
		rc = leaf_decode(&w.plain, lim->max_output, &text, &tlen);
		if (rc == 0) {
			rc = ex_tidy(text, tlen, lim->max_output, &out->text,
			    &out->text_len);
			free(text);
		}
		if (rc != EXTRACT_EEMPTY || !w.html.found)
			return rc;
	}
	if (w.html.found) {
		if ((rc = leaf_decode(&w.html, lim->max_output, &text, &tlen)) <
		    0)
			return rc;
		rc = ex_html(text, tlen, "UTF-8", lim, out);
		out->format = EXTRACT_EML;
		free(text);
	}
	return rc;
}

/* A message from an old Mac mailbox ends its lines with a CR alone: read
 * as if they were LF (no LF in its first 8 KiB, a CR there). */
int
ex_eml(const char *data, size_t len, const struct extract_limits *lim,
    struct extract_doc *out)
{
	size_t head = len < 8192 ? len : 8192;
	char *copy;
	int rc;

	if (memchr(data, '\n', head) != NULL ||
	    memchr(data, '\r', head) == NULL)
		return eml_parse(data, len, lim, out);
	if ((copy = malloc(len ? len : 1)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		copy[i] = data[i] == '\r' ? '\n' : data[i];
	rc = eml_parse(copy, len, lim, out);
	free(copy);
	return rc;
}
