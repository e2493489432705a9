/*
 * gen.c - reprintd-gen: a seeded generator of invented English news
 * articles and reprints of some of them, for the benchmark.
 *
 * Everything comes from the word lists and sentence templates below: no
 * external text. Article i is generated from its own PRNG stream, seeded
 * from (seed, i), so any article can be regenerated alone: a reprint of
 * article j regenerates j and transforms it, and "--start K" continues a
 * corpus (files dropped into a running daemon) with reprints of articles
 * already stored.
 *
 * Layout: DIR/sNNNNN/aNNNNNNNN.txt, `per_dir` files per folder, a folder
 * per "source" (each with its own line wrapping and reprint banner).
 * The manifest (path, kind, original, bytes; TSV) goes next to DIR, not
 * inside it, so that a daemon watching DIR does not ingest it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Word lists ---------------------------------------------------------- */

static const char *first_names[] = {"James", "Maria", "Robert", "Linda",
    "Michael", "Sarah", "David", "Karen", "Thomas", "Nancy", "Daniel", "Laura",
    "Paul", "Helen", "Mark", "Sandra", "Steven", "Donna", "Andrew", "Carol",
    "Kevin", "Ruth", "Brian", "Sharon", "George", "Michelle", "Edward", "Emily",
    "Ronald", "Kimberly", "Anthony", "Deborah", "Jason", "Rebecca", "Jeffrey",
    "Amanda", "Ryan", "Stephanie", "Gary", "Melissa", "Nicholas", "Angela",
    "Eric", "Julia", "Jonathan", "Grace", "Samuel", "Olivia", "Patrick",
    "Hannah", "Ahmed", "Fatima", "Hiroshi", "Yuki", "Carlos", "Lucia", "Ivan",
    "Elena", "Pierre", "Claire", "Hans", "Ingrid", "Rajesh", "Priya", "Kwame",
    "Amara", "Lars", "Sofia", "Mateo", "Nadia"};
static const char *surnames[] = {"Smith", "Johnson", "Williams", "Brown",
    "Jones", "Miller", "Davis", "Garcia", "Rodriguez", "Wilson", "Martinez",
    "Anderson", "Taylor", "Thomas", "Hernandez", "Moore", "Martin", "Jackson",
    "Thompson", "White", "Lopez", "Lee", "Gonzalez", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Perez", "Hall", "Young", "Allen", "Sanchez",
    "Wright", "King", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
    "Ramirez", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans",
    "Turner", "Torres", "Parker", "Collins", "Edwards", "Stewart", "Morris",
    "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed",
    "Bailey", "Bell", "Gomez", "Kelly", "Howard", "Ward", "Cox", "Diaz",
    "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "James",
    "Reyes", "Cruz", "Hughes", "Price", "Myers", "Long", "Foster", "Sanders",
    "Ross", "Morales", "Powell", "Sullivan", "Russell", "Ortiz", "Jenkins",
    "Gutierrez", "Perry", "Butler", "Barnes", "Fisher", "Henderson", "Coleman",
    "Okafor", "Nakamura", "Kowalski", "Lindqvist", "Moreau", "Schneider",
    "Rossi", "Petrov", "Haddad", "Mensah", "Chen", "Singh", "Novak", "Dubois",
    "Fischer", "Yilmaz", "Ivanova", "Costa"};
static const char *places[] = {"Springfield", "Riverton", "Lakewood",
    "Fairview", "Greenville", "Bristol", "Clinton", "Madison", "Georgetown",
    "Salem", "Franklin", "Ashland", "Burlington", "Manchester", "Milford",
    "Oxford", "Dayton", "Newport", "Arlington", "Dover", "Hudson", "Kingston",
    "Marion", "Auburn", "Jackson", "Lebanon", "Monroe", "Oakland", "Portland",
    "Richmond", "Winchester", "Chester", "Cleveland", "Hamilton", "Lexington",
    "Mount Vernon", "Centerville", "Brookfield", "Westfield", "Eastport",
    "Northbridge", "Southgate", "Pine Bluff", "Cedar Falls", "Maple Ridge",
    "Silver Lake", "Rock Harbor", "Elmwood", "Stonebridge", "Harborview",
    "Port Allen", "Glen Haven", "Bay City", "Red Oak", "Clearwater",
    "Fort Collins", "Twin Rivers", "Grand Prairie", "Bellmont", "Ironwood"};
static const char *regions[] = {"the northern province", "the coastal region",
    "the capital district", "the eastern valley", "the western highlands",
    "the southern plains", "the river delta", "the border counties",
    "the industrial belt", "the mountain towns", "the island territories",
    "the central state"};
static const char *org_kinds[] = {"Ministry of Finance", "Department of Health",
    "Transport Authority", "Chamber of Commerce", "Teachers Union",
    "Energy Commission", "Water Board", "City Council", "County Court",
    "Police Department", "Farmers Association", "Port Authority",
    "Housing Agency", "Environmental Agency", "Central Bank",
    "Statistics Office", "Fire Service", "University Hospital",
    "Workers Federation", "Development Bank", "Election Commission",
    "Tourism Board", "Aviation Authority", "Public Broadcaster"};
static const char *titles[] = {"spokesman", "spokeswoman", "director",
    "chief executive", "minister", "deputy mayor", "chairman", "president",
    "senior analyst", "economist", "commissioner", "head of operations",
    "union leader", "prosecutor", "judge", "professor", "researcher",
    "lawmaker", "senator", "governor", "police chief", "treasurer",
    "project manager", "board member"};
static const char *companies[] = {"Northwind", "Apex", "Bluewater", "Sterling",
    "Meridian", "Summit", "Pinnacle", "Harbor", "Crestline", "Ironbridge",
    "Silverline", "Redstone", "Evergreen", "Brightpath", "Keystone", "Highland",
    "Oakmont", "Lakeshore", "Granite", "Beacon"};
static const char *company_kinds[] = {"Holdings", "Group", "Industries",
    "Energy", "Logistics", "Foods", "Motors", "Pharmaceuticals", "Airlines",
    "Telecom", "Steel", "Insurance", "Capital", "Mining", "Shipping"};
static const char *papers[] = {"Herald", "Tribune", "Gazette", "Courier",
    "Chronicle", "Post", "Times", "Observer", "Sentinel", "Ledger", "Examiner",
    "Dispatch", "Journal", "Record", "Standard", "Enquirer"};
static const char *months[] = {"January", "February", "March", "April", "May",
    "June", "July", "August", "September", "October", "November", "December"};
static const char *weekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Sunday"};

/* Topics: nouns (singular; plural made by rule) and adjectives. */
struct topic {
	const char *name;
	const char *nouns[24];
	const char *adjs[10];
};
static const struct topic topics[] = {
    {"economy",
        {"budget", "tax", "inflation", "market", "investor", "bank", "loan",
            "price", "wage", "export", "import", "factory", "deficit", "growth",
            "forecast", "currency", "bond", "share", "profit", "revenue",
            "debt", "rate", "consumer", "retailer"},
        {"fiscal", "economic", "monetary", "quarterly", "annual", "sluggish",
            "robust", "volatile", "modest", "sharp"}},
    {"weather",
        {"storm", "flood", "rainfall", "drought", "temperature", "wind",
            "forecast", "river", "levee", "shelter", "road", "power line",
            "warning", "evacuation", "crop", "snowfall", "heatwave", "dam",
            "coastline", "resident", "bridge", "tide", "cloud", "hail"},
        {"heavy", "severe", "unusual", "record", "torrential", "dry",
            "freezing", "tropical", "seasonal", "early"}},
    {"politics",
        {"election", "vote", "candidate", "party", "coalition", "parliament",
            "bill", "amendment", "campaign", "poll", "voter", "debate",
            "committee", "minister", "reform", "law", "cabinet", "senate",
            "referendum", "ballot", "mandate", "opposition", "district",
            "delegate"},
        {"political", "legislative", "contested", "narrow", "bipartisan",
            "controversial", "local", "national", "early", "final"}},
    {"health",
        {"hospital", "patient", "vaccine", "clinic", "doctor", "nurse",
            "treatment", "outbreak", "infection", "study", "trial", "drug",
            "virus", "symptom", "ward", "surgeon", "pharmacy", "diagnosis",
            "screening", "waiting list", "ambulance", "therapy", "case",
            "researcher"},
        {"medical", "clinical", "public", "chronic", "rare", "new",
            "experimental", "mental", "rural", "emergency"}},
    {"transport",
        {"train", "bus", "airport", "flight", "runway", "railway", "station",
            "commuter", "fare", "highway", "tunnel", "bridge", "port", "ferry",
            "driver", "route", "delay", "timetable", "carriage", "terminal",
            "cargo", "lane", "signal", "depot"},
        {"regional", "high-speed", "crowded", "late", "new", "electric",
            "overnight", "suburban", "busy", "delayed"}},
    {"technology",
        {"software", "network", "chip", "startup", "data center", "app",
            "server", "platform", "user", "outage", "patent", "engineer",
            "device", "satellite", "battery", "sensor", "robot", "update",
            "breach", "password", "cable", "handset", "model", "licence"},
        {"digital", "wireless", "encrypted", "online", "automated", "cheaper",
            "faster", "secure", "mobile", "open"}},
    {"courts",
        {"trial", "jury", "verdict", "appeal", "judge", "lawyer", "witness",
            "defendant", "sentence", "charge", "court", "hearing", "ruling",
            "lawsuit", "settlement", "prosecutor", "evidence", "fine",
            "inquiry", "complaint", "contract", "claim", "bail", "warrant"},
        {"federal", "criminal", "civil", "lengthy", "unanimous", "landmark",
            "disputed", "sealed", "appellate", "preliminary"}},
    {"energy",
        {"pipeline", "refinery", "wind farm", "solar panel", "grid", "plant",
            "reactor", "coal mine", "oil field", "gas price", "tariff",
            "turbine", "battery", "outage", "supplier", "meter", "licence",
            "emission", "fuel", "well", "substation", "barrel", "output",
            "contract"},
        {"renewable", "nuclear", "offshore", "coal-fired", "green", "wholesale",
            "peak", "domestic", "carbon", "clean"}},
    {"education",
        {"school", "teacher", "pupil", "student", "exam", "university",
            "campus", "curriculum", "grant", "tuition", "classroom", "lecture",
            "degree", "scholarship", "principal", "board", "enrolment",
            "library", "textbook", "graduate", "term", "course", "dormitory",
            "canteen"},
        {"primary", "secondary", "academic", "private", "public", "remote",
            "annual", "national", "vocational", "crowded"}},
    {"agriculture",
        {"farmer", "harvest", "wheat", "corn", "cattle", "dairy", "orchard",
            "fertiliser", "irrigation", "subsidy", "field", "yield", "barn",
            "tractor", "grain", "market", "cooperative", "soil", "pest",
            "vineyard", "export", "herd", "silo", "seed"},
        {"organic", "bumper", "poor", "early", "late", "dry", "local",
            "seasonal", "family-run", "commercial"}},
};
static const char *gen_nouns[] = {"official", "plan", "report", "decision",
    "proposal", "statement", "meeting", "agreement", "project", "program",
    "policy", "survey", "review", "deal", "measure", "change", "problem",
    "question", "concern", "group", "community", "family", "worker", "company",
    "government", "city", "region", "country", "week", "month", "year",
    "number", "figure", "increase", "decline", "cost", "effort",
    "investigation", "spokesperson", "resident", "neighbourhood", "service"};
static const char *gen_adjs[] = {"new", "major", "local", "recent", "key",
    "senior", "former", "small", "large", "significant", "difficult",
    "important", "unexpected", "serious", "broad", "limited", "final",
    "initial", "independent", "joint", "temporary", "long-term", "strong",
    "weak", "separate", "growing", "further", "additional", "current"};
struct verb {
	const char *base, *past;
};
static const struct verb verbs[] = {{"announce", "announced"},
    {"approve", "approved"}, {"reject", "rejected"}, {"delay", "delayed"},
    {"review", "reviewed"}, {"expand", "expanded"}, {"cut", "cut"},
    {"raise", "raised"}, {"launch", "launched"}, {"suspend", "suspended"},
    {"criticise", "criticised"}, {"support", "supported"},
    {"propose", "proposed"}, {"confirm", "confirmed"}, {"deny", "denied"},
    {"investigate", "investigated"}, {"close", "closed"},
    {"reopen", "reopened"}, {"replace", "replaced"}, {"fund", "funded"},
    {"block", "blocked"}, {"extend", "extended"}, {"reduce", "reduced"},
    {"increase", "increased"}, {"complete", "completed"},
    {"cancel", "cancelled"}, {"sign", "signed"}, {"challenge", "challenged"},
    {"warn", "warned"}, {"welcome", "welcomed"}, {"oppose", "opposed"},
    {"finance", "financed"}, {"inspect", "inspected"}, {"restore", "restored"},
    {"double", "doubled"}, {"halve", "halved"}, {"postpone", "postponed"},
    {"defend", "defended"}, {"build", "built"}, {"sell", "sold"},
    {"buy", "bought"}, {"win", "won"}, {"lose", "lost"}};
static const char *say_verbs[] = {"said", "told reporters",
    "said in a "
    "statement",
    "wrote in a letter", "told the Herald",
    "said on "
    "Tuesday",
    "added", "noted", "said at a news conference", "explained"};
static const char *connectors[] = {"However,", "Meanwhile,", "In addition,",
    "Earlier this year,", "Last month,", "According to officials,",
    "By contrast,", "As a result,", "At the same time,", "Separately,",
    "Since then,", "For now,", "Under the plan,", "In a statement,"};

/*
 * Sentence templates. Markers: %P a person of the cast (full name), %S a
 * cast surname, %T a title, %O a cast organization, %C a company, %L the
 * article's place, %K another place, %R a region, %n/%N a topic noun
 * singular/plural, %g/%G a general noun, %a a topic adjective, %j a
 * general adjective, %v/%V a verb base/past, %s a saying verb, %c a
 * connector, %d a small number, %D a large number, %p a percentage, %m
 * money, %y a year, %w a weekday, %M a month, %q a quotation.
 */
static const char *templates[] = {
    "%P, the %T of the %O, %s that the %a %n would be %V by %M.",
    "The %O %V the %j %g on %w, citing %d %a %N in %L.",
    "%c the %O %V %d %N, %S %s.",
    "Officials in %L %V a %j %g after %d %N were reported in %R.",
    "%q %S %s.",
    "%q %P, a %T at %C, %s.",
    "The number of %N in %L rose by %p to %D in %y, the %O %s.",
    "%C %V its %a %n in %K, a move worth about %m.",
    "%c %d %N remain %j, and the %O %s it would %v the %g within %d weeks.",
    "Critics %V the %g, saying the %a %N had been %V without a %j review.",
    "The %j %n in %L is expected to cost %m over %d years.",
    "%P %V the %g at a %j %g in %L on %w.",
    "Residents of %L %s they had waited %d months for the %a %n.",
    "%c %C %V %d %a %N and %V %p of its %N.",
    "The %O %s %D %N had been affected across %R since %M.",
    "%S, who has served as %T since %y, %V the %j %g.",
    "A %j %g published on %w found that %p of %N in %R were %a.",
    "The %a %n at %K was %V after %d %N %V the %g.",
    "%c the %O plans to %v the %a %N by %M %y.",
    "In %y the %O %V a similar %g, which %C later %V.",
    "%P %s the %N would %v the %j %g unless the %O %V it.",
    "Last %w, %d %N gathered outside the %O in %L to %v the %g.",
    "The %g follows a %j %g by %C, which %V %m in %y.",
    "Prices for %N in %L rose %p in %M, the %O %s.",
    "%c %S %s that %d %a %N had been %V since %y.",
    "The %O did not respond to a request for comment on the %a %n.",
    "%P, %d, a %T from %K, %s the %g was %j.",
    "About %D %N in %R depend on the %a %n, according to the %O.",
    "%C shares fell %p after the %O %V the %j %g.",
    "The %a %N will %v the %g at an estimated cost of %m.",
    "%q %s %P, the %O's %T.",
    "Under the %j %g, %N in %L would %v %p more for %N from %M.",
    "The %O %s it had %V %d %a %N and %V another %d.",
    "%c the %j %g drew %D responses from %N across %R.",
    "%S %s the %O had %V the %g twice since %y.",
    "Work on the %a %n near %K began in %M and is due to end in %y.",
    "%P and %P %V the %g in a joint %g on %w.",
    "The %g was %V by %d votes to %d in the %O on %w.",
    "Figures from the %O show %D %N in %L, up from %D a year earlier.",
    "%c %C %s it would %v %D %N in %R by %y.",
};
static const char *quotes[] = {
    "\"We have to %v the %a %N before %M,\"",
    "\"This %g is about the %N of %L, not about %C,\"",
    "\"Nobody expected the %a %n to %v so quickly,\"",
    "\"The %O will %v every %g we receive,\"",
    "\"It is a %j day for %R,\"",
    "\"We %V what we could with %m,\"",
    "\"There are still %d %N waiting in %L,\"",
    "\"I think the %g was %j from the start,\"",
};
/* Light rewrites: a word and what an editor puts in its place. */
static const char *synonyms[][2] = {{"said", "stated"},
    {"announced", "unveiled"}, {"about", "around"}, {"expected", "likely"},
    {"residents", "locals"}, {"officials", "authorities"}, {"rose", "climbed"},
    {"fell", "dropped"}, {"plan", "scheme"}, {"major", "big"},
    {"began", "started"}, {"would", "will"}, {"months", "months'"},
    {"new", "fresh"}, {"report", "study"}, {"within", "in"},
    {"after", "following"}, {"since", "from"}, {"told", "informed"},
    {"criticised", "attacked"}};

/* ---- PRNG and buffers ---------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed * 0x2545f4914f6cdd1dULL ^ stream * 0x9e3779b97f4a7c15ULL;
	rng_next(r);
	rng_next(r);
}

#define PICK(r, a) ((a)[rng_below((r), (uint32_t)NELEM(a))])

struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_grow(struct buf *b, size_t need)
{
	size_t cap;

	if (b->len + need + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 8192;
	while (cap < b->len + need + 1)
		cap *= 2;
	if ((b->p = realloc(b->p, cap)) == NULL) {
		fprintf(stderr, "reprintd-gen: out of memory\n");
		exit(1);
	}
	b->cap = cap;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_ch(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void buf_fmt(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_grow(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* ---- Articles ------------------------------------------------------------ */

struct cast {
	const struct topic *topic;
	const char *first[4], *last[4];
	int npeople;
	const char *org[2];
	const char *orgplace[2];
	const char *company[2], *company_kind[2];
	const char *place;
	const char *region;
	int year;
};

static void
add_plural(struct buf *b, const char *w)
{
	size_t n = strlen(w);
	char last = w[n - 1], prev = n > 1 ? w[n - 2] : 'a';

	if (last == 'y' && strchr("aeiou", prev) == NULL) {
		buf_add(b, w, n - 1);
		buf_str(b, "ies");
	} else if (last == 's' || last == 'x' || last == 'h') {
		buf_str(b, w);
		buf_str(b, "es");
	} else {
		buf_str(b, w);
		buf_ch(b, 's');
	}
}

static void
add_number(struct buf *b, uint32_t v)
{
	if (v >= 1000000)
		buf_fmt(
		    b, "%u,%03u,%03u", v / 1000000, v / 1000 % 1000, v % 1000);
	else if (v >= 1000)
		buf_fmt(b, "%u,%03u", v / 1000, v % 1000);
	else
		buf_fmt(b, "%u", v);
}

static void expand(struct buf *b, struct rng *r, const struct cast *c,
    const char *tpl, int depth);

static void
expand_marker(
    struct buf *b, struct rng *r, const struct cast *c, char m, int depth)
{
	const struct topic *t = c->topic;
	int k;

	switch (m) {
	case 'P':
		k = (int)rng_below(r, (uint32_t)c->npeople);
		buf_str(b, c->first[k]);
		buf_ch(b, ' ');
		buf_str(b, c->last[k]);
		break;
	case 'S':
		buf_str(b, c->last[rng_below(r, (uint32_t)c->npeople)]);
		break;
	case 'T':
		buf_str(b, PICK(r, titles));
		break;
	case 'O':
		k = (int)rng_below(r, 2);
		buf_str(b, c->orgplace[k]);
		buf_ch(b, ' ');
		buf_str(b, c->org[k]);
		break;
	case 'C':
		k = (int)rng_below(r, 2);
		buf_str(b, c->company[k]);
		buf_ch(b, ' ');
		buf_str(b, c->company_kind[k]);
		break;
	case 'L':
		buf_str(b, rng_below(r, 4) ? c->place : PICK(r, places));
		break;
	case 'K':
		buf_str(b, PICK(r, places));
		break;
	case 'R':
		buf_str(b, rng_below(r, 3) ? c->region : PICK(r, regions));
		break;
	case 'n':
		buf_str(b,
		    rng_below(r, 5) ? PICK(r, t->nouns) : PICK(r, gen_nouns));
		break;
	case 'N':
		add_plural(b,
		    rng_below(r, 5) ? PICK(r, t->nouns) : PICK(r, gen_nouns));
		break;
	case 'g':
		buf_str(b, PICK(r, gen_nouns));
		break;
	case 'a':
		buf_str(
		    b, rng_below(r, 3) ? PICK(r, t->adjs) : PICK(r, gen_adjs));
		break;
	case 'j':
		buf_str(b, PICK(r, gen_adjs));
		break;
	case 'v':
		buf_str(b, PICK(r, verbs).base);
		break;
	case 'V':
		buf_str(b, PICK(r, verbs).past);
		break;
	case 's':
		buf_str(b, PICK(r, say_verbs));
		break;
	case 'c':
		buf_str(b, PICK(r, connectors));
		break;
	case 'd':
		buf_fmt(b, "%u", 2 + rng_below(r, 98));
		break;
	case 'D':
		add_number(
		    b, 100 + rng_below(r, rng_below(r, 2) ? 100000 : 5000000));
		break;
	case 'p':
		buf_fmt(b, "%u.%u percent", rng_below(r, 40), rng_below(r, 10));
		break;
	case 'm':
		if (rng_below(r, 3))
			buf_fmt(b, "$%u.%u million", 1 + rng_below(r, 900),
			    rng_below(r, 10));
		else
			buf_fmt(b, "$%u.%u billion", 1 + rng_below(r, 90),
			    rng_below(r, 10));
		break;
	case 'y':
		buf_fmt(b, "%d", c->year - (int)rng_below(r, 12));
		break;
	case 'w':
		buf_str(b, PICK(r, weekdays));
		break;
	case 'M':
		buf_str(b, PICK(r, months));
		break;
	case 'q':
		if (depth < 1)
			expand(b, r, c, PICK(r, quotes), depth + 1);
		break;
	default:
		buf_ch(b, m);
		break;
	}
}

static void
expand(struct buf *b, struct rng *r, const struct cast *c, const char *tpl,
    int depth)
{
	const char *p = tpl, *q;

	while (*p != '\0') {
		if ((q = strchr(p, '%')) == NULL) {
			buf_str(b, p);
			return;
		}
		buf_add(b, p, (size_t)(q - p));
		if (q[1] == '\0')
			return;
		expand_marker(b, r, c, q[1], depth);
		p = q + 2;
	}
}

static void
sentence(struct buf *b, struct rng *r, const struct cast *c)
{
	size_t start = b->len;

	expand(b, r, c, PICK(r, templates), 0);
	if (b->p[start] >= 'a' && b->p[start] <= 'z')
		b->p[start] = (char)(b->p[start] - 'a' + 'A');
	else if (b->p[start] == '"' && b->p[start + 1] >= 'a' &&
	         b->p[start + 1] <= 'z')
		b->p[start + 1] = (char)(b->p[start + 1] - 'a' + 'A');
}

static void
cast_init(struct cast *c, struct rng *r)
{
	int i;

	c->topic = &topics[rng_below(r, (uint32_t)NELEM(topics))];
	c->npeople = 2 + (int)rng_below(r, 3);
	for (i = 0; i < c->npeople; i++) {
		c->first[i] = PICK(r, first_names);
		c->last[i] = PICK(r, surnames);
	}
	for (i = 0; i < 2; i++) {
		c->org[i] = PICK(r, org_kinds);
		c->orgplace[i] = PICK(r, places);
		c->company[i] = PICK(r, companies);
		c->company_kind[i] = PICK(r, company_kinds);
	}
	c->place = PICK(r, places);
	c->region = PICK(r, regions);
	c->year = 2015 + (int)rng_below(r, 11);
}

/* Word-wrap b->p[from..] in place into lines of at most `width`. */
static void
wrap(struct buf *b, size_t from, unsigned width)
{
	size_t i, line = from, sp = (size_t)-1;

	for (i = from; i < b->len; i++) {
		if (b->p[i] == '\n') {
			line = i + 1;
			sp = (size_t)-1;
			continue;
		}
		if (b->p[i] == ' ')
			sp = i;
		if (i - line >= width && sp != (size_t)-1 && sp > line) {
			b->p[sp] = '\n';
			line = sp + 1;
			sp = (size_t)-1;
		}
	}
}

struct style {
	unsigned wrap; /* 0: one line per paragraph */
	const char *paper;
	const char *town;
};

static void
style_of(struct style *s, uint64_t seed, size_t folder)
{
	struct rng r;

	rng_seed(&r, seed ^ 0x736f75726365ULL, folder);
	s->wrap = rng_below(&r, 3) == 0 ? 0 : 60 + rng_below(&r, 20);
	s->paper = PICK(&r, papers);
	s->town = PICK(&r, places);
}

/*
 * Original article `idx` (its own stream), about `target` bytes, by the
 * source of folder `folder`.
 */
static void
article(struct buf *b, uint64_t seed, size_t idx, size_t target,
    const struct style *st)
{
	struct rng r;
	struct cast c;
	size_t start = b->len, want, para;
	unsigned nsent, i;

	rng_seed(&r, seed, idx);
	cast_init(&c, &r);
	want = (size_t)((double)target * (0.6 + 0.8 * rng_unit(&r)));
	/* Headline. */
	para = b->len;
	expand(
	    b, &r, &c, rng_below(&r, 2) ? "%a %n %V in %L" : "%O %V %j %g", 0);
	if (b->p[para] >= 'a' && b->p[para] <= 'z')
		b->p[para] = (char)(b->p[para] - 'a' + 'A');
	buf_str(b, "\n\nBy ");
	buf_str(b, c.first[0]);
	buf_ch(b, ' ');
	buf_str(b, c.last[0]);
	buf_str(b, "\n\n");
	buf_str(b, c.place);
	buf_fmt(b, ", %s %u (%s %s) - ", PICK(&r, months),
	    1 + rng_below(&r, 28), st->town, st->paper);
	while (b->len - start < want) {
		nsent = 2 + rng_below(&r, 4);
		for (i = 0; i < nsent; i++) {
			if (i > 0)
				buf_ch(b, ' ');
			sentence(b, &r, &c);
		}
		buf_str(b, "\n\n");
	}
	b->len -= 1; /* one newline at the end */
	b->p[b->len] = '\0';
	if (st->wrap)
		wrap(b, start, st->wrap);
}

/* ---- Reprints ------------------------------------------------------------ */

enum kind {
	K_ORIGINAL,
	K_EXACT,
	K_WRAPPED,
	K_EXCERPT,
	K_REWRITE,
	K_OCR,
	K_NKINDS
};
static const char *kind_names[] = {
    "original", "exact", "wrapped", "excerpt", "rewrite", "ocr"};

/* Reprints of one source carry the same banner and footer (boilerplate). */
static void
reprint_wrapped(struct buf *b, const char *orig, size_t len,
    const struct style *st, struct rng *r)
{
	buf_fmt(b,
	    "THE %s %s -- Reprinted with permission\n"
	    "Edition of %s %u. Subscribers can read every story online.\n\n",
	    st->town, st->paper, PICK(r, weekdays), 1 + rng_below(r, 28));
	buf_add(b, orig, len);
	buf_fmt(b,
	    "\n\n---\nCopyright the %s %s. All rights reserved. This "
	    "material may not be published, broadcast, rewritten or "
	    "redistributed without permission. Letters to the editor: "
	    "write to the %s %s, %s.\n",
	    st->town, st->paper, st->town, st->paper, st->town);
}

/* The headline and the first one to three paragraphs. */
static void
reprint_excerpt(struct buf *b, const char *orig, size_t len, struct rng *r)
{
	unsigned want = 3 + rng_below(r, 3), seen = 0; /* incl. head, byline */
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (orig[i] == '\n' && orig[i + 1] == '\n' && ++seen == want)
			break;
	buf_add(b, orig, i);
	buf_str(b, "\n\n(Story continues on page ");
	buf_fmt(b, "%u)\n", 2 + rng_below(r, 20));
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Swap some words for synonyms, drop a paragraph, retitle. */
static void
reprint_rewrite(struct buf *b, const char *orig, size_t len, struct rng *r)
{
	size_t i = 0, j, k, npara = 0, drop;

	for (j = 0; j + 1 < len; j++)
		npara += orig[j] == '\n' && orig[j + 1] == '\n';
	drop = npara > 4 ? 3 + rng_below(r, (uint32_t)(npara - 3)) : 0;
	/* New headline: skip the old one. */
	while (i < len && orig[i] != '\n')
		i++;
	buf_fmt(b, "UPDATE %u: ", 1 + rng_below(r, 3));
	buf_add(b, orig, i);
	npara = 0;
	while (i < len) {
		if (i + 1 < len && orig[i] == '\n' && orig[i + 1] == '\n') {
			npara++;
			if (drop != 0 && npara == drop) {
				/* skip to the next paragraph break */
				for (k = i + 2;
				     k + 1 < len &&
				     !(orig[k] == '\n' && orig[k + 1] == '\n');
				     k++)
					;
				i = k;
				continue;
			}
		}
		if (!is_alpha(orig[i]) || (i > 0 && is_alpha(orig[i - 1]))) {
			buf_ch(b, orig[i++]);
			continue;
		}
		for (j = i; j < len && is_alpha(orig[j]); j++)
			;
		for (k = 0; k < NELEM(synonyms); k++)
			if (strlen(synonyms[k][0]) == j - i &&
			    memcmp(synonyms[k][0], orig + i, j - i) == 0)
				break;
		if (k < NELEM(synonyms) && rng_below(r, 2))
			buf_str(b, synonyms[k][1]);
		else
			buf_add(b, orig + i, j - i);
		i = j;
	}
}

/* Scanned print: look-alike characters, lost and extra spaces, hyphens. */
static void
reprint_ocr(struct buf *b, const char *orig, size_t len, struct rng *r)
{
	double p = 0.005 + 0.02 * rng_unit(r);
	size_t i, col = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = orig[i];
		if (c == '\n' && i + 1 < len && orig[i + 1] != '\n' &&
		    (i == 0 || orig[i - 1] != '\n'))
			c = ' '; /* unwrap: the scan has its own columns */
		if (rng_unit(r) >= p) {
			if (c == ' ' && col > 55 + rng_below(r, 10)) {
				c = '\n';
			} else if (is_alpha(c) && col > 66 && i + 1 < len &&
			           is_alpha(orig[i + 1])) {
				buf_str(b, "-\n");
				col = 0;
			}
			buf_ch(b, c);
			col = c == '\n' ? 0 : col + 1;
			continue;
		}
		switch (rng_below(r, 6)) {
		case 0:
			buf_ch(b, c == 'l'   ? '1'
			          : c == 'o' ? '0'
			          : c == 'O' ? '0'
			          : c == 'e' ? 'c'
			          : c == 'i' ? 'l'
			                     : c);
			break;
		case 1:
			if (c == 'm')
				buf_str(b, "rn");
			else
				buf_ch(b, c == 'S' ? '5' : c == 'B' ? '8' : c);
			break;
		case 2: /* dropped */
			break;
		case 3:
			buf_ch(b, c);
			buf_ch(b, ' ');
			break;
		case 4:
			if (c != ' ')
				buf_ch(b, c);
			break;
		default:
			buf_ch(b, c == ',' ? '.' : c == '.' ? ',' : c);
			break;
		}
		col++;
	}
}

/* ---- Driver -------------------------------------------------------------- */

struct opts {
	uint64_t seed;
	size_t n, start, per_dir, size;
	double reprints;
	const char *dir, *manifest;
	int quiet;
};

/* Whether article i is a reprint, and of which earlier article. */
static enum kind
kind_of(const struct opts *o, size_t i, size_t *orig)
{
	struct rng r;
	size_t back;
	enum kind k;

	rng_seed(&r, o->seed ^ 0x6b696e64ULL, i);
	if (i == 0 || rng_unit(&r) >= o->reprints)
		return K_ORIGINAL;
	/* Mostly recent stories, some from far back. */
	back = rng_below(&r, 4) ? 1 + rng_below(&r, 200)
	                        : 1 + rng_below(&r, 20000);
	*orig = back > i ? i - 1 : i - back;
	k = (enum kind)(1 + rng_below(&r, K_NKINDS - 1));
	/* A reprint of a reprint reprints the original. */
	while (*orig > 0) {
		size_t o2;

		if (kind_of(o, *orig, &o2) == K_ORIGINAL)
			break;
		*orig = o2;
	}
	return k;
}

static void
rel_path(char *out, size_t cap, const struct opts *o, size_t i)
{
	snprintf(out, cap, "s%05zu/a%08zu.txt", i / o->per_dir, i);
}

static int
write_file(const char *path, const char *p, size_t n)
{
	int fd;
	ssize_t k;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0)
		return -errno;
	while (n > 0) {
		k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			k = -errno;
			close(fd);
			return (int)k;
		}
		p += k;
		n -= (size_t)k;
	}
	return close(fd) < 0 ? -errno : 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: reprintd-gen [-q] [-n count] [-s seed] "
	    "[-b bytes] [-r reprint-share]\n"
	    "                    [-d per-dir] [-k start] [-m manifest] dir\n"
	    "  -n  articles to write (10000)\n"
	    "  -s  seed (1)\n"
	    "  -b  mean article size in bytes (5000)\n"
	    "  -r  share of reprints (0.25)\n"
	    "  -d  files per source folder (100)\n"
	    "  -k  index of the first article (0): continue a corpus\n"
	    "  -m  manifest file (dir.manifest.tsv; '-' for none)\n");
}

static int
parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(x >= lo && x <= hi))
		return -1;
	*out = x;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts o = {1, 10000, 0, 100, 5000, 0.25, NULL, NULL, 0};
	struct buf orig = {0}, out = {0}, mpath = {0};
	struct style st, ost;
	struct timespec t0, t1;
	char rel[64], full[4096];
	FILE *mf = NULL;
	size_t i, src = 0, folder = (size_t)-1, counts[K_NKINDS] = {0};
	uint64_t bytes = 0;
	double x, secs;
	enum kind k;
	struct rng r;
	int ch, rc;

	while ((ch = getopt(argc, argv, "n:s:b:r:d:k:m:qh")) != -1) {
		switch (ch) {
		case 'n':
		case 'k':
		case 'd':
		case 'b':
			if (parse_num(optarg, ch == 'd' || ch == 'b' ? 1 : 0,
			        ch == 'b' ? 1 << 24 : 1e10, &x) < 0)
				goto bad;
			if (ch == 'n')
				o.n = (size_t)x;
			else if (ch == 'k')
				o.start = (size_t)x;
			else if (ch == 'd')
				o.per_dir = (size_t)x;
			else
				o.size = (size_t)x;
			break;
		case 's':
			if (parse_num(optarg, 0, 1.8e19, &x) < 0)
				goto bad;
			o.seed = (uint64_t)x;
			break;
		case 'r':
			if (parse_num(optarg, 0, 1, &o.reprints) < 0)
				goto bad;
			break;
		case 'm':
			o.manifest = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (optind + 1 != argc) {
		usage();
		return 1;
	}
	o.dir = argv[optind];
	if (mkdir(o.dir, 0755) < 0 && errno != EEXIST) {
		fprintf(
		    stderr, "reprintd-gen: %s: %s\n", o.dir, strerror(errno));
		return 1;
	}
	if (o.manifest == NULL) {
		buf_str(&mpath, o.dir);
		while (mpath.len > 1 && mpath.p[mpath.len - 1] == '/')
			mpath.p[--mpath.len] = '\0';
		buf_str(&mpath, ".manifest.tsv");
		o.manifest = mpath.p;
	}
	if (strcmp(o.manifest, "-") != 0) {
		if ((mf = fopen(o.manifest, o.start > 0 ? "a" : "w")) == NULL) {
			fprintf(stderr, "reprintd-gen: %s: %s\n", o.manifest,
			    strerror(errno));
			return 1;
		}
		if (o.start == 0)
			fprintf(mf, "path\tkind\toriginal\tbytes\n");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = o.start; i < o.start + o.n; i++) {
		if (i / o.per_dir != folder) {
			folder = i / o.per_dir;
			snprintf(
			    full, sizeof(full), "%s/s%05zu", o.dir, folder);
			if (mkdir(full, 0755) < 0 && errno != EEXIST) {
				fprintf(stderr, "reprintd-gen: %s: %s\n", full,
				    strerror(errno));
				return 1;
			}
			style_of(&st, o.seed, folder);
		}
		k = kind_of(&o, i, &src);
		out.len = 0;
		if (k == K_ORIGINAL) {
			article(&out, o.seed, i, o.size, &st);
		} else {
			style_of(&ost, o.seed, src / o.per_dir);
			orig.len = 0;
			article(&orig, o.seed, src, o.size, &ost);
			rng_seed(&r, o.seed ^ 0x72657072ULL, i);
			switch (k) {
			case K_EXACT:
				buf_add(&out, orig.p, orig.len);
				break;
			case K_WRAPPED:
				reprint_wrapped(
				    &out, orig.p, orig.len, &st, &r);
				break;
			case K_EXCERPT:
				reprint_excerpt(&out, orig.p, orig.len, &r);
				break;
			case K_REWRITE:
				reprint_rewrite(&out, orig.p, orig.len, &r);
				break;
			default:
				reprint_ocr(&out, orig.p, orig.len, &r);
				break;
			}
		}
		buf_ch(&out, '\n');
		rel_path(rel, sizeof(rel), &o, i);
		snprintf(full, sizeof(full), "%s/%s", o.dir, rel);
		if ((rc = write_file(full, out.p, out.len)) < 0) {
			fprintf(stderr, "reprintd-gen: %s: %s\n", full,
			    strerror(-rc));
			return 1;
		}
		bytes += out.len;
		counts[k]++;
		if (mf != NULL) {
			fprintf(mf, "%s\t%s\t", rel, kind_names[k]);
			if (k != K_ORIGINAL) {
				rel_path(full, sizeof(full), &o, src);
				fputs(full, mf);
			}
			fprintf(mf, "\t%zu\n", out.len);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (mf != NULL && fclose(mf) != 0) {
		fprintf(stderr, "reprintd-gen: %s: %s\n", o.manifest,
		    strerror(errno));
		return 1;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!o.quiet) {
		fprintf(stderr,
		    "reprintd-gen: %zu files, %.1f MB (mean %.0f "
		    "bytes) in %.2f s into %s;",
		    o.n, (double)bytes / 1e6,
		    o.n ? (double)bytes / (double)o.n : 0.0, secs, o.dir);
		for (i = 0; i < K_NKINDS; i++)
			fprintf(stderr, " %s %zu", kind_names[i], counts[i]);
		fprintf(stderr, "\n");
	}
	free(orig.p);
	free(out.p);
	free(mpath.p);
	return 0;
bad:
	fprintf(stderr, "reprintd-gen: -%c: bad value \"%s\"\n", ch, optarg);
	return 1;
}
