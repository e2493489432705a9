/* extract.c - format detection, dispatch, text and charset helpers; see
 * extract.h. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"

/* ---- Buffers ----------------------------------------------------------- */

int
xbuf_put(struct xbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *np;

	if (n > b->max || b->len > b->max - n)
		return EXTRACT_ETOOBIG;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
xbuf_putc(struct xbuf *b, char c)
{
	return xbuf_put(b, &c, 1);
}

char *
xbuf_take(struct xbuf *b, size_t *len)
{
	char *p = b->p;

	if (p == NULL && (p = calloc(1, 1)) == NULL)
		return NULL;
	if (len != NULL)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
xbuf_free(struct xbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
ex_limits(const struct extract_limits *in, struct extract_limits *out)
{
	static const struct extract_limits zero;

	if (in == NULL)
		in = &zero;
	out->max_input =
	    in->max_input ? in->max_input : EXTRACT_DEFAULT_MAX_INPUT;
	out->max_output =
	    in->max_output ? in->max_output : EXTRACT_DEFAULT_MAX_OUTPUT;
	out->max_depth =
	    in->max_depth ? in->max_depth : EXTRACT_DEFAULT_MAX_DEPTH;
	out->max_parts =
	    in->max_parts ? in->max_parts : EXTRACT_DEFAULT_MAX_PARTS;
	out->max_mime_depth = in->max_mime_depth
	                          ? in->max_mime_depth
	                          : EXTRACT_DEFAULT_MAX_MIME_DEPTH;
	out->max_items =
	    in->max_items ? in->max_items : EXTRACT_DEFAULT_MAX_ITEMS;
}

void
ex_fill(char **dst, const char *src)
{
	if (*dst == NULL && src != NULL)
		*dst = strdup(src); /* a lost field on ENOMEM is acceptable */
}

/* ---- UTF-8 ------------------------------------------------------------- */

size_t
ex_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return len >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (len < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (len < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/*
 * The end of the ASCII run from i: the first byte at or after i that is
 * NUL or not ASCII, eight bytes a step (news text is mostly such runs, and
 * a byte a step was 4% of a backfill). A word holds a zero byte iff
 * (w - ONES) & ~w has a high bit set.
 */
static size_t
ascii_span(const unsigned char *p, size_t i, size_t len)
{
	uint64_t w;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if (((w | ((w - ONES) & ~w)) & HIGHS) != 0)
			break;
	}
	while (i < len && p[i] != 0 && p[i] < 0x80)
		i++;
	return i;
}

int
ex_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while ((i = ascii_span(p, i, len)) < len) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		if ((k = ex_utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
ex_utf8_multibyte(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while ((i = ascii_span(p, i, len)) < len && p[i] == 0)
		i++;
	return i < len && ex_utf8_valid(s, len);
}

/* Copy with U+FFFD for each invalid byte and NUL bytes dropped. */
static int
utf8_repair(const char *s, size_t len, size_t max, char **out, size_t *olen)
{
	const unsigned char *p = (const unsigned char *)s;
	struct xbuf b = {.max = max};
	size_t i = 0, k, run;
	int rc = 0;

	while (i < len && rc == 0) {
		run = ascii_span(p, i, len);
		while (run < len && p[run] != 0 &&
		       (k = ex_utf8_seq(p + run, len - run)) != 0)
			run = ascii_span(p, run + k, len);
		if (run > i)
			rc = xbuf_put(&b, s + i, run - i);
		if (rc == 0 && run < len && p[run] != 0)
			rc = xbuf_put(&b, "\xef\xbf\xbd", 3);
		i = run + 1;
	}
	if (rc < 0) {
		xbuf_free(&b);
		return rc;
	}
	if ((*out = xbuf_take(&b, olen)) == NULL)
		return -ENOMEM;
	return 0;
}

/* ---- Charsets ---------------------------------------------------------- */

/* Map a MIME/HTML charset label to an iconv name, or NULL for "UTF-8 or
 * guess". -1 in *bad when the label is not a plausible name at all. */
static const char *
charset_name(const char *label, char *buf, size_t bufsz, int *bad)
{
	static const char *latin[] = {"iso-8859-1", "iso8859-1", "latin1",
	    "latin-1", "l1", "iso_8859-1", "cp819", "ibm819", "windows-1252",
	    "cp1252", "x-cp1252", NULL};
	size_t i, n;

	*bad = 0;
	if (label == NULL)
		return NULL;
	while (*label == ' ' || *label == '"' || *label == '\'')
		label++;
	n = strcspn(label, " \"';");
	if (n == 0)
		return NULL;
	if (n >= bufsz) {
		*bad = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		char c = label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		        c == '.' || c == ':')) {
			*bad = 1;
			return NULL;
		}
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	buf[n] = '\0';
	if (!strcmp(buf, "utf-8") || !strcmp(buf, "utf8") ||
	    !strcmp(buf, "us-ascii") || !strcmp(buf, "ascii") ||
	    !strcmp(buf, "unknown-8bit") || !strcmp(buf, "x-unknown"))
		return NULL;
	for (i = 0; latin[i] != NULL; i++)
		if (!strcmp(buf, latin[i]))
			return "WINDOWS-1252";
	return buf;
}

/* Whether a charset_name() is of one byte a character: the Latin, Windows,
 * KOI8 and Mac families, not Shift_JIS, GB18030 or UTF-16. */
static int
single_byte(const char *name)
{
	static const char *const fam[] = {"WINDOWS-1252", "iso-8859", "iso8859",
	    "iso_8859", "latin", "windows-125", "cp125", "x-cp125", "koi8",
	    "mac", "x-mac", "cp437", "cp850", "cp866", "ibm", NULL};

	for (size_t i = 0; fam[i] != NULL; i++)
		if (!strncmp(name, fam[i], strlen(fam[i])))
			return 1;
	return 0;
}

/* iconv everything; undecodable bytes become U+FFFD. */
static int
iconv_all(const char *from, const char *in, size_t len, size_t max, char **out,
    size_t *outlen)
{
	iconv_t cd;
	struct xbuf b = {.max = max};
	char tmp[4096], *ip = (char *)(uintptr_t)in, *op;
	size_t il = len, ol, r;
	int rc = 0, flush = 0;

	if ((cd = iconv_open("UTF-8", from)) == (iconv_t)-1)
		return errno == EINVAL ? EXTRACT_ECHARSET : -errno;
	while (rc == 0) {
		op = tmp;
		ol = sizeof(tmp);
		if (il > 0)
			r = iconv(cd, &ip, &il, &op, &ol);
		else {
			r = iconv(cd, NULL, NULL, &op, &ol);
			flush = 1;
		}
		if (op > tmp)
			rc = xbuf_put(&b, tmp, (size_t)(op - tmp));
		if (rc < 0 || flush)
			break;
		if (r == (size_t)-1 && errno == E2BIG)
			continue;
		if (r == (size_t)-1 && (errno == EILSEQ || errno == EINVAL)) {
			/* One bad byte: say so and resynchronise. */
			rc = xbuf_put(&b, "\xef\xbf\xbd", 3);
			ip++;
			il--;
			iconv(cd, NULL, NULL, NULL, NULL);
			continue;
		}
		if (r == (size_t)-1) {
			rc = -errno;
			break;
		}
	}
	iconv_close(cd);
	if (rc < 0) {
		xbuf_free(&b);
		return rc;
	}
	/* iconv writes valid UTF-8, but UTF-16 input may hold U+0000. */
	if (memchr(b.p ? b.p : "", '\0', b.len) != NULL) {
		char *o;
		size_t ol2;
		rc = utf8_repair(b.p, b.len, max, &o, &ol2);
		xbuf_free(&b);
		if (rc < 0)
			return rc;
		*out = o;
		*outlen = ol2;
		return 0;
	}
	if ((*out = xbuf_take(&b, outlen)) == NULL)
		return -ENOMEM;
	return 0;
}

int
ex_to_utf8(const char *charset, const char *in, size_t len, size_t max,
    char **out, size_t *outlen)
{
	char buf[48] = "";
	const char *name;
	int bad, utf8;

	name = charset_name(charset, buf, sizeof(buf), &bad);
	if (bad)
		return EXTRACT_ECHARSET;
	/* UTF-8 under a single-byte label (a mailer's default, an old
	 * template's) is UTF-8, as for a page (ex_html): text in one byte
	 * a character practically never reads as multi-byte UTF-8 (its
	 * letters above 0x7f come one at a time, or run on). */
	utf8 = name != NULL && single_byte(name) && ex_utf8_multibyte(in, len);
	if (name == NULL || utf8) {
		if (len >= 3 && !memcmp(in, "\xef\xbb\xbf", 3)) {
			in += 3;
			len -= 3;
		}
		/* Declared UTF-8 stays UTF-8, stray bytes and all. */
		if (utf8 || ex_utf8_valid(in, len) || !strcmp(buf, "utf-8") ||
		    !strcmp(buf, "utf8"))
			return utf8_repair(in, len, max, out, outlen);
		name = "WINDOWS-1252";
	}
	return iconv_all(name, in, len, max, out, outlen);
}

/* ---- Text -------------------------------------------------------------- */

int
ex_is_binary(const unsigned char *s, size_t len)
{
	size_t i, ctl = 0;

	if (memchr(s, 0, len) != NULL)
		return 1;
	for (i = 0; i < len;) {
		uint64_t w;
		/* Eight bytes at once when none is below 0x20 (the test is
		 * the zero-byte one of ascii_span, shifted). */
		if (i + 8 <= len) {
			memcpy(&w, s + i, 8);
			if (((w - 0x20 * ONES) & ~w & HIGHS) == 0) {
				i += 8;
				continue;
			}
		}
		for (size_t end = i + 8 < len ? i + 8 : len; i < end; i++)
			if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r' && s[i] != '\f' && s[i] != '\v' &&
			    s[i] != 0x1b)
				ctl++;
	}
	return ctl > len / 10 + 1;
}

int
ex_tidy(const char *in, size_t len, size_t max, char **out, size_t *outlen)
{
	struct xbuf b = {.max = max};
	char *u = NULL;
	size_t ulen, i;
	int rc, nl = 0, sp = 0;
	unsigned char c;

	*out = NULL;
	if ((rc = utf8_repair(in, len, (size_t)-1 / 2, &u, &ulen)) < 0)
		return rc;
	for (i = 0; i < ulen && rc == 0; i++) {
		c = (unsigned char)u[i];
		if (c == '\r') {
			if (i + 1 < ulen && u[i + 1] == '\n')
				continue;
			c = '\n';
		}
		if (c == 0xc2 && i + 1 < ulen &&
		    (unsigned char)u[i + 1] == 0xa0) {
			i++; /* no-break space */
			c = ' ';
		}
		if (c == '\n') {
			nl++;
			sp = 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == ' ') {
			sp = 1;
			continue;
		}
		if (b.len > 0) {
			if (nl >= 2)
				rc = xbuf_put(&b, "\n\n", 2);
			else if (nl == 1)
				rc = xbuf_putc(&b, '\n');
			else if (sp)
				rc = xbuf_putc(&b, ' ');
		}
		nl = sp = 0;
		if (rc == 0)
			rc = xbuf_putc(&b, (char)c);
	}
	free(u);
	if (rc < 0) {
		xbuf_free(&b);
		return rc;
	}
	if (b.len == 0) {
		xbuf_free(&b);
		return EXTRACT_EEMPTY;
	}
	if ((*out = xbuf_take(&b, outlen)) == NULL)
		return -ENOMEM;
	return 0;
}

char *
ex_meta_str(const char *s, size_t len)
{
	char *o = NULL, *p;
	size_t olen;

	if (s == NULL || ex_tidy(s, len, 64 * 1024, &o, &olen) < 0)
		return NULL;
	for (p = o; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	return o;
}

int
ex_body(const char *body, size_t len, const struct extract_limits *lim,
    struct extract_doc *d)
{
	enum extract_format f = d->format;
	int rc;

	if (len > lim->max_output)
		return EXTRACT_ETOOBIG;
	if (!ex_looks_html(body, len))
		return ex_tidy(
		    body, len, lim->max_output, &d->text, &d->text_len);
	rc = ex_html(body, len, "UTF-8", lim, d);
	d->format = f;
	return rc;
}

/*
 * Latin-1/Windows-1252 or something else? In Western text the bytes above
 * 0x7f are accented letters and punctuation among ASCII letters: short runs,
 * a small share of the text. Legacy CJK and Cyrillic encodings give long
 * runs of high bytes, and bytes Windows-1252 leaves undefined.
 */
static int
plausibly_cp1252(const unsigned char *s, size_t len)
{
	size_t i, high = 0, letters = 0, longrun = 0, run = 0;

	for (i = 0; i < len; i++) {
		unsigned c = s[i];
		if (c == 0x81 || c == 0x8d || c == 0x8f || c == 0x90 ||
		    c == 0x9d)
			return 0;
		if (c >= 0x80) {
			high++;
			if (++run == 3)
				longrun += 3;
			else if (run > 3)
				longrun++;
		} else {
			run = 0;
			if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
				letters++;
		}
	}
	return high * 3 <= letters && longrun * 5 <= high;
}

/*
 * The headline of a plain-text article: its first line, when a blank line
 * follows it and it reads as a headline, not a sentence (a wire story,
 * an archive's text file: "U.K. GDP RISES 2.6 PCT" over the story). A
 * first line that runs on into the paragraph, or ends as a sentence
 * does, is no title: NULL then, as for an unknown one. Lines end at LF,
 * CR LF or a lone CR (an old Mac file).
 */
#define HEADLINE_MAX 200 /* bytes */

/* The end of the line from i: its LF or CR, or len. */
static size_t
line_end(const char *t, size_t i, size_t len)
{
	while (i < len && t[i] != '\n' && t[i] != '\r')
		i++;
	return i;
}

/* The start of the line after the one ending at i (see line_end). */
static size_t
line_next(const char *t, size_t i, size_t len)
{
	if (i < len && t[i] == '\r' && i + 1 < len && t[i + 1] == '\n')
		return i + 2;
	return i < len ? i + 1 : len;
}

static char *
text_headline(const char *t, size_t len)
{
	size_t i = 0, start, end, next;
	int letter = 0;

	while (i < len &&
	       (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	start = i;
	end = line_end(t, start, len);
	for (i = start; i < end; i++) {
		unsigned char c = (unsigned char)t[i];
		letter |= ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0xc0;
	}
	while (end > start && (t[end - 1] == ' ' || t[end - 1] == '\t'))
		end--;
	if (!letter || end == start || end - start > HEADLINE_MAX ||
	    memchr(".,;:", t[end - 1], 4) != NULL)
		return NULL;
	/* The next line is blank, and text follows. */
	next = line_next(t, line_end(t, start, len), len);
	for (; next < len && t[next] != '\n' && t[next] != '\r'; next++)
		if (t[next] != ' ' && t[next] != '\t')
			return NULL;
	for (; next < len; next++)
		if (t[next] != ' ' && t[next] != '\t' && t[next] != '\r' &&
		    t[next] != '\n')
			return ex_meta_str(t + start, end - start);
	return NULL;
}

int
ex_text(const char *data, size_t len, const struct extract_limits *lim,
    struct extract_doc *out)
{
	const unsigned char *p = (const unsigned char *)data;
	const char *from = NULL;
	size_t i = 0, k, bad = 0, multi = 0, skip = 0;
	char *t = NULL;
	size_t tlen = 0;
	int rc;

	if (len >= 4 && !memcmp(p, "\xff\xfe\0\0", 4))
		from = "UTF-32LE", skip = 4;
	else if (len >= 4 && !memcmp(p, "\0\0\xfe\xff", 4))
		from = "UTF-32BE", skip = 4;
	else if (len >= 2 && !memcmp(p, "\xff\xfe", 2))
		from = "UTF-16LE", skip = 2;
	else if (len >= 2 && !memcmp(p, "\xfe\xff", 2))
		from = "UTF-16BE", skip = 2;
	else if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		skip = 3;
	if (from != NULL) {
		rc = iconv_all(
		    from, data + skip, len - skip, lim->max_output, &t, &tlen);
		if (rc < 0)
			return rc;
		if (ex_is_binary((unsigned char *)t, tlen)) {
			free(t);
			return EXTRACT_EBINARY;
		}
	} else {
		p += skip;
		len -= skip;
		while ((i = ascii_span(p, i, len)) < len) {
			if (p[i] == 0) {
				i++;
			} else if ((k = ex_utf8_seq(p + i, len - i)) != 0) {
				multi++;
				i += k;
			} else {
				bad++;
				i++;
			}
		}
		/* A stray Latin-1 byte in a UTF-8 file is the file's
		 * mistake, not its encoding. */
		if (bad == 0 || multi > bad)
			rc = utf8_repair(
			    (const char *)p, len, lim->max_output, &t, &tlen);
		else if (plausibly_cp1252(p, len))
			rc = iconv_all("WINDOWS-1252", (const char *)p, len,
			    lim->max_output, &t, &tlen);
		else
			rc = EXTRACT_ECHARSET;
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < tlen; i++)
		if (t[i] != ' ' && t[i] != '\n' && t[i] != '\r' &&
		    t[i] != '\t' && t[i] != '\f' && t[i] != '\v')
			break;
	if (i == tlen) {
		free(t);
		return EXTRACT_EEMPTY;
	}
	out->text = t;
	out->text_len = tlen;
	out->title = text_headline(t, tlen);
	return 0;
}

/* ---- Detection and dispatch -------------------------------------------- */

static int
ext_is(const char *ext, const char *const *list)
{
	for (; *list != NULL; list++)
		if (!strcasecmp(ext, *list))
			return 1;
	return 0;
}

static int
sniff_headers(const char *s, size_t len)
{
	static const char *known[] = {"from", "to", "subject", "date",
	    "mime-version", "message-id", "received", "return-path",
	    "content-type", NULL};
	size_t i = 0, n, j, nk = 0, lines = 0;

	if (len > 8192)
		len = 8192;
	if (len >= 5 && !memcmp(s, "From ", 5)) /* mbox separator */
		i = strcspn(s, "\n") + 1;
	while (i < len && lines++ < 64) {
		if (s[i] == '\n' ||
		    (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
			break;
		if (s[i] == ' ' || s[i] == '\t') {
			if (lines == 1)
				return 0;
		} else {
			for (n = i; n < len && s[n] > ' ' && s[n] < 0x7f &&
			            s[n] != ':';
			     n++)
				;
			if (n == i || n >= len || s[n] != ':')
				return 0;
			for (j = 0; known[j] != NULL; j++)
				if (strlen(known[j]) == n - i &&
				    !strncasecmp(s + i, known[j], n - i))
					nk++;
		}
		while (i < len && s[i] != '\n')
			i++;
		i++;
	}
	return nk >= 2;
}

/*
 * XML from its start at s[i]: the root element's name after the XML
 * declaration, processing instructions, comments and a doctype (with its
 * internal subset), looked for in the first 64 KiB. HTML for an XHTML
 * page, XML for anything else, TEXT when no element starts there.
 */
static enum extract_format
sniff_xml(const char *s, size_t i, size_t len)
{
	const char *end;
	size_t n;

	if (len > 65536)
		len = 65536;
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
			continue;
		}
		if (s[i] != '<' || i + 1 >= len)
			break;
		if (s[i + 1] == '?')
			end = "?>";
		else if (len - i >= 4 && !memcmp(s + i, "<!--", 4))
			end = "-->";
		else if (s[i + 1] == '!') {
			/* <!DOCTYPE ... [ ... ]> */
			while (i < len && s[i] != '[' && s[i] != '>')
				i++;
			if (i < len && s[i] == '[')
				while (i < len && s[i] != ']')
					i++;
			end = ">";
		} else {
			for (n = i + 1; n < len && s[n] != '>' && s[n] != '/' &&
			                s[n] != ' ' && s[n] != '\t' &&
			                s[n] != '\r' && s[n] != '\n';
			     n++)
				;
			if (n - i - 1 == 4 &&
			    !strncasecmp(s + i + 1, "html", 4))
				return EXTRACT_HTML;
			return EXTRACT_XML;
		}
		for (n = strlen(end); i + n <= len && memcmp(s + i, end, n);)
			i++;
		i += n;
	}
	return EXTRACT_TEXT;
}

enum extract_format
extract_detect(const char *name, const void *data, size_t len)
{
	static const char *const txt[] = {"txt", "text", NULL};
	static const char *const html[] = {
	    "html", "htm", "xhtml", "shtml", NULL};
	static const char *const json[] = {"json", "jsonl", "ndjson", NULL};
	static const char *const eml[] = {"eml", NULL};
	static const char *const xml[] = {"xml", "rss", "atom", NULL};
	static const char *const roots[] = {
	    "<?xml", "<rss", "<feed", "<rdf:RDF", NULL};
	const char *s = data, *ext, *slash;
	size_t i = 0;

	if (name != NULL) {
		slash = strrchr(name, '/');
		ext = strrchr(slash ? slash : name, '.');
		if (ext != NULL && ext[1] != '\0') {
			ext++;
			if (ext_is(ext, txt))
				return EXTRACT_TEXT;
			if (ext_is(ext, html))
				return EXTRACT_HTML;
			if (ext_is(ext, json))
				return EXTRACT_JSON;
			if (ext_is(ext, eml))
				return EXTRACT_EML;
			if (ext_is(ext, xml))
				return EXTRACT_XML;
		}
	}
	if (s == NULL)
		return EXTRACT_TEXT;
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (i < len && s[i] == '<') {
		static const char *tags[] = {
		    "<!doctype html", "<html", "<head", "<body", "<!--", NULL};
		int t;
		for (t = 0; tags[t] != NULL; t++) {
			size_t n = strlen(tags[t]);
			if (len - i >= n && !strncasecmp(s + i, tags[t], n))
				return EXTRACT_HTML;
		}
		for (t = 0; roots[t] != NULL; t++) {
			size_t n = strlen(roots[t]);
			if (len - i >= n && !memcmp(s + i, roots[t], n))
				return sniff_xml(s, i, len);
		}
	}
	if (i < len && s[i] == '{')
		return EXTRACT_JSON;
	if (i < len && s[i] == '[') {
		size_t j = i + 1;
		while (j < len && (s[j] == ' ' || s[j] == '\t' ||
		                      s[j] == '\r' || s[j] == '\n'))
			j++;
		if (j < len && s[j] == '{')
			return EXTRACT_JSON;
	}
	if (sniff_headers(s, len))
		return EXTRACT_EML;
	return EXTRACT_TEXT;
}

static int
has_bom16(const unsigned char *s, size_t len)
{
	return len >= 2 && ((s[0] == 0xff && s[1] == 0xfe) ||
	                       (s[0] == 0xfe && s[1] == 0xff) ||
	                       (len >= 4 && !memcmp(s, "\0\0\xfe\xff", 4)));
}

static int
name_is_lines(const char *name)
{
	const char *ext;

	if (name == NULL || (ext = strrchr(name, '.')) == NULL)
		return 0;
	return !strcasecmp(ext, ".jsonl") || !strcasecmp(ext, ".ndjson");
}

/* Whole-file checks and the single-document formats. */
static int
one_doc(enum extract_format f, const char *data, size_t len,
    const struct extract_limits *lim, struct extract_doc *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->format = f;
	switch (f) {
	case EXTRACT_HTML:
		rc = ex_html(data, len, NULL, lim, out);
		break;
	case EXTRACT_EML:
		rc = ex_eml(data, len, lim, out);
		break;
	default:
		rc = ex_text(data, len, lim, out);
		break;
	}
	if (rc < 0) {
		extract_doc_free(out);
		out->format = f;
	}
	return rc;
}

static int
precheck(const void *data, size_t len, const struct extract_limits *lim)
{
	if (data == NULL && len > 0)
		return -EINVAL;
	if (len > lim->max_input)
		return EXTRACT_ETOOBIG;
	if (len > 0 && !has_bom16(data, len) && ex_is_binary(data, len))
		return EXTRACT_EBINARY;
	return 0;
}

/* The items of a JSON or feed file. */
static int
items_each(enum extract_format f, const char *name, const char *data,
    size_t len, const struct extract_limits *lim, extract_item_fn fn, void *arg)
{
	if (f == EXTRACT_XML)
		return ex_feed_each(data, len, lim, fn, arg);
	return ex_json_each(data, len, name_is_lines(name), lim, fn, arg);
}

int
extract_each(const char *name, const void *data, size_t len,
    const struct extract_limits *limp, extract_item_fn fn, void *arg)
{
	struct extract_limits lim;
	struct extract_doc doc;
	enum extract_format f;
	int rc;

	if (fn == NULL)
		return -EINVAL;
	ex_limits(limp, &lim);
	if ((rc = precheck(data, len, &lim)) < 0)
		return rc;
	if (len == 0)
		data = "";
	f = extract_detect(name, data, len);
	if (extract_format_items(f))
		return items_each(f, name, data, len, &lim, fn, arg);
	if ((rc = one_doc(f, data, len, &lim, &doc)) < 0)
		return rc;
	rc = fn(&doc, 0, 0, arg);
	extract_doc_free(&doc);
	return rc;
}

struct first {
	struct extract_doc *out;
	int err, got;
};

static int
take_first(struct extract_doc *doc, size_t index, int err, void *arg)
{
	struct first *fi = arg;

	(void)index;
	fi->got = 1;
	fi->err = err;
	*fi->out = *doc;
	memset(doc, 0, sizeof(*doc));
	return 1;
}

int
extract_doc(const char *name, const void *data, size_t len,
    const struct extract_limits *limp, struct extract_doc *out)
{
	struct extract_limits lim;
	struct first fi = {.out = out};
	enum extract_format f;
	int rc;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ex_limits(limp, &lim);
	if ((rc = precheck(data, len, &lim)) < 0)
		return rc;
	if (len == 0)
		data = "";
	f = out->format = extract_detect(name, data, len);
	if (!extract_format_items(f))
		return one_doc(f, data, len, &lim, out);
	rc = items_each(f, name, data, len, &lim, take_first, &fi);
	if (fi.got && fi.err < 0)
		rc = fi.err;
	else if (fi.got)
		rc = 0;
	else if (rc == 0)
		rc = EXTRACT_EEMPTY;
	if (rc < 0) {
		extract_doc_free(out);
		out->format = f;
	}
	return rc;
}

void
extract_doc_free(struct extract_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->text);
	free(doc->title);
	free(doc->url);
	free(doc->source);
	free(doc->author);
	free(doc->warning);
	memset(doc, 0, sizeof(*doc));
}

const char *
extract_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case EXTRACT_EMALFORMED:
		return "malformed input";
	case EXTRACT_EDEPTH:
		return "nested too deeply";
	case EXTRACT_ETOOBIG:
		return "too large (input or decoded text over the limit)";
	case EXTRACT_EPARTS:
		return "MIME message with too many or too deeply nested parts";
	case EXTRACT_EBINARY:
		return "binary (not text)";
	case EXTRACT_ECHARSET:
		return "unknown or unsupported character set";
	case EXTRACT_EEMPTY:
		return "no article text found";
	case EXTRACT_EITEMS:
		return "too many items in one file";
	case EXTRACT_ENOTFEED:
		return "unsupported format: XML but not an RSS or Atom feed";
	}
	return err < 0 ? strerror(-err) : "unknown error";
}

const char *
extract_format_name(enum extract_format f)
{
	switch (f) {
	case EXTRACT_HTML:
		return "html";
	case EXTRACT_JSON:
		return "json";
	case EXTRACT_EML:
		return "eml";
	case EXTRACT_XML:
		return "xml";
	default:
		return "text";
	}
}

int
extract_format_items(enum extract_format f)
{
	return f == EXTRACT_JSON || f == EXTRACT_XML;
}
