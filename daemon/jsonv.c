/* jsonv.c - JSON values as the API and the report write them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonv.h"
#include "text.h"

json_t *
jv_str(const char *s, size_t len)
{
	json_t *j;
	char *fixed;
	size_t flen;

	if (s == NULL)
		return json_null();
	if (text_utf8_valid(s, len))
		return json_stringn(s, len);
	if ((fixed = text_utf8_repair(s, len, &flen)) == NULL)
		return NULL;
	j = json_stringn(fixed, flen);
	free(fixed);
	return j;
}

json_t *
jv_path(const char *s)
{
	return s == NULL ? json_null() : jv_str(s, strlen(s));
}

json_t *
jv_score(double x)
{
	return json_real(round(x * 10000) / 10000);
}

json_t *
jv_time(int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}
