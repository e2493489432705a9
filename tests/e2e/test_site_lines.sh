#!/usr/bin/env bash
# A site's own lines that its pages do not mark (a newsletter's footer)
# are boilerplate once more than boilerplate_df documents hold them. Before
# that, short briefs of one sender shared the footer as a third of their
# text and every one paired `partial` with every other. Now the third
# brief tells the footer from a story (it shares it with two briefs that
# are not copies of each other): it pairs with neither, and the pair of
# the first two, which the footer made, is removed. A brief the sender
# corrects still pairs with its first version, and a copy of a brief by
# another sender still pairs.
source "$(dirname "$0")/lib.sh"

FOOTER="You are receiving this newsletter because you subscribed at the \
Riverside Gazette. To stop receiving these messages, follow the \
unsubscribe link in your account settings. The Riverside Gazette is \
published by Riverside Media Group, 12 Mill Street, Riverside. Copyright \
2026 Riverside Media Group. All rights reserved. Please do not reply to \
this message."

BRIEF[0]="Workers began repairing the old stone bridge over the Alder \
River on Monday after inspectors found cracks in two of its arches. \
Traffic will be diverted through the north industrial estate for about \
six weeks, and buses on route 4 will stop at temporary shelters near the \
library. The county engineer said the repairs would cost roughly 1.2 \
million dollars."
BRIEF[1]="The Riverside Lions beat the Harbor Town Sharks 3 to 1 on \
Saturday, their fourth win in a row. Striker Maya Olsen scored twice in \
the second half, and goalkeeper Tom Reyes saved a penalty late in the \
game. The team now sits second in the regional league, two points behind \
the leaders."
BRIEF[2]="A new farmers market will open every Thursday evening in \
Central Square starting next month. Organizers expect about forty stalls \
selling vegetables, cheese, bread and flowers from farms within fifty \
miles of town. Parking will be free after five o'clock in the municipal \
garage on Elm Street."
BRIEF[3]="The school board voted five to two on Wednesday to extend the \
lunch break at both high schools by ten minutes. Parents had complained \
that students waited too long in line and had little time to eat. The \
change takes effect after the winter holidays, and classes will end ten \
minutes later."

# mail FROM SUBJECT DAY BODY FOOTER: a newsletter message.
mail() {
	printf 'From: %s\nSubject: %s\nDate: Mon, %s Dec 2026 08:00:00 +0000\n' \
	    "$1" "$2" "$3"
	printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n\n%s\n' "$4" "$5"
}
GAZETTE="Riverside Gazette <news@gazette.example>"

start_daemon
for i in 0 1; do
	mail "$GAZETTE" "Briefing $i" "0$((i + 1))" "${BRIEF[$i]}" "$FOOTER" |
	    drop "$WATCH/gazette/brief$i.eml"
	wait_for documents $((i + 1))
done
# Two briefs cannot tell a footer from a story: they pair.
[ "$(ctl pairs --json | grep -c '"relation":"partial"')" = 1 ] ||
    fail "the first two briefs: $(ctl pairs --json)"
for i in 2 3; do
	mail "$GAZETTE" "Briefing $i" "0$((i + 1))" "${BRIEF[$i]}" "$FOOTER" |
	    drop "$WATCH/gazette/brief$i.eml"
	wait_for documents $((i + 1))
done
[ -z "$(ctl pairs --json)" ] || fail "briefs paired: $(ctl pairs --json)"
grep -q "unpaired partial: gazette/brief0.eml ∩ gazette/brief1.eml (the site's own lines, found in gazette/brief2.eml too)" "$LOG" ||
    fail "the first two briefs' pair is not said to be removed"
[ "$(status_field pairs)" = 0 ] || fail "status counts $(status_field pairs) pairs"
ok "a sender's footer pairs none of its briefs, and unpairs the first two"

# The sender corrects the first brief (a day and a word): a copy of it,
# whose footer is masked as the site's but whose story is not.
fixed=${BRIEF[0]/roughly/about}
mail "$GAZETTE" "Briefing 0 (corrected)" 05 "${fixed/Monday/Tuesday}" \
    "$FOOTER" | drop "$WATCH/gazette/brief0-fixed.eml"
wait_for documents 5
ctl pairs --json >"$TMP/p.json"
python3 - "$TMP/p.json" <<'PY' || fail "correction: $(cat "$TMP/p.json")"
import json, sys
p = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(p) == 1, p
assert {p[0]["a"], p[0]["b"]} == {"gazette/brief0.eml",
                                  "gazette/brief0-fixed.eml"}, p
assert p[0]["relation"] == "near_duplicate", p
PY
# Corrected again: a copy of both, which are copies of each other (their
# text is a story, not the site's lines).
again=${fixed/cracks/deep cracks}
mail "$GAZETTE" "Briefing 0 (corrected again)" 06 "${again/Tuesday/Monday}" \
    "$FOOTER" | drop "$WATCH/gazette/brief0-fixed2.eml"
wait_for documents 6
[ "$(ctl matches gazette/brief0-fixed2.eml --json | grep -c '"relation":"near_duplicate"')" = 2 ] ||
    fail "the second correction: $(ctl matches gazette/brief0-fixed2.eml --json)"
ok "a sender's corrected brief is a copy of its first versions"

# Another sender reprints the sports brief under its own footer: a copy
# from another source, whatever the Gazette's footer.
mail "Valley Sports Weekly <desk@valley.example>" "Lions win again" 07 \
    "${BRIEF[1]}" "Valley Sports Weekly, the sound of the valley's teams." |
    drop "$WATCH/valley/lions.eml"
wait_for documents 7
ctl matches valley/lions.eml --json >"$TMP/m.json"
grep -q '"path":"gazette/brief1.eml"' "$TMP/m.json" ||
    fail "the reprint: $(cat "$TMP/m.json")"
[ "$(grep -c '"path"' "$TMP/m.json")" = 1 ] ||
    fail "the reprint matches more: $(cat "$TMP/m.json")"
ok "another sender's reprint of a brief pairs with it"

# A story that repeats a paragraph of another story of the site is
# partial reuse, and stays so when the first story is saved again (the
# copy holds the paragraph because it is the same story, not because the
# paragraph is the site's).
story_library | drop "$WATCH/herald/library.txt"
wait_for documents 8
{
	echo "Merrow council approves budget for a second branch library"
	echo
	echo "The town council of Merrow voted on Tuesday to fund a second branch"
	echo "library in the harbour district, where the nearest reading room"
	echo "closed a decade ago. The branch will share a building with the new"
	echo "health centre and open three evenings a week from next spring."
	echo
	story_library | awk 'BEGIN { RS = "" } NR == 3 { print }'
	echo
	echo "Councillors argued for an hour over the cost of staffing the branch"
	echo "on Saturdays, and settled on volunteers from the reading society for"
	echo "the first year. The harbour district's school will lend its hall"
	echo "for story hours until the branch has a room of its own for them."
} | drop "$WATCH/herald/branch.txt"
wait_for documents 9
ctl matches herald/branch.txt --json | grep -q '"path":"herald/library.txt","relation":"partial"' ||
    fail "the repeated paragraph: $(ctl matches herald/branch.txt --json)"
story_library | sed 's/drizzle/rain/' | drop "$WATCH/herald/library-updated.txt"
wait_for documents 10
ctl matches herald/branch.txt --json >"$TMP/b.json"
grep -q '"path":"herald/library.txt","relation":"partial"' "$TMP/b.json" &&
    grep -q '"path":"herald/library-updated.txt","relation":"partial"' "$TMP/b.json" ||
    fail "the site's reuse after a copy of its story: $(cat "$TMP/b.json")"
! grep -q "unpaired partial: herald/" "$LOG" || fail "$(grep unpaired "$LOG")"
ok "a paragraph one story of a site repeats from another stays partial reuse"

# A query is matched as an arriving file: its source from its name's
# folder when its metadata has none.
story_ferry >"$TMP/ferry.txt"
curl -s --unix-socket "$SOCK" --data-binary @"$TMP/ferry.txt" \
    "http://localhost/v1/query?name=herald%2Fferry.txt" |
    grep -q '"source":"herald"' || fail "the query's source"
ok "a query's source is its folder's, as an arriving file's"
