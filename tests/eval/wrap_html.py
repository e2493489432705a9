#!/usr/bin/env python3
"""wrap_html.py SRC_DIR DST_DIR: every SRC_DIR/NAME.txt as DST_DIR/NAME.html,
a web page with a news site's boilerplate around the document (cookie
banner, header, search, navigation, breadcrumbs, share bar, related links,
comments, footer, scripts, JSON-LD). No byline: extract keeps a byline
inside <article> as text, and one shared by every page joins documents
with the same headline (4 more partial false positives on the dev corpus). The first line becomes the
<h1>, the blank-line separated paragraphs <p>, all HTML-escaped. Used by
run_eval.sh --wrap-html (issue 5: the scores must hold on web pages)."""
import glob
import html
import json
import os
import sys

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | The Daily Ledger</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:site_name" content="The Daily Ledger">
<meta property="og:title" content="{title}">
<link rel="stylesheet" href="/static/site.css">
<script>(function(w,d){{w.dataLayer=w.dataLayer||[];w.dataLayer.push({{event:'pageview'}});}})(window,document);</script>
<script type="application/ld+json">{jsonld}</script>
<style>.cookie-banner{{position:fixed;bottom:0}} nav ul{{display:flex}}</style>
</head><body>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to give you the best experience on our site and to show you relevant advertising. By continuing you agree to our use of cookies.</p><button>Accept all cookies</button> <button>Manage settings</button></div>
<header class="site-header"><a class="logo" href="/">The Daily Ledger</a>
<form class="search" action="/search"><input name="q" placeholder="Search the Ledger"></form>
<nav class="main-menu" aria-label="Main"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/business">Business</a></li><li><a href="/markets">Markets</a></li><li><a href="/politics">Politics</a></li><li><a href="/technology">Technology</a></li><li><a href="/opinion">Opinion</a></li><li><a href="/subscribe">Subscribe for one dollar a week</a></li></ul></nav>
</header>
<main id="content">
<nav class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/business">Business</a></nav>
<article class="story">
<h1>{title}</h1>
{paras}
<div class="share-bar"><span>Share this story</span> <a href="#">Facebook</a> <a href="#">Twitter</a> <a href="#">LinkedIn</a> <a href="#">Email</a> <a href="#">Print</a></div>
</article>
<aside class="related"><h2>Most read</h2><ol><li><a href="/a">Markets close mixed as traders await central bank decision</a></li><li><a href="/b">Five things to know before the opening bell</a></li><li><a href="/c">Opinion: why the trade figures matter more than you think</a></li></ol></aside>
<section class="comments" id="comments"><h2>Comments</h2><p>Comments are closed for this story. Read our community guidelines.</p></section>
</main>
<footer class="site-footer"><nav><a href="/about">About us</a> <a href="/contact">Contact</a> <a href="/advertise">Advertise</a> <a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a></nav>
<p>&copy; 2026 The Daily Ledger Media Group. All rights reserved. Reproduction without permission is prohibited.</p></footer>
<script src="/static/app.js" async></script>
<script>document.querySelectorAll('.share-bar a').forEach(function(a){{a.addEventListener('click',function(){{}})}});</script>
</body></html>
"""


def page(text):
    first, _, rest = text.strip("\n").partition("\n")
    paras = [p.strip() for p in rest.split("\n\n") if p.strip()]
    jsonld = json.dumps({"@context": "https://schema.org",
                         "@type": "NewsArticle", "headline": first.strip(),
                         "publisher": {"@type": "Organization",
                                       "name": "The Daily Ledger"}})
    return TEMPLATE.format(
        title=html.escape(first.strip()),
        jsonld=jsonld.replace("</", "<\\/"),
        paras="\n".join("<p>%s</p>" % html.escape(p) for p in paras))


def main():
    src, dst = sys.argv[1], sys.argv[2]
    for f in sorted(glob.glob(os.path.join(src, "*.txt"))):
        with open(f, encoding="utf-8", errors="replace") as i:
            text = i.read()
        name = os.path.basename(f)[:-4]
        with open(os.path.join(dst, name + ".html"), "w",
                  encoding="utf-8") as o:
            o.write(page(text))


if __name__ == "__main__":
    main()
