/* date.c - ISO 8601 / RFC 3339, RFC 2822 and other dates with a month's
 * name to unix seconds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil): no time zone, no libc state. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
mdays(int y, int m)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return n[m - 1];
}

/* Read exactly n digits. */
static int
num(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

/* Read 1..max digits. */
static int
num_var(const char **sp, int max, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < max && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0)
		return -1;
	*sp = s + i;
	*out = v;
	return 0;
}

static int
finish(int y, int mo, int d, int h, int mi, int se, int off_min, int64_t *out)
{
	if (y < 1000 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays(y, mo) || h > 24 || mi > 59 || se > 60 ||
	    (h == 24 && (mi || se)))
		return -EINVAL;
	if (se == 60)
		se = 59; /* leap second */
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + se - (int64_t)off_min * 60;
	return 0;
}

/* "+01:00", "+0100", "+01", "Z"; *off in minutes east. */
static int
zone_numeric(const char **sp, int *off)
{
	const char *s = *sp;
	int sign, hh, mm = 0;

	if (*s == 'Z' || *s == 'z') {
		*off = 0;
		*sp = s + 1;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (num(&s, 2, &hh) < 0)
		return -1;
	if (*s == ':')
		s++;
	if (*s >= '0' && *s <= '9' && num(&s, 2, &mm) < 0)
		return -1;
	if (hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 60 + mm);
	*sp = s;
	return 0;
}

static int
iso8601(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, off = 0;

	if (num(&s, 4, &y) < 0 || *s++ != '-' || num(&s, 2, &mo) < 0 ||
	    *s++ != '-' || num(&s, 2, &d) < 0)
		return -EINVAL;
	if (*s == 'T' || *s == 't' ||
	    (*s == ' ' && s[1] >= '0' && s[1] <= '9')) {
		s++;
		if (num(&s, 2, &h) < 0 || *s++ != ':' || num(&s, 2, &mi) < 0)
			return -EINVAL;
		if (*s == ':') {
			s++;
			if (num(&s, 2, &se) < 0)
				return -EINVAL;
			if (*s == '.' || *s == ',') {
				s++;
				while (*s >= '0' && *s <= '9')
					s++;
			}
		}
		if (*s == ' ')
			s++;
		if (*s != '\0' && zone_numeric(&s, &off) < 0) {
			/* "UTC", "GMT" */
			if (!strncasecmp(s, "UTC", 3) ||
			    !strncasecmp(s, "GMT", 3))
				s += 3;
			else
				return -EINVAL;
		}
	}
	while (*s == ' ')
		s++;
	if (*s != '\0')
		return -EINVAL;
	return finish(y, mo, d, h, mi, se, off, out);
}

static const char *
skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

static size_t
word_len(const char *s)
{
	size_t n = 0;

	while ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z')
		n++;
	return n;
}

/* The month of a word of n letters: its English name, its first three
 * letters, or "Sept"; 0 if it is none. */
static int
month_word(const char *s, size_t n)
{
	static const char *m[] = {"january", "february", "march", "april",
	    "may", "june", "july", "august", "september", "october", "november",
	    "december"};
	int i;

	for (i = 0; i < 12; i++)
		if ((n == 3 || n == strlen(m[i])) && !strncasecmp(s, m[i], n))
			return i + 1;
	if (n == 4 && !strncasecmp(s, "sept", 4))
		return 9;
	return 0;
}

/* A month word and an optional "." after it ("Sept."); 0 if none. */
static int
month_at(const char **sp)
{
	size_t n = word_len(*sp);
	int mo;

	if (n == 0 || (mo = month_word(*sp, n)) == 0)
		return 0;
	*sp += n;
	if (**sp == '.')
		(*sp)++;
	return mo;
}

/* Skip an ordinal's suffix: "4th", "1st", "22nd", "3rd". */
static const char *
skip_ordinal(const char *s)
{
	if (word_len(s) == 2 &&
	    (!strncasecmp(s, "st", 2) || !strncasecmp(s, "nd", 2) ||
	        !strncasecmp(s, "rd", 2) || !strncasecmp(s, "th", 2)))
		return s + 2;
	return s;
}

/* "14:07", "14:07:30", "2:07 pm", "2:07PM". */
static int
clock_time(const char **sp, int *h, int *mi, int *se)
{
	const char *s = *sp, *t;

	if (num_var(&s, 2, h) < 0 || *s++ != ':' || num(&s, 2, mi) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if (num(&s, 2, se) < 0)
			return -1;
	}
	t = skip_sp(s);
	if (word_len(t) == 2 && (t[1] | 0x20) == 'm' &&
	    ((t[0] | 0x20) == 'a' || (t[0] | 0x20) == 'p')) {
		if (*h < 1 || *h > 12)
			return -1;
		*h = *h % 12 + ((t[0] | 0x20) == 'p' ? 12 : 0);
		s = t + 2;
	}
	*sp = s;
	return 0;
}

/* After the time (or the date): a zone, "+0100", "GMT", "EST"..., or
 * none (UTC), then the end or a "(comment)". */
static int
zone_end(const char *s, int *off)
{
	static const struct {
		const char *name;
		int off;
	} zones[] = {{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"EST", -300},
	    {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
	    {"MDT", -360}, {"PST", -480}, {"PDT", -420}, {NULL, 0}};
	int i;

	*off = 0;
	s = skip_sp(s);
	if (*s == '+' || *s == '-') {
		if (zone_numeric(&s, off) < 0)
			return -1;
	} else if (*s != '\0' && *s != '(') {
		for (i = 0; zones[i].name != NULL; i++) {
			size_t n = strlen(zones[i].name);
			if (!strncasecmp(s, zones[i].name, n) &&
			    !((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z')) {
				*off = zones[i].off;
				s += n;
				break;
			}
		}
		if (zones[i].name == NULL) /* military or unknown: UTC */
			s += word_len(s);
	}
	s = skip_sp(s);
	return *s != '\0' && *s != '(' ? -1 : 0;
}

/*
 * A date with the month's name: RFC 2822 ("Tue, 5 Mar 2024 14:07:00
 * +0100", "5-Mar-24", or the date alone: "24 Feb 2009"), the same order
 * written out ("4 July 2010", "4th July 2010"), and the American order
 * ("July 4, 2010", "Jul 4 2010 2:07 PM EST", "Sunday, July 4th, 2010").
 * A weekday, or any first word that is not a month, is skipped. The time
 * is optional: a date alone is 00:00 in its zone, UTC if none is given.
 * Numeric dates other than ISO 8601 ("11/12/2011": November or December?)
 * are refused.
 */
static int
named_month(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, off = 0, mdy = 0;
	const char *p;

	s = skip_sp(s);
	if ((mo = month_at(&s)) == 0 && word_len(s) > 0) {
		s = skip_sp(s + word_len(s)); /* day of week */
		if (*s == ',')
			s = skip_sp(s + 1);
		mo = month_at(&s);
	}
	if (mo != 0) {
		mdy = 1;
		s = skip_sp(s);
	}
	if (num_var(&s, 2, &d) < 0)
		return -EINVAL;
	s = skip_ordinal(s);
	if (mdy) {
		if (*s == ',')
			s++;
	} else {
		s = skip_sp(s);
		if (*s == '-')
			s++;
		if ((mo = month_at(&s)) == 0)
			return -EINVAL;
		if (*s == '-')
			s++;
	}
	s = skip_sp(s);
	p = s;
	if (num_var(&s, 4, &y) < 0)
		return -EINVAL;
	if (mdy && s - p != 4)
		return -EINVAL; /* "July 4, 10" */
	if (s - p == 2)
		y += y < 50 ? 2000 : 1900;
	else if (s - p == 3)
		y += 1900;
	if (*s == ',')
		s++; /* "July 4, 2010, 2:07 PM" */
	s = skip_sp(s);
	if (*s >= '0' && *s <= '9' && clock_time(&s, &h, &mi, &se) < 0)
		return -EINVAL;
	if (zone_end(s, &off) < 0)
		return -EINVAL;
	return finish(y, mo, d, h, mi, se, off, out);
}

int
extract_parse_date(const char *s, int64_t *out)
{
	char buf[96];
	size_t n;

	if (s == NULL || out == NULL)
		return -EINVAL;
	s = skip_sp(s);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	                    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9' && n >= 10 && buf[4] == '-')
		return iso8601(buf, out);
	return named_month(buf, out);
}

#define DATE_QUOTE_MAX 64 /* bytes of a bad date quoted in a warning */

int
ex_date(const char *v, int64_t *published, char **warning)
{
	char *q;
	size_t n;
	int rc;

	if ((rc = extract_parse_date(v, published)) == 0 || v == NULL ||
	    *warning != NULL)
		return rc;
	n = strlen(v);
	/* A cut inside a character becomes U+FFFD. */
	if ((q = ex_meta_str(v, n < DATE_QUOTE_MAX ? n : DATE_QUOTE_MAX)) ==
	    NULL)
		return rc; /* blank, or no memory: nothing worth saying */
	n = strlen(q) + sizeof("unparsable date \"\" ignored");
	if ((*warning = malloc(n)) != NULL)
		snprintf(*warning, n, "unparsable date \"%s\" ignored", q);
	free(q);
	return rc;
}
