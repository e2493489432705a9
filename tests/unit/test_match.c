/*
 * test_match.c - relations between invented articles and their reprints.
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "match_int.h" /* KEY_SAMPLED, KEY_FULL_BELOW */

/* Invented stories, written for these tests. */
static const char *HARBOUR =
    "HARBOUR WORKERS END THREE-DAY STRIKE AT PORT OF KALVIK\n\n"
    "KALVIK, May 4 - Dock workers at the port of Kalvik returned to work "
    "on Thursday after a three-day strike that left 41 container ships "
    "waiting at anchor outside the harbour, the port authority said.\n\n"
    "The union representing about 2,300 crane operators and stevedores "
    "accepted a wage increase of 6.5 pct over two years, down from the 9 "
    "pct it had demanded when the walkout began on Monday morning.\n\n"
    "Port director Ilse Marrow said the backlog would take at least a week "
    "to clear and that shipping lines had been asked to stagger their "
    "arrivals. Two grain carriers were given priority berths because their "
    "cargo was perishable.\n\n"
    "Exporters of timber and frozen fish, the region's largest shipments, "
    "said the stoppage had cost them about 18 mln crowns in delayed "
    "deliveries. The chamber of commerce called for a law that would "
    "require a cooling-off period before strikes at critical "
    "infrastructure.\n\n"
    "The union's leader, Tomas Brekk, rejected the proposal and said the "
    "settlement showed that negotiation worked when employers took workers "
    "seriously. He said members would vote on the final text of the "
    "agreement on May 12.\n";

static const char *ORCHARD =
    "LATE FROST DAMAGES APPLE ORCHARDS IN NORTHERN VALLEYS\n\n"
    "VESTMARK, April 28 - A late frost that swept through the northern "
    "valleys over the weekend destroyed up to a third of the apple "
    "blossoms in the region's orchards, growers said on Tuesday.\n\n"
    "Temperatures fell to minus four degrees on Saturday night, just as "
    "most early varieties were in full bloom. Growers who ran sprinklers "
    "through the night to coat the flowers in protective ice reported far "
    "smaller losses than those who relied on wind machines.\n\n"
    "The growers' association estimated the damage at 27 mln crowns and "
    "asked the agriculture ministry for emergency credit lines. A ministry "
    "spokeswoman said officials would visit the valleys next week before "
    "deciding on any support.\n\n"
    "Cider makers, who buy most of the region's lower grade fruit, warned "
    "that prices could rise in the autumn if the harvest fell short of last "
    "year's record 140,000 tonnes. One large cooperative said it had "
    "already begun talks with suppliers further south.\n";

/* Same topic as HARBOUR, different story. */
static const char *HARBOUR_OTHER =
    "PORT OF KALVIK PLANS NEW CONTAINER TERMINAL\n\n"
    "KALVIK, June 9 - The port authority of Kalvik unveiled plans on "
    "Friday for a container terminal on reclaimed land north of the "
    "existing harbour, saying traffic had outgrown the old quays.\n\n"
    "The project, estimated at 900 mln crowns, would add four berths and "
    "six cranes able to handle the largest ships now calling in the region. "
    "Construction could start next spring if the environment agency "
    "approves the dredging plan.\n\n"
    "Fishing groups said the dredging would disturb spawning grounds in the "
    "bay and promised to object. The union of dock workers welcomed the "
    "plan, saying it would create several hundred jobs.\n";

/* Template: the same weekly report, different figures. */
static const char *RESERVES_A =
    "KALVIK CENTRAL BANK RESERVES ROSE IN WEEK\n\n"
    "KALVIK, March 6 - The central bank's gold and foreign exchange "
    "reserves rose to 41.27 billion crowns in the week ended March 3 from "
    "40.85 billion crowns the week before, the bank said in its weekly "
    "statement.\n\n"
    "Foreign currency holdings rose to 36.10 billion crowns from 35.66 "
    "billion, while gold holdings were unchanged at 5.17 billion crowns. "
    "Claims on domestic banks fell to 12.48 billion crowns from 13.02 "
    "billion crowns, and notes in circulation rose to 22.91 billion crowns "
    "from 22.70 billion crowns.\n";
static const char *RESERVES_B =
    "KALVIK CENTRAL BANK RESERVES ROSE IN WEEK\n\n"
    "KALVIK, March 13 - The central bank's gold and foreign exchange "
    "reserves rose to 41.93 billion crowns in the week ended March 10 from "
    "41.27 billion crowns the week before, the bank said in its weekly "
    "statement.\n\n"
    "Foreign currency holdings rose to 36.74 billion crowns from 36.10 "
    "billion, while gold holdings were unchanged at 5.19 billion crowns. "
    "Claims on domestic banks fell to 11.95 billion crowns from 12.48 "
    "billion crowns, and notes in circulation rose to 23.06 billion crowns "
    "from 22.91 billion crowns.\n";

static const char *HEADER =
    "The Coastal Courier | Home | News | Business | Sport | Subscribe\n"
    "Advertisement\n\n";
static const char *FOOTER =
    "\n\nShare this article: Facebook Twitter Email\n"
    "For more stories like this, sign up for the Coastal Courier morning "
    "newsletter. Copyright The Coastal Courier. All rights reserved. "
    "Contact the newsroom at desk at coastal courier dot example.\n";

static char *
cat(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* The first `share` of s, cut at a paragraph break. */
static char *
lede(const char *s, double share)
{
	size_t n = strlen(s), cut = (size_t)(n * share);
	const char *p = strstr(s + cut, "\n\n");
	size_t len = p ? (size_t)(p - s) : n;
	char *out = strndup(s, len);
	assert_non_null(out);
	return out;
}

/* Character noise at `rate`, seeded: OCR-like confusions and drops. */
static char *
noisy(const char *s, double rate, unsigned seed)
{
	static const char conf[][2] = {{'e', 'c'}, {'o', '0'}, {'l', '1'},
	    {'n', 'u'}, {'a', 'o'}, {'i', 'l'}, {'s', '5'}, {'m', 'n'}};
	size_t n = strlen(s), j = 0;
	char *out = malloc(n + 1);
	assert_non_null(out);
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((double)rand() / RAND_MAX < rate) {
			int k = rand() % 10;
			if (k == 9)
				continue; /* dropped */
			for (size_t m = 0; m < sizeof(conf) / 2; m++)
				if (conf[m][0] == c) {
					c = conf[m][1];
					break;
				}
			if (k == 8 && c == ' ')
				continue; /* merged words */
		}
		out[j++] = c;
	}
	out[j] = 0;
	return out;
}

static struct match_result
compare(const char *a, const char *b, const uint64_t *common, size_t ncommon)
{
	struct match_doc *da, *db;
	struct match_params p;
	struct match_result r;
	match_params_default(&p);
	assert_int_equal(match_doc_build(a, strlen(a), &da), 0);
	assert_int_equal(match_doc_build(b, strlen(b), &db), 0);
	assert_int_equal(match_verify(da, db, common, ncommon, &p, &r), 0);
	match_doc_free(da);
	match_doc_free(db);
	return r;
}

static void
test_relation_names(void **state)
{
	(void)state;
	for (int r = MATCH_NONE; r <= MATCH_PARTIAL; r++)
		assert_int_equal(
		    match_relation_parse(match_relation_name(r)), r);
	assert_string_equal(
	    match_relation_name(MATCH_NEAR_DUPLICATE), "near_duplicate");
	assert_int_equal(match_relation_parse("reprint"), -1);
}

static void
test_exact_ignores_layout(void **state)
{
	(void)state;
	char *copy = strdup(HARBOUR);
	for (char *p = copy; *p; p++)
		if (*p == '\n')
			*p = ' ';
	struct match_result r = compare(HARBOUR, copy, NULL, 0);
	assert_int_equal(r.relation, MATCH_EXACT);
	free(copy);
}

static void
test_wrapped_is_near_duplicate(void **state)
{
	(void)state;
	char *wrapped = cat(HEADER, HARBOUR, FOOTER);
	struct match_result r = compare(wrapped, HARBOUR, NULL, 0);
	assert_int_equal(r.relation, MATCH_NEAR_DUPLICATE);
	assert_true(r.cont_ba > 0.99); /* all of the original is in it */
	free(wrapped);
}

/* s with every `from` replaced by `to`. */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, from)) != NULL; p += nf)
		n++;
	out = malloc(strlen(s) + n * (nt > nf ? nt - nf : 0) + 1);
	assert_non_null(out);
	for (o = out, p = s; *p;) {
		if (strncmp(p, from, nf) == 0) {
			memcpy(o, to, nt);
			o += nt;
			p += nf;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
	return out;
}

/* s with its second paragraph moved to the end. */
static char *
second_paragraph_last(const char *s)
{
	const char *p1 = strstr(s, "\n\n") + 2, *p2 = strstr(p1, "\n\n") + 2;
	size_t n = strlen(s);
	char *out = malloc(n + 3);
	assert_non_null(out);
	snprintf(out, n + 3, "%.*s%s\n%.*s", (int)(p1 - s), s, p2,
	    (int)(p2 - p1 - 2), p1);
	return out;
}

static void
test_near_duplicate_how(void **state)
{
	(void)state;
	char *wrapped = cat(HEADER, HARBOUR, FOOTER);
	char *headless = cat(HEADER, strchr(HARBOUR, '\n') + 2, FOOTER);
	char *marked = replace_all(
	    wrapped, "seriously. ", "seriously.\n\nAdvertisement\n\n");
	char *moved = second_paragraph_last(HARBOUR);
	char *edited = replace_all(HARBOUR, " said", " stated");
	char *edited2 = replace_all(edited, "workers", "employees");
	char *ocr = noisy(HARBOUR, 0.03, 7);
	/* Three letters swapped in three words; one figure changed (the
	 * grams read figures alike: their coverage is whole). */
	char *typo1 = replace_all(HARBOUR, "backlog", "bakclog");
	char *typo2 = replace_all(typo1, "perishable", "perihsable");
	char *typos = replace_all(typo2, "negotiation", "negotaition");
	char *figure = replace_all(HARBOUR, "41 container", "14 container");
	/* A new headline with words the story has: its covered islands are
	 * still the edge. A word changed at the very start, or the end. */
	char *newhead = replace_all(HARBOUR,
	    "HARBOUR WORKERS END THREE-DAY STRIKE AT PORT OF KALVIK",
	    "Kalvik dockers back at work as strike at the port ends");
	char *firstword = replace_all(HARBOUR, "HARBOUR WORKERS", "DOCKERS");
	char *lastword = replace_all(HARBOUR, "May 12.", "June 2.");
	struct {
		const char *copy;
		enum match_how how;
		const char *name;
	} c[] = {
	    {wrapped, MATCH_HOW_BOILERPLATE, "boilerplate"},
	    /* the copy lost the headline: nothing whole but inside */
	    {headless, MATCH_HOW_BOILERPLATE, "boilerplate"},
	    {marked, MATCH_HOW_BOILERPLATE, "boilerplate"},
	    {moved, MATCH_HOW_REORDER, "reorder"},
	    {edited2, MATCH_HOW_REWRITE, "rewrite"},
	    {ocr, MATCH_HOW_REWRITE, "rewrite"},
	    {typos, MATCH_HOW_REWRITE, "rewrite"},
	    {figure, MATCH_HOW_REWRITE, "rewrite"},
	    {newhead, MATCH_HOW_BOILERPLATE, "boilerplate"},
	    {firstword, MATCH_HOW_REWRITE, "rewrite"},
	    {lastword, MATCH_HOW_REWRITE, "rewrite"},
	};

	/* moved: the second paragraph (the strike's end) last */
	assert_true(strstr(moved, "Dock workers") > strstr(moved, "May 12"));
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		for (int turn = 0; turn < 2; turn++) {
			struct match_result r =
			    turn ? compare(c[i].copy, HARBOUR, NULL, 0)
			         : compare(HARBOUR, c[i].copy, NULL, 0);
			assert_int_equal(r.relation, MATCH_NEAR_DUPLICATE);
			if (r.how != c[i].how)
				fail_msg("case %zu turn %d: how %d, in order "
				         "%.3f, coverage %.3f %.3f",
				    i, turn, (int)r.how, r.in_order, r.cont_ab,
				    r.cont_ba);
			assert_string_equal(match_how_name(r.relation, r.how,
			                        r.cont_ab, r.cont_ba),
			    c[i].name);
		}
	}
	/* In order but for the moved paragraph: about four fifths. */
	struct match_result r = compare(HARBOUR, moved, NULL, 0);
	assert_true(r.in_order < 0.95 && r.in_order > 0.5);
	r = compare(HARBOUR, wrapped, NULL, 0);
	assert_true(r.in_order == 1);

	/* The word for each relation; an unknown how (a pair stored before
	 * it was recorded) from the coverages alone. */
	assert_string_equal(match_how_name(MATCH_EXACT, 0, 1, 1), "exact");
	assert_string_equal(
	    match_how_name(MATCH_EXCERPT, 0, 1, 0.3), "excerpt");
	assert_string_equal(
	    match_how_name(MATCH_PARTIAL, 0, 0.4, 0.3), "partial");
	assert_string_equal(match_how_name(MATCH_NONE, 0, 0, 0), "none");
	assert_string_equal(
	    match_how_name(MATCH_NEAR_DUPLICATE, MATCH_HOW_UNKNOWN, 0.8, 1),
	    "boilerplate");
	assert_string_equal(
	    match_how_name(MATCH_NEAR_DUPLICATE, MATCH_HOW_UNKNOWN, 0.95, 0.96),
	    "rewrite");
	assert_string_equal(
	    match_how_name(MATCH_NEAR_DUPLICATE, MATCH_HOW_REORDER, 1, 1),
	    "reorder");
	free(wrapped);
	free(headless);
	free(marked);
	free(moved);
	free(edited);
	free(edited2);
	free(ocr);
	free(typo1);
	free(typo2);
	free(typos);
	free(figure);
	free(newhead);
	free(firstword);
	free(lastword);
}

static void
test_lede_is_excerpt(void **state)
{
	(void)state;
	char *summary = lede(HARBOUR, 0.35);
	struct match_result r = compare(summary, HARBOUR, NULL, 0);
	assert_int_equal(r.relation, MATCH_EXCERPT);
	assert_int_equal(r.direction, 1); /* a inside b */
	assert_true(r.cont_ab > 0.95);
	assert_true(r.cont_ba < 0.5);
	r = compare(HARBOUR, summary, NULL, 0);
	assert_int_equal(r.relation, MATCH_EXCERPT);
	assert_int_equal(r.direction, -1);
	free(summary);
}

static void
test_ocr_copy_is_near_duplicate(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 5; seed++) {
		char *ocr = noisy(ORCHARD, 0.04, seed);
		struct match_result r = compare(ORCHARD, ocr, NULL, 0);
		assert_int_equal(r.relation, MATCH_NEAR_DUPLICATE);
		free(ocr);
	}
}

static void
test_same_topic_is_different(void **state)
{
	(void)state;
	struct match_result r = compare(HARBOUR, HARBOUR_OTHER, NULL, 0);
	assert_int_equal(r.relation, MATCH_NONE);
	r = compare(HARBOUR, ORCHARD, NULL, 0);
	assert_int_equal(r.relation, MATCH_NONE);
}

static void
test_template_with_other_figures_is_different(void **state)
{
	(void)state;
	struct match_result r = compare(RESERVES_A, RESERVES_B, NULL, 0);
	assert_int_equal(r.relation, MATCH_NONE);
	assert_true(r.facts_differ > 0);
	/* The wording alone would have made them near duplicates. */
	assert_true(r.cont_ab > 0.5);
	/* The same report reprinted agrees on every figure. */
	char *wrapped = cat(HEADER, RESERVES_A, FOOTER);
	r = compare(RESERVES_A, wrapped, NULL, 0);
	assert_int_equal(r.relation, MATCH_NEAR_DUPLICATE);
	assert_int_equal(r.facts_differ, 0);
	free(wrapped);
}

/*
 * A story updated with one new figure (a death toll) is the same story: one
 * figure in context that differs vetoes nothing; two of two do (another
 * report from a template).
 */
static void
test_one_changed_figure_is_an_update(void **state)
{
#define LANDSLIDE(dead, missing)                                               \
	"A landslide buried part of the mountain village of Ostervik "         \
	"on Sunday night after three days of heavy rain, killing " dead        \
	" people, the regional police said on Monday. Rescue teams "           \
	"with dogs searched the mud through the night, and " missing           \
	" people were still missing on Monday afternoon, according to the "    \
	"police. The road to the valley was closed and the army "              \
	"flew supplies to the two hundred residents who had been "             \
	"moved to the school gymnasium."
	struct match_result r;

	(void)state;
	r = compare(LANDSLIDE("7", "2"), LANDSLIDE("11", "2"), NULL, 0);
	assert_int_equal(r.facts_differ, 1);
	assert_int_equal(r.relation, MATCH_NEAR_DUPLICATE);
	assert_int_equal(r.how, MATCH_HOW_REWRITE);
	r = compare(LANDSLIDE("7", "2"), LANDSLIDE("11", "1"), NULL, 0);
	assert_int_equal(r.facts_differ, 2);
	assert_int_equal(r.relation, MATCH_NONE);
#undef LANDSLIDE
}

/*
 * Two days' reports from one template: the second has the first's figures
 * too, elsewhere (last year's), beside other words. A figure agrees when
 * the other text has it beside the same word, not anywhere.
 */
static void
test_figures_agree_beside_the_same_word(void **state)
{
#define WX(high, low, rain, extra)                                             \
	"The weather service expects a cloudy morning across the coast "       \
	"with highs of " high " degrees in the afternoon and lows of " low     \
	" degrees overnight. The chance of rain is " rain " percent, "         \
	"mostly after noon, with winds from the west at 20 kilometres an "     \
	"hour. Drivers on the mountain pass should expect fog above 800 "      \
	"metres until late morning." extra
	struct match_result r;

	(void)state;
	r = compare(WX("14", "6", "60", ""),
	    WX("17", "8", "10",
	        " A year ago the high was 14, the low 6, and it rained on "
	        "60 days that spring."),
	    NULL, 0);
	assert_int_equal(r.facts_differ, 3);
	assert_int_equal(r.relation, MATCH_NONE);
	/* The same report with last year's line added agrees. */
	r = compare(WX("14", "6", "60", ""),
	    WX("14", "6", "60", " A year ago the high was 11."), NULL, 0);
	assert_int_equal(r.facts_differ, 0);
	assert_int_equal(r.relation, MATCH_NEAR_DUPLICATE);
#undef WX
}

/*
 * Two rounds of one league table: the template and the team names are
 * shared, every row's figures moved on. A cell's neighbours are figures,
 * its row's words too far for shared text around it: it is judged beside
 * its neighbours. The table reprinted, with an OCR slip in one cell, is
 * the same table.
 */
#define TABLE_HEAD                                                             \
	"Northern League standings after round %d. Played, won, drawn, "       \
	"lost, goals for, goals against, points.\n"
static const char *const TABLE_TEAMS[] = {"Harbor Town", "Riverside Lions",
    "Mill Creek Rovers", "Ostervik United", "Kessel Valley", "Port Aldren",
    "Merrow Athletic", "Alder Bridge"};

/* Round r's table; a team's row moves on by its own results. */
static char *
league_table(int r, int slip)
{
	char *t = malloc(4096);
	int n = snprintf(t, 4096, TABLE_HEAD, r);

	for (int i = 0; i < 8; i++) {
		int w = r * (8 - i) / 10, d = (r + i) % 3, l = r - w - d;
		int gf = 2 * w + d + i, ga = l + i + 3;
		n += snprintf(t + n, 4096 - (size_t)n,
		    "%s %d %d %d %d %d %d %d\n", TABLE_TEAMS[i], r, w, d, l, gf,
		    ga + (slip && i == 3 ? 10 : 0), 3 * w + d);
	}
	snprintf(t + n, 4096 - (size_t)n,
	    "The top two are promoted and the bottom two relegated at the "
	    "end of the season. Matches postponed by the weather are played "
	    "on the first free midweek date.");
	return t;
}

static void
test_league_table_rounds_differ(void **state)
{
	char *r11 = league_table(11, 0), *r12 = league_table(12, 0);
	char *copy = league_table(11, 1);
	struct match_result r;

	(void)state;
	r = compare(r11, r12, NULL, 0);
	assert_true(r.facts_differ >= 10);
	assert_int_equal(r.relation, MATCH_NONE);
	r = compare(r11, copy, NULL, 0);
	assert_true(r.facts_differ <= 2);
	assert_int_equal(r.relation, MATCH_NEAR_DUPLICATE);
	free(r11);
	free(r12);
	free(copy);
}
#undef TABLE_HEAD

/*
 * A figure counts (agrees or differs) only in shared context: shared text
 * within FACT_WINDOW (24) characters on both sides of it. Here the texts
 * share a long passage, then each has its own figure, then text of its
 * own, or the shared passage again.
 */
static void
test_facts_need_context_on_both_sides(void **state)
{
	static const char *shared =
	    "The harbour authority said on Monday that dredging of the "
	    "northern channel would begin in the spring and take most of "
	    "the summer, closing two berths to cargo ships while crews "
	    "remove silt left by the winter storms";
	static const char *after =
	    " tonnes of silt were removed from the channel last year, "
	    "the authority added in its annual report";
	char a[1024], b[1024];
	struct match_result r;

	(void)state;
	/* Shared text on both sides: the figures differ. */
	snprintf(a, sizeof(a), "%s 125%s.", shared, after);
	snprintf(b, sizeof(b), "%s 980%s.", shared, after);
	r = compare(a, b, NULL, 0);
	assert_int_equal(r.facts_differ, 1);
	assert_int_equal(r.facts_agree, 0);
	/* Nothing shared after them: out of context, not counted. */
	snprintf(a, sizeof(a),
	    "%s 125 barges waited outside while pilots argued over fees.",
	    shared);
	snprintf(b, sizeof(b),
	    "%s 980 crew members walked off in a dispute about overtime.",
	    shared);
	r = compare(a, b, NULL, 0);
	assert_int_equal(r.facts_differ, 0);
	assert_int_equal(r.facts_agree, 0);
	/* Nothing shared before them either way round. */
	snprintf(a, sizeof(a), "Pilots argued over fees while 125%s.", after);
	snprintf(
	    b, sizeof(b), "A crew walked off over overtime, 980%s.", after);
	r = compare(a, b, NULL, 0);
	assert_int_equal(r.facts_differ, 0);
	/* The same figure in shared context agrees. */
	snprintf(a, sizeof(a), "%s 125%s.", shared, after);
	r = compare(a, a, NULL, 0);
	assert_int_equal(r.relation, MATCH_EXACT);
	snprintf(b, sizeof(b), "Reprinted. %s 125%s.", shared, after);
	r = compare(a, b, NULL, 0);
	assert_int_equal(r.facts_differ, 0);
	assert_true(r.facts_agree >= 1);
}

static void
test_roundup_is_partial(void **state)
{
	(void)state;
	char *a = lede(HARBOUR, 0.40), *b = lede(ORCHARD, 0.40);
	char *roundup =
	    cat("REGIONAL BUSINESS ROUNDUP\n\n", a, "\n\n* * *\n\n");
	char *full = cat(roundup, b, "\n");
	struct match_result r1 = compare(full, HARBOUR, NULL, 0);
	struct match_result r2 = compare(full, ORCHARD, NULL, 0);
	assert_int_equal(r1.relation, MATCH_PARTIAL);
	assert_int_equal(r2.relation, MATCH_PARTIAL);
	free(a);
	free(b);
	free(roundup);
	free(full);
}

/* Two different stories in the same site chrome: the chrome is common. */
static void
test_shared_boilerplate_never_makes_a_pair(void **state)
{
	(void)state;
	char *long_footer = cat(FOOTER, FOOTER + 2, FOOTER + 2);
	char *a = cat(HEADER, HARBOUR_OTHER, long_footer);
	char *b = cat(HEADER,
	    "Short notice: the harbour office is closed on "
	    "Monday for the holiday.\n",
	    long_footer);
	struct match_doc *d;
	const uint64_t *keys;
	char *chrome = cat(HEADER, "\n", long_footer);
	assert_int_equal(match_doc_build(chrome, strlen(chrome), &d), 0);
	size_t nkeys = match_doc_keys(d, &keys);
	assert_true(nkeys > 5);
	/* Without knowing the chrome is common, the short one is mostly
	 * chrome shared with the other; with it, nothing is left. */
	struct match_result r = compare(b, a, NULL, 0);
	assert_int_not_equal(r.relation, MATCH_NONE);
	r = compare(b, a, keys, nkeys);
	assert_int_equal(r.relation, MATCH_NONE);
	match_doc_free(d);
	free(chrome);
	free(long_footer);
	free(a);
	free(b);
}

/*
 * One verifier (a's side built once) against a run of documents, some
 * stopped early and some classified, with and without common keys: each
 * answer is match_verify's, field for field. An exact copy is known from
 * its norm hash and token count alone.
 */
static void
test_verifier_is_verify(void **state)
{
	(void)state;
	char *a = cat(HEADER, HARBOUR, FOOTER);
	char *summary = lede(HARBOUR, 0.35);
	char *ocr = noisy(a, 0.04, 7);
	char *other = cat(HEADER, HARBOUR_OTHER, FOOTER);
	char *chrome = cat(HEADER, "\n", FOOTER);
	const char *bs[] = {summary, ORCHARD, ocr, a, other, HARBOUR, summary};
	struct match_doc *da, *dc, *db;
	struct match_params p;
	const uint64_t *keys;

	match_params_default(&p);
	assert_int_equal(match_doc_build(a, strlen(a), &da), 0);
	assert_int_equal(match_doc_build(chrome, strlen(chrome), &dc), 0);
	size_t nkeys = match_doc_keys(dc, &keys);
	assert_true(nkeys > 0);
	int relations = 0;
	for (int withc = 0; withc < 2; withc++) {
		const uint64_t *common = withc ? keys : NULL;
		size_t ncommon = withc ? nkeys : 0;
		struct match_verifier *v;
		assert_int_equal(
		    match_verifier_new(da, common, ncommon, &v), 0);
		for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++) {
			struct match_result r1, r2;
			assert_int_equal(
			    match_doc_build_light(bs[i], strlen(bs[i]), &db),
			    0);
			assert_int_equal(
			    match_verify(da, db, common, ncommon, &p, &r1), 0);
			assert_int_equal(match_verifier_run(v, db, &p, &r2), 0);
			assert_memory_equal(&r1, &r2, sizeof(r1));
			relations |= 1 << r1.relation;
			match_doc_free(db);
		}
		match_verifier_free(v);
	}
	/* The run saw a pair stopped early and three relations. */
	assert_int_equal(relations & 0x0f, 0x0f);

	struct match_result r;
	assert_int_equal(match_verify_exact(da, match_doc_norm_hash(da),
	                     match_doc_ntokens(da), &r),
	    1);
	assert_int_equal(r.relation, MATCH_EXACT);
	assert_true(r.cont_ab == 1 && r.cont_ba == 1 && r.passage == 1);
	assert_int_equal(match_verify_exact(da, match_doc_norm_hash(da),
	                     match_doc_ntokens(da) + 1, &r),
	    0);
	assert_int_equal(r.relation, MATCH_NONE);
	assert_int_equal(match_verify_exact(da, match_doc_norm_hash(da) ^ 1,
	                     match_doc_ntokens(da), &r),
	    0);
	match_doc_free(da);
	match_doc_free(dc);
	free(a);
	free(summary);
	free(ocr);
	free(other);
	free(chrome);
}

/* How many of a's keys are in b's. */
static size_t
keys_shared(const struct match_doc *a, const struct match_doc *b)
{
	const uint64_t *ka, *kb;
	size_t na = match_doc_keys(a, &ka), nb = match_doc_keys(b, &kb);
	size_t n = 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			n += ka[i] == kb[j];
	return n;
}

/* A text's keys are the sampled half of its fingerprints, the same half in
 * every text, so a reprint finds its original by them; a short text keeps
 * all its fingerprints (too few sampled ones to be found by). */
static void
test_keys_are_a_shared_sample(void **state)
{
	(void)state;
	char *first = lede(HARBOUR, 0.4);
	const char *tiny =
	    "Dock workers at Kalvik went back to work on Thursday.";
	struct match_doc *a, *b, *t;
	const uint64_t *keys;
	assert_int_equal(match_doc_build(HARBOUR, strlen(HARBOUR), &a), 0);
	assert_int_equal(match_doc_build(first, strlen(first), &b), 0);
	assert_int_equal(match_doc_build(tiny, strlen(tiny), &t), 0);

	size_t na = match_doc_keys(a, &keys);
	assert_true(na >= 2 * KEY_FULL_BELOW);
	for (size_t i = 0; i < na; i++)
		assert_true(KEY_SAMPLED(keys[i]));
	/* The lede's keys are the story's, but for a window at its cut. */
	size_t nb = match_doc_keys(b, &keys);
	assert_true(nb >= KEY_FULL_BELOW && nb < na);
	assert_true(keys_shared(b, a) + 2 >= nb);

	size_t nt = match_doc_keys(t, &keys), odd = 0;
	assert_true(nt > 0);
	for (size_t i = 0; i < nt; i++)
		odd += !KEY_SAMPLED(keys[i]);
	assert_true(odd > 0);
	/* Openings of growing length: one with a few sampled
	 * fingerprints, but fewer than KEY_FULL_BELOW, keys every distinct
	 * one; a longer one only the sampled ones. */
	int seen_few = 0, seen_many = 0;
	for (size_t len = 40; len < 600; len += 10) {
		char *l = strndup(HARBOUR, len);
		assert_non_null(l);
		struct match_doc *d;
		assert_int_equal(match_doc_build(l, strlen(l), &d), 0);
		size_t nk = match_doc_keys(d, &keys), nd = 0, ns = 0;
		for (size_t i = 0; i < d->nfp; i++) {
			size_t j = 0;
			while (j < i && d->fp[j] != d->fp[i])
				j++;
			nd += j == i;
			ns += j == i && KEY_SAMPLED(d->fp[i]);
		}
		if (ns > 0 && ns < KEY_FULL_BELOW) {
			seen_few = 1;
			assert_int_equal(nk, nd);
		} else if (ns >= KEY_FULL_BELOW) {
			seen_many = 1;
			assert_int_equal(nk, ns);
		}
		match_doc_free(d);
		free(l);
	}
	assert_true(seen_few && seen_many);
	match_doc_free(a);
	match_doc_free(b);
	match_doc_free(t);
	free(first);
}

/* A text whose keys are all common is masked whole, though only half its
 * fingerprints are keys: the chain of common keys spans the others. */
static void
test_common_text_is_masked_whole(void **state)
{
	(void)state;
	struct match_doc *d;
	const uint64_t *keys;
	assert_int_equal(match_doc_build(ORCHARD, strlen(ORCHARD), &d), 0);
	size_t nkeys = match_doc_keys(d, &keys), masked = 0;
	for (size_t i = 0; i < nkeys; i++)
		assert_true(KEY_SAMPLED(keys[i])); /* a sample, not all */
	unsigned char *mask = malloc(d->nchars + 1);
	assert_non_null(mask);
	size_t said = match_mask_boilerplate(d, keys, nkeys, mask);
	for (size_t i = 0; i < d->nchars; i++)
		masked += mask[i];
	assert_true(masked >= d->nchars * 95 / 100);
	assert_int_equal(said, masked);
	/* Some keys common: overlapping stretches, each character counted
	 * once in what the mask says it marked. */
	uint64_t *some = malloc((nkeys + 1) * sizeof(*some));
	assert_non_null(some);
	for (size_t step = 2; step <= 7; step++) {
		size_t n = 0, set = 0;
		for (size_t i = 0; i < nkeys; i += step)
			some[n++] = keys[i];
		said = match_mask_boilerplate(d, some, n, mask);
		for (size_t i = 0; i < d->nchars; i++)
			set += mask[i];
		assert_int_equal(said, set);
		assert_true(set > 0 && set < masked);
	}
	free(some);
	free(mask);
	match_doc_free(d);
}

static void
test_short_texts_never_match(void **state)
{
	(void)state;
	struct match_result r =
	    compare("Markets closed.", "Markets closed!", NULL, 0);
	/* identical normalized text is still exact ... */
	assert_int_equal(r.relation, MATCH_EXACT);
	r = compare("Markets closed early today.",
	    "Markets closed early on Friday.", NULL, 0);
	/* ... but short texts are too small to call anything else */
	assert_int_equal(r.relation, MATCH_NONE);
}

static void
test_sketch_round_trip(void **state)
{
	(void)state;
	struct match_doc *a, *b;
	struct match_sketch sa, sb;
	void *blob;
	size_t len;
	char *wrapped = cat(HEADER, HARBOUR, FOOTER);
	assert_int_equal(match_doc_build(HARBOUR, strlen(HARBOUR), &a), 0);
	assert_int_equal(match_doc_build(wrapped, strlen(wrapped), &b), 0);
	assert_int_equal(match_doc_encode(a, &blob, &len), 0);
	assert_int_equal(match_sketch_decode(blob, len, &sa), 0);
	assert_int_equal(sa.nchars, match_doc_nchars(a));
	const uint64_t *keys;
	assert_int_equal(sa.nkeys, match_doc_keys(a, &keys));
	/* malformed blobs are refused, never read past */
	assert_int_equal(match_sketch_decode(blob, len - 1, &sb), -EINVAL);
	((unsigned char *)blob)[0] ^= 1;
	assert_int_equal(match_sketch_decode(blob, len, &sb), -EINVAL);
	assert_int_equal(match_sketch_decode(NULL, 0, &sb), -EINVAL);
	free(blob);
	assert_int_equal(match_doc_encode(b, &blob, &len), 0);
	assert_int_equal(match_sketch_decode(blob, len, &sb), 0);
	double j = match_sketch_jaccard(&sa, &sb);
	assert_true(j > 0.5 && j < 1.0);
	free(blob);
	/* a light build has no sketch */
	struct match_doc *l;
	assert_int_equal(
	    match_doc_build_light(HARBOUR, strlen(HARBOUR), &l), 0);
	assert_int_equal(match_doc_encode(l, &blob, &len), -EINVAL);
	match_doc_free(l);
	match_doc_free(a);
	match_doc_free(b);
	free(wrapped);
}

static void
test_explain_finds_passages(void **state)
{
	(void)state;
	char *summary = lede(HARBOUR, 0.35);
	char *a = cat("Reposted from the wire.\n\n", summary,
	    "\n\nRead the full story at the Courier.\n");
	char *b = cat(HEADER, HARBOUR, FOOTER);
	struct match_passage *ps;
	size_t n;
	assert_int_equal(
	    match_explain(a, strlen(a), b, strlen(b), NULL, 0, &ps, &n), 0);
	assert_true(n >= 1);
	size_t covered = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(ps[i].a_off + ps[i].a_len <= strlen(a));
		assert_true(ps[i].b_off + ps[i].b_len <= strlen(b));
		/* A passage's first words are where B's passage starts. */
		assert_memory_equal(a + ps[i].a_off, b + ps[i].b_off, 12);
		covered += ps[i].a_len;
	}
	assert_true(covered > strlen(summary) * 9 / 10);
	/* None of the passages is the header, the footer or the tail. */
	for (size_t i = 0; i < n; i++)
		assert_true(
		    ps[i].a_off >= strlen("Reposted from the wire.\n\n"));
	free(ps);
	/* Nothing shared: no passage. */
	assert_int_equal(match_explain(HARBOUR, strlen(HARBOUR), ORCHARD,
	                     strlen(ORCHARD), NULL, 0, &ps, &n),
	    0);
	assert_int_equal(n, 0);
	free(ps);
	free(summary);
	free(a);
	free(b);
}

/* `s` written `times` times, malloc'd. */
static char *
repeat(const char *s, size_t times)
{
	size_t n = strlen(s);
	char *r = malloc(n * times + 1);
	assert_non_null(r);
	for (size_t i = 0; i < times; i++)
		memcpy(r + i * n, s, n);
	r[n * times] = '\0';
	return r;
}

/*
 * Explain on text that repeats itself: every gram of A occurs thousands
 * of times in B. Looking at each occurrence for the one that continues a
 * passage made it quadratic (two 200 KB files of one word: 12 s on the
 * daemon's event loop; 8 MB: hours). Its work, counted, stays within a
 * few binary searches of B per byte of A, where looking at each
 * occurrence takes thousands of looks.
 */
static void
test_explain_repetitive_text_is_not_quadratic(void **state)
{
	(void)state;
	struct match_passage *ps;
	size_t n, probes = 0;
	/* One word over and over: all of A is one passage of B. */
	char *a = repeat("spam ", 20000), *b = repeat("spam ", 20000);
	size_t alen = strlen(a), search = 1;
	while ((size_t)1 << search < strlen(b))
		search++; /* steps of a binary search of B */
	assert_int_equal(match_explain_probes(
	                     a, alen, b, strlen(b), NULL, 0, &ps, &n, &probes),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(ps[0].a_off, 0);
	assert_int_equal(ps[0].a_len, alen - 1);
	assert_int_equal(ps[0].b_off, 0);
	assert_int_equal(ps[0].b_len, alen - 1);
	assert_true(probes <= 8 * search * alen);
	free(ps);
	free(a);
	/* Broken every five words by one B lacks: a passage each, every
	 * one found all over B. */
	a = repeat("spam spam spam spam spam xq ", 2000);
	alen = strlen(a);
	probes = 0;
	assert_int_equal(match_explain_probes(
	                     a, alen, b, strlen(b), NULL, 0, &ps, &n, &probes),
	    0);
	assert_int_equal(n, 2000);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(
		    ps[i].a_len, strlen("spam spam spam spam spam"));
		assert_memory_equal(
		    a + ps[i].a_off, "spam spam spam spam spam", ps[i].a_len);
		assert_memory_equal(
		    b + ps[i].b_off, "spam spam spam spam spam", ps[i].b_len);
	}
	assert_true(probes <= 8 * search * alen);
	free(ps);
	free(a);
	free(b);
}

static void
test_garbage_and_empty_inputs(void **state)
{
	(void)state;
	unsigned char junk[4096];
	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	struct match_result r =
	    compare((const char *)junk, "", NULL, 0); /* no crash */
	assert_int_equal(r.relation, MATCH_NONE);
	struct match_doc *d;
	assert_int_equal(match_doc_build("", 0, &d), 0);
	assert_int_equal(match_doc_ntokens(d), 0);
	match_doc_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_relation_names),
	    cmocka_unit_test(test_exact_ignores_layout),
	    cmocka_unit_test(test_wrapped_is_near_duplicate),
	    cmocka_unit_test(test_near_duplicate_how),
	    cmocka_unit_test(test_lede_is_excerpt),
	    cmocka_unit_test(test_ocr_copy_is_near_duplicate),
	    cmocka_unit_test(test_same_topic_is_different),
	    cmocka_unit_test(test_template_with_other_figures_is_different),
	    cmocka_unit_test(test_one_changed_figure_is_an_update),
	    cmocka_unit_test(test_figures_agree_beside_the_same_word),
	    cmocka_unit_test(test_facts_need_context_on_both_sides),
	    cmocka_unit_test(test_league_table_rounds_differ),
	    cmocka_unit_test(test_roundup_is_partial),
	    cmocka_unit_test(test_shared_boilerplate_never_makes_a_pair),
	    cmocka_unit_test(test_short_texts_never_match),
	    cmocka_unit_test(test_keys_are_a_shared_sample),
	    cmocka_unit_test(test_verifier_is_verify),
	    cmocka_unit_test(test_common_text_is_masked_whole),
	    cmocka_unit_test(test_sketch_round_trip),
	    cmocka_unit_test(test_explain_finds_passages),
	    cmocka_unit_test(test_explain_repetitive_text_is_not_quadratic),
	    cmocka_unit_test(test_garbage_and_empty_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
