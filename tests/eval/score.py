#!/usr/bin/env python3
"""Score reprintd's flagged pairs against a labeled corpus.

Usage: score.py CORPUS_DIR FLAGGED_JSONL [--json OUT] [--min-precision P]
                [--min-recall R] [--show N]

CORPUS_DIR has pairs.tsv or expected.tsv (doc_a, doc_b, relation; optional
header) and may
have siblings.tsv (two reprints of one original) and truth_original.tsv
(variant, original, relation). Document names are file names without the
.txt extension. FLAGGED_JSONL is `reprintctl pairs --json` output.

Scoring (as the dev corpus README defines it): a flagged pair is right when
both documents belong to the same story; a true pair is found when the
flagged non-partial pairs connect its two documents. `partial` pairs are
the exception: right only as flagged pairs (of either relation), and a
flagged pair must never join the two sources of a roundup. Any two
documents not linked by a positive pair or a sibling are different stories.
"""
import argparse
import collections
import json
import os
import sys

NEGATIVE_PREFIX = "distinct"
# Labels of the corpus mapped onto reprintd's relations.
RELATION_OF = {
    "exact": "exact",
    "boilerplate": "near_duplicate",
    "rewrite": "near_duplicate",
    "reorder": "near_duplicate",
    "ocr": "near_duplicate",
    "near_duplicate": "near_duplicate",
    "excerpt": "excerpt",
    "partial": "partial",
}

# Labels mapped onto the pairs' "how" (an OCR copy's typos are edits).
HOW_OF = {
    "exact": "exact",
    "boilerplate": "boilerplate",
    "rewrite": "rewrite",
    "reorder": "reorder",
    "ocr": "rewrite",
    "excerpt": "excerpt",
    "partial": "partial",
}


def stem(path):
    base = os.path.basename(path)
    return base[:-4] if base.endswith(".txt") else base.rsplit(".", 1)[0]


def read_tsv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 3 or cols[0] in ("doc_a", "a", "variant"):
                continue
            rows.append([stem(c) for c in cols[:2]] + cols[2:])
    return rows


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        self.parent[self.find(a)] = self.find(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("flagged")
    ap.add_argument("--json", help="write the figures as JSON here")
    ap.add_argument("--min-precision", type=float, default=0.0)
    ap.add_argument("--min-recall", type=float, default=0.0)
    ap.add_argument("--show", type=int, default=20,
                    help="false positives/negatives to list")
    args = ap.parse_args()

    pairs_file = os.path.join(args.corpus, "pairs.tsv")
    if not os.path.exists(pairs_file):  # the seeds name it expected.tsv
        pairs_file = os.path.join(args.corpus, "expected.tsv")
    pairs = read_tsv(pairs_file)
    siblings = read_tsv(os.path.join(args.corpus, "siblings.tsv"))
    truth = {r[0]: r[1] for r in read_tsv(
        os.path.join(args.corpus, "truth_original.tsv"))}

    story = UnionFind()
    positives, negatives, partial_true = [], [], set()
    for a, b, rel in (r[:3] for r in pairs):
        if rel.startswith(NEGATIVE_PREFIX):
            negatives.append((a, b, rel))
        elif rel == "partial":
            partial_true.add(frozenset((a, b)))
            positives.append((a, b, rel))
        else:
            story.union(a, b)
            positives.append((a, b, rel))
    for a, b, _ in (r[:3] for r in siblings):
        story.union(a, b)

    flagged = []
    with open(args.flagged, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                p = json.loads(line)
                orig = stem(p["original"]) if p.get("original") else None
                flagged.append((stem(p["a"]), stem(p["b"]), p["relation"],
                                orig, p))

    joined = UnionFind()
    flagged_set = {}
    for a, b, rel, orig, p in flagged:
        flagged_set[frozenset((a, b))] = (rel, orig, p)
        if rel != "partial":
            joined.union(a, b)

    right, wrong_list = 0, []
    for a, b, rel, orig, p in flagged:
        key = frozenset((a, b))
        ok = key in partial_true or story.find(a) == story.find(b)
        if ok:
            right += 1
        else:
            wrong_list.append(p)
    precision = right / len(flagged) if flagged else 1.0

    per = collections.defaultdict(lambda: [0, 0])
    missed = []
    rel_right = rel_total = orig_right = orig_total = 0
    confusion = collections.Counter()
    how_right = how_total = 0
    how_confusion = collections.Counter()
    for a, b, rel in positives:
        key = frozenset((a, b))
        if rel == "partial":
            found = key in flagged_set
        else:
            found = joined.find(a) == joined.find(b)
        per[rel][1] += 1
        if found:
            per[rel][0] += 1
        else:
            missed.append((a, b, rel))
        if key in flagged_set:
            frel, forig, _ = flagged_set[key]
            rel_total += 1
            rel_right += RELATION_OF.get(rel, rel) == frel
            confusion[(rel, frel)] += 1
            fhow = flagged_set[key][2].get("how")
            if fhow is not None and rel in HOW_OF:
                how_total += 1
                how_right += HOW_OF[rel] == fhow
                how_confusion[(rel, fhow)] += 1
            want = truth.get(a) if a in truth else truth.get(b)
            if want is not None and rel != "partial":
                orig_total += 1
                orig_right += forig == want
    found_all = sum(v[0] for v in per.values())
    recall = found_all / len(positives) if positives else 1.0
    f1 = (2 * precision * recall / (precision + recall)
          if precision + recall else 0.0)

    joined_neg = collections.Counter()
    joined_list = []
    for a, b, rel in negatives:
        if joined.find(a) == joined.find(b):
            joined_neg[rel] += 1
            joined_list.append((a, b, rel))

    print("flagged pairs      %d" % len(flagged))
    print("precision          %.4f" % precision)
    print("recall             %.4f" % recall)
    print("F1                 %.4f" % f1)
    print("relation right     %.4f (%d/%d flagged true pairs)" % (
        rel_right / rel_total if rel_total else 1.0, rel_right, rel_total))
    print("original right     %.4f (%d/%d)" % (
        orig_right / orig_total if orig_total else 1.0, orig_right,
        orig_total))
    print("relation flagged, by label (label: flagged=count ...):")
    for rel in sorted({k[0] for k in confusion}):
        print("  %-16s %s" % (rel, " ".join(
            "%s=%d" % (f, c) for (r, f), c in sorted(confusion.items())
            if r == rel)))
    if how_total:
        print("how right          %.4f (%d/%d flagged true pairs)" % (
            how_right / how_total, how_right, how_total))
        print("how, by label (label: how=count ...):")
        for rel in sorted({k[0] for k in how_confusion}):
            print("  %-16s %s" % (rel, " ".join(
                "%s=%d" % (f, c) for (r, f), c in
                sorted(how_confusion.items()) if r == rel)))
    print("recall by relation:")
    for rel in sorted(per):
        got, tot = per[rel]
        print("  %-16s %.4f (%d/%d)" % (rel, got / tot, got, tot))
    print("negative pairs joined: %d %s" % (
        sum(joined_neg.values()), dict(joined_neg) if joined_neg else ""))
    for p in wrong_list[:args.show]:
        print("  FP %s %s %s j=%.3f c=%.3f" % (
            p["a"], p["b"], p["relation"], p.get("jaccard", 0),
            p.get("containment", 0)))
    for a, b, rel in missed[:args.show]:
        print("  FN %s %s %s" % (a, b, rel))
    for a, b, rel in joined_list[:args.show]:
        print("  JOINED %s %s %s" % (a, b, rel))

    figures = {
        "flagged": len(flagged), "precision": precision, "recall": recall,
        "f1": f1,
        "relation_accuracy": rel_right / rel_total if rel_total else 1.0,
        "original_accuracy": orig_right / orig_total if orig_total else 1.0,
        "how_accuracy": how_right / how_total if how_total else None,
        "recall_by_relation": {r: v[0] / v[1] for r, v in per.items()},
        "negatives_joined": dict(joined_neg),
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    ok = precision >= args.min_precision and recall >= args.min_recall
    if not ok:
        print("FAIL: precision %.4f (min %.2f), recall %.4f (min %.2f)" % (
            precision, args.min_precision, recall, args.min_recall))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
