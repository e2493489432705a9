# lib.sh - shared helpers of the end-to-end tests (sourced, not run).
#
# Each test gets its own temporary directory with an inbox, a state
# directory and a socket, starts the real reprintd there in the background
# and always stops it on exit. The articles below are invented for these
# tests (no real news text).

set -euo pipefail

: "${REPRINTD:?set REPRINTD to the reprintd binary}"
: "${REPRINTCTL:?set REPRINTCTL to the reprintctl binary}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/reprintd-e2e.XXXXXX")
WATCH=$TMP/inbox
STATE=$TMP/state
SOCK=$TMP/reprintd.sock
LOG=$TMP/reprintd.log
PID=
mkdir -p "$WATCH" "$STATE"
# The whole test is bounded, whatever hangs.
# (One-second sleeps: nothing outlives the test by more than a second.)
( for _ in $(seq 1 240); do sleep 1; kill -0 $$ 2>/dev/null || exit 0; done
  echo "e2e: timeout after 240 s" >&2; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

cleanup() {
	local rc=$?
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -KILL "$PID" 2>/dev/null || true
	fi
	kill "$WATCHDOG" 2>/dev/null || true
	if [ "$rc" -ne 0 ] && [ -f "$LOG" ]; then
		echo "--- reprintd log ---" >&2
		tail -n 60 "$LOG" >&2 || true
	fi
	chmod -R u+rwX "$TMP" 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok: $*"
}

ctl() {
	"$REPRINTCTL" --socket "$SOCK" "$@"
}

# metric NAME: the value of an unlabelled sample in GET /v1/metrics.
metric() {
	ctl metrics | awk -v name="$1" '$1 == name { print $2 }'
}

# start_daemon [args...]: start reprintd and wait for its socket.
start_daemon() {
	"$REPRINTD" --watch "$WATCH" --state "$STATE" --socket "$SOCK" \
	    "$@" >>"$LOG" 2>&1 &
	PID=$!
	local i
	for i in $(seq 1 100); do
		if ctl status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || fail "reprintd exited at start"
		sleep 0.1
	done
	fail "reprintd socket did not come up in 10 s"
}

# stop_daemon: SIGTERM, which must stop it within 5 s and remove the socket.
stop_daemon() {
	local i
	kill -TERM "$PID"
	for i in $(seq 1 50); do
		if ! kill -0 "$PID" 2>/dev/null; then
			wait "$PID" || fail "reprintd exited non-zero on SIGTERM"
			PID=
			[ ! -e "$SOCK" ] || fail "socket left behind after SIGTERM"
			return 0
		fi
		sleep 0.1
	done
	fail "reprintd did not stop within 5 s of SIGTERM"
}

# json FIELD: a field of `reprintctl status --json`.
status_field() {
	ctl status --json | python3 -c \
	    'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print("null" if v is None else v)' "$1"
}

# wait_for FIELD VALUE: poll status until FIELD == VALUE and nothing is
# pending (10 s at most).
wait_for() {
	local i v p
	for i in $(seq 1 100); do
		v=$(status_field "$1")
		p=$(status_field pending)
		if [ "$v" = "$2" ] && [ "$p" = 0 ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "status $1 is $v (pending $p), expected $2"
}

# wait_log PATTERN: 0 once the daemon's log has a line matching PATTERN
# (grep), 1 if none within 5 s.
wait_log() {
	local i
	for i in $(seq 1 50); do
		grep -q "$1" "$LOG" && return 0
		sleep 0.1
	done
	grep -q "$1" "$LOG"
}

# json_item STORY TITLE: one JSON line, an item with that story's text.
json_item() {
	"$1" | python3 -c 'import json, sys
print(json.dumps({"title": sys.argv[1], "content": sys.stdin.read()}))' "$2"
}

# Write a file the way a feed fetcher does: a temporary name, then rename.
drop() {
	local dest=$1
	mkdir -p "$(dirname "$dest")"
	cat >"$dest.part"
	mv "$dest.part" "$dest"
}

# ---- Invented articles ---------------------------------------------------

story_bridge() {
	cat <<'EOF'
Port Aldren approves harbor footbridge after decade of debate

The city council of Port Aldren voted seven to two on Tuesday night to
approve a pedestrian bridge across the inner harbor, ending a dispute that
has divided the waterfront neighborhood for almost ten years. The bridge,
a single steel arch of 140 meters, will link the old fish market on the
north quay with the ferry terminal on the south side, a walk that now
takes twenty minutes around the head of the harbor.

Supporters packed the public gallery and cheered when the vote was read.
"My grandmother used to row across this water to sell herring," said
Mirela Vostok, who runs a bakery next to the market. "Now my children will
walk it in four minutes." Opponents, most of them owners of the moored
houseboats along the north quay, argued that the arch would block the
evening light and force them to move their boats during two summers of
construction.

The project is expected to cost 38 million, two thirds of it from a
regional transport fund. Councillor Edvin Marsh, who voted against, said
the city had underestimated the cost of dredging the silt beneath the
southern pier. The harbor authority will open the construction tender in
March, and the first piles could be driven before the end of next year if
no appeal is lodged with the planning tribunal.
EOF
}

story_orchard() {
	cat <<'EOF'
Late frost cuts Kessel valley apple harvest by a third

Growers in the Kessel valley expect to pick about a third fewer apples this
autumn after two nights of hard frost in late April killed blossom across
the lower orchards, the regional fruit cooperative said on Monday.

The cooperative, which markets the fruit of some 240 family farms, had
forecast a crop of 61,000 tonnes in March. Its revised estimate is 41,000
tonnes, the smallest harvest since the drought year that forced many
growers to sell land to the new vineyards on the eastern slopes. Orchards
on the higher terraces escaped the worst of the cold because the frozen
air drained down into the valley floor, where temperatures fell to minus
four degrees before dawn.

"We ran the wind machines all night and lit the smudge pots in the old
rows, but you cannot fight four degrees of frost with fans," said Tomas
Ilvey, whose family has grown russet apples near Lower Kessel for five
generations. He said he would lose most of his early varieties and hoped
the late keepers would pull the season through.

Cider makers are likely to feel the shortage first. The cooperative said it
would honour its contracts with the three valley presses but would not
sell fruit on the open market this year, and it asked the provincial
government to extend the frost relief program that was created after the
storms four years ago.
EOF
}

story_library() {
	cat <<'EOF'
Merrow library reopens with rooftop reading garden

The central library of Merrow reopened to the public on Saturday after a
renovation of two and a half years that added a rooftop reading garden, a
workshop for repairing old books and a children's floor with its own
entrance from the market square.

Hundreds of residents queued in the drizzle before the doors opened at ten
o'clock. The first borrower, a retired ferry engineer named Walther Quist,
said he had waited since the closure to return a book on marine engines
that he had kept for the whole renovation. The library waived his fine,
which by its own calculation would have reached 912 crowns.

The building, a brick warehouse converted into a library in the nineteen
sixties, had leaking roofs and no lift. The renovation, designed by the
local firm Arkiv Nord, kept the original iron columns and the long oak
reading tables, which were restored in the new workshop. Solar panels and
a rainwater tank now supply most of the energy and water for the garden.

Chief librarian Oona Feldt said the number of members had fallen by a
quarter while the branch was closed and temporary reading rooms operated
in a school gym. She hopes the rooftop garden, open until nine in the
evening during the summer months, will bring younger readers back. A
program of evening talks begins next month with a lecture on the history
of the town's shipyards and a workshop on binding notebooks by hand.
EOF
}

story_ferry() {
	cat <<'EOF'
Island ferry service suspended as engine fault grounds only vessel

Ferry service between Halvard Island and the mainland was suspended on
Thursday after an engine fault grounded the route's only vessel, leaving
about 1,800 islanders with no scheduled crossing for at least a week.

The operator, Northsound Lines, said a crack had been found in the cooling
system of the starboard engine of the MV Skerry during routine
inspection. Replacement parts are being shipped from a supplier abroad and
the repair is expected to take eight to ten days. A fishing cooperative has
offered two boats to carry medicine, mail and fresh food, and the coast
guard will evacuate anyone who needs hospital treatment.

Islanders said the breakdown showed the risk of relying on a single ship
built in the nineteen eighties. "Every winter we ask for a second boat and
every winter they say the budget is closed," said Ragna Solli, who chairs
the island's community council. The school on the island will stay open,
but secondary pupils who board on the mainland during the week were told
to stay with their host families over the weekend.

The regional transport office said it was looking for a vessel to charter
and would publish a replacement timetable as soon as one was found. A new
hybrid ferry for the route was ordered last spring but will not be
delivered before the autumn of the year after next.
EOF
}
