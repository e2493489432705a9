/*
 * fuzz_request.c - what the daemon parses from clients and files of its
 * own: request paths, query strings and the configuration file. (The
 * HTTP framing itself is libevent's evhttp.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether a cleaned path could leave the watched tree. */
static int
escapes(const char *p)
{
	if (p[0] == '/' || p[0] == 0)
		return 1;
	for (const char *c = p; c != NULL; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == 0))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	char *out = malloc(size + 2);
	if (out != NULL) {
		if (text_reqpath_clean(s, size, out) == 0 && escapes(out))
			abort(); /* a clean path never leaves the tree */
		free(out);
	}
	char *v = NULL;
	if (text_query_get(s, "path", &v) == 0)
		free(v);
	text_name_ignored(s);
	text_classify(s, size);

	struct config c;
	char err[256];
	config_init(&c);
	config_parse(&c, s, size, "fuzz", err, sizeof(err));
	config_free(&c);
	free(s);
	return 0;
}
