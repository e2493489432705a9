/* date.c - ISO 8601 / RFC 3339 and RFC 2822 dates to unix seconds. */
#include <errno.h>
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

static int
month_name(const char *s)
{
	static const char *m[] = {"jan", "feb", "mar", "apr", "may", "jun",
	    "jul", "aug", "sep", "oct", "nov", "dec"};
	int i;

	for (i = 0; i < 12; i++)
		if (!strncasecmp(s, m[i], 3))
			return i + 1;
	return 0;
}

static const char *
skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

static int
rfc2822(const char *s, int64_t *out)
{
	static const struct {
		const char *name;
		int off;
	} zones[] = {{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"EST", -300},
	    {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
	    {"MDT", -360}, {"PST", -480}, {"PDT", -420}, {NULL, 0}};
	int y, mo, d, h, mi, se = 0, off = 0, i;
	const char *p;

	s = skip_sp(s);
	/* Optional day of week. */
	if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') {
		while ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
			s++;
		if (*s == ',')
			s++;
		s = skip_sp(s);
	}
	if (num_var(&s, 2, &d) < 0)
		return -EINVAL;
	s = skip_sp(s);
	if (*s == '-')
		s++;
	if ((mo = month_name(s)) == 0)
		return -EINVAL;
	while ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
		s++;
	if (*s == '-')
		s++;
	s = skip_sp(s);
	p = s;
	if (num_var(&s, 4, &y) < 0)
		return -EINVAL;
	if (s - p == 2)
		y += y < 50 ? 2000 : 1900;
	else if (s - p == 3)
		y += 1900;
	s = skip_sp(s);
	if (num_var(&s, 2, &h) < 0 || *s++ != ':' || num(&s, 2, &mi) < 0)
		return -EINVAL;
	if (*s == ':') {
		s++;
		if (num(&s, 2, &se) < 0)
			return -EINVAL;
	}
	s = skip_sp(s);
	if (*s == '+' || *s == '-') {
		if (zone_numeric(&s, &off) < 0)
			return -EINVAL;
	} else if (*s != '\0' && *s != '(') {
		for (i = 0; zones[i].name != NULL; i++) {
			size_t n = strlen(zones[i].name);
			if (!strncasecmp(s, zones[i].name, n) &&
			    !((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z')) {
				off = zones[i].off;
				s += n;
				break;
			}
		}
		if (zones[i].name == NULL) /* military or unknown: UTC */
			while ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
				s++;
	}
	s = skip_sp(s);
	if (*s != '\0' && *s != '(')
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
	return rfc2822(buf, out);
}
