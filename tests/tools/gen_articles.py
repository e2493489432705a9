#!/usr/bin/env python3
"""gen_articles.py - invented news articles, some of them reprints.

usage: gen_articles.py DIR N [--seed S] [--subdirs K]

Writes N files DIR/[feedK/]NNNNN.txt. Words are made of random syllables,
so no real text is involved and every run with the same seed writes the
same bytes. About one article in six is a reprint of an earlier one: an
exact copy, a copy with a few words changed and a new headline (near
duplicate) or its first paragraphs only (excerpt). File i gets mtime
BASE + i seconds, so that reprintd's scan order (mtime, then path) is
the order of generation and the originals come first.
"""
import argparse
import os
import random

SYL = ("ka ro mi te na lo vu sel dar ith mon bre cal fen gor hul jas kel "
       "lim nor pel quin ras sto tav ul ven wis yar zel an ber cor dun "
       "el fir gal hes ist jor kun lar mer nev ost pra rin sul tor ur").split()
BASE = 1700000000


def word(rng):
    return "".join(rng.choice(SYL) for _ in range(rng.randint(1, 3)))


def sentence(rng, vocab):
    n = rng.randint(8, 20)
    ws = [rng.choice(vocab) for _ in range(n)]
    if rng.random() < 0.3:
        ws.insert(rng.randint(0, n), str(rng.randint(2, 9999)))
    ws[0] = ws[0].capitalize()
    return " ".join(ws) + "."


def article(rng, vocab):
    title = " ".join(rng.choice(vocab) for _ in range(rng.randint(4, 8)))
    paras = []
    for _ in range(rng.randint(4, 7)):
        paras.append(" ".join(sentence(rng, vocab)
                              for _ in range(rng.randint(3, 6))))
    return [title.capitalize()] + paras


def near_dup(rng, vocab, art):
    out = [" ".join(rng.choice(vocab) for _ in range(6)).capitalize()]
    for p in art[1:]:
        ws = p.split(" ")
        for _ in range(max(1, len(ws) // 40)):
            ws[rng.randrange(len(ws))] = rng.choice(vocab)
        out.append(" ".join(ws))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--subdirs", type=int, default=4)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    # A large vocabulary with a skewed draw: common words repeat across
    # articles as in real news, rare ones make each article distinct.
    vocab = list({word(rng) for _ in range(30000)})
    vocab.sort()
    rng.shuffle(vocab)
    common = vocab[:300]
    arts = []
    for i in range(a.n):
        r = rng.random()
        if arts and r < 0.06:
            art = list(rng.choice(arts))                # exact copy
        elif arts and r < 0.12:
            art = near_dup(rng, vocab, rng.choice(arts))
        elif arts and r < 0.16:
            src = rng.choice(arts)                      # excerpt
            art = src[:1 + max(1, (len(src) - 1) // 2)]
        else:
            v = common + rng.sample(vocab, 400)
            art = article(rng, v)
        arts.append(art)
        sub = "feed%d" % (i % a.subdirs) if a.subdirs > 0 else ""
        d = os.path.join(a.dir, sub)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "%05d.txt" % i)
        tmp = path + ".part"
        with open(tmp, "w") as f:
            f.write("\n\n".join(art) + "\n")
        os.utime(tmp, (BASE + i, BASE + i))
        os.rename(tmp, path)


if __name__ == "__main__":
    main()
