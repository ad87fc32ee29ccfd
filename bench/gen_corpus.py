#!/usr/bin/env python3
"""Deterministic benchmark corpus for bench/run.sh (Python 3 standard library only).

Writes a static site under OUT/www and the URL lists the contenders need under OUT/lists:

  www/a/article-NNNN.html   articles, 25 references each, all inside <article>:
                            images from a shared pool (Zipf-weighted, so the same bytes are cited
                            by many articles), cited source pages (<a href>), ~10% references
                            that do not exist (real nginx 404s), and every VIDEO_EVERY-th article
                            a <video src> of the one big video
  www/img/i-NNNN.jpg        the image pool (random bytes, log-normal sizes 2 KiB .. 600 KiB)
  www/src/page-NNN.html     cited source pages (HTML, 4 .. 40 KiB of text)
  www/media/video.mp4       the video (--video-mib)
  www/media/big.bin         the big-media file (--big-mib), cited alone by a/big.html
  www/scale/s-NNNN.html     the scale articles: --scale-refs references to /t/<n> (answered by
                            nginx itself, see run.sh), 5% of them to /t-gone/<n> (404)

  lists/articles.txt        article URLs (the corpus)
  lists/unique-urls.txt     every distinct URL linkvault fetches for the corpus: the articles and
                            each distinct reference (what the downloaders are given)
  lists/aria2.txt, curl.cfg the same list with a distinct output name for each URL
  lists/big-article.txt, lists/scale-articles.txt
  corpus.json               counts and sizes

Same arguments, same bytes: every random choice comes from one seeded generator.
"""

import argparse
import json
import math
import os
import random

WORDS = (
    "the regime rally protest city square video photo witness report army border refugees "
    "statement council night morning crowd banner march police camp aid convoy hospital school "
    "market bridge river district province media agency source according people thousands"
).split()


def text(rng, n_words):
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def write_random_file(path, mib, seed):
    """MiB of deterministic random bytes, written in 1 MiB blocks (fast, little memory)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path) and os.path.getsize(path) == mib * 1024 * 1024:
        return  # same seed, same size: already there
    rng = random.Random(seed)
    with open(path + ".tmp", "wb") as f:
        for _ in range(mib):
            f.write(rng.randbytes(1024 * 1024))
    os.replace(path + ".tmp", path)


def page(title, body):
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title></head>\n<body>\n<article>\n<h1>{title}</h1>\n{body}\n"
        "</article>\n</body></html>\n"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", required=True, help="e.g. http://127.0.0.1:18080")
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--refs", type=int, default=25, help="references per article")
    ap.add_argument("--images", type=int, default=1500, help="size of the shared image pool")
    ap.add_argument("--sources", type=int, default=300, help="cited source pages")
    ap.add_argument("--video-mib", type=int, default=256)
    ap.add_argument("--video-every", type=int, default=25, help="every Nth article cites the video")
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("--scale-refs", type=int, default=100000)
    ap.add_argument("--scale-per-article", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240915)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    www = os.path.join(a.out, "www")
    lists = os.path.join(a.out, "lists")
    os.makedirs(lists, exist_ok=True)
    base = a.base.rstrip("/")

    # The image pool: log-normal sizes around 40 KiB.
    image_sizes = []
    for i in range(a.images):
        size = int(min(600 * 1024, max(2048, rng.lognormvariate(math.log(40 * 1024), 0.9))))
        image_sizes.append(size)
        write(os.path.join(www, "img", f"i-{i:04d}.jpg"), b"\xff\xd8\xff\xe0" + rng.randbytes(size - 4))
    # Zipf-like popularity: a few images are cited by very many articles.
    weights = [1.0 / (k + 1) ** 0.9 for k in range(a.images)]

    source_sizes = []
    for s in range(a.sources):
        words = rng.randint(700, 7000)
        html = page(f"Source {s}", "<p>" + text(rng, words) + "</p>")
        source_sizes.append(len(html))
        write(os.path.join(www, "src", f"page-{s:03d}.html"), html)

    write_random_file(os.path.join(www, "media", "video.mp4"), a.video_mib, a.seed + 1)
    write_random_file(os.path.join(www, "media", "big.bin"), a.big_mib, a.seed + 2)
    write(os.path.join(www, "a", "big.html"),
          page("Big media", '<p>The whole recording:</p>\n<a href="/media/big.bin">download</a>'))

    articles, refs = [], {}
    citations = missing_citations = 0
    for n in range(a.articles):
        body, cited = [], set()

        def cite(path, html):
            nonlocal citations
            if path in cited:
                return False
            cited.add(path)
            citations += 1
            refs[path] = True
            body.append(html)
            return True

        # ~10% missing: 2 or 3 of 25 alternately (2.5 on average); a third of them shared.
        n_missing = round(a.refs * 0.1 + (0.5 if n % 2 else -0.5))
        n_video = 1 if n % a.video_every == 0 else 0
        n_sources = a.refs // 5
        n_images = a.refs - n_missing - n_video - n_sources
        body.append("<p>" + text(rng, 120) + "</p>")
        if n_video:
            cite("/media/video.mp4", '<video controls src="/media/video.mp4"></video>')
        while len(cited) < n_video + n_images:
            i = rng.choices(range(a.images), weights)[0]
            cite(f"/img/i-{i:04d}.jpg",
                 f'<figure><img src="/img/i-{i:04d}.jpg" alt="photo {i}">'
                 f"<figcaption>{text(rng, 8)}</figcaption></figure>")
        while len(cited) < n_video + n_images + n_sources:
            s = rng.randrange(a.sources)
            cite(f"/src/page-{s:03d}.html",
                 f'<p>{text(rng, 30)} <a href="/src/page-{s:03d}.html">{text(rng, 3)}</a>.</p>')
        for k in range(n_missing):
            if rng.random() < 0.33:
                path = f"/img/gone-shared-{rng.randrange(40):02d}.jpg"
            elif k % 2:
                path = f"/src/gone-{n:04d}-{k}.html"
            else:
                path = f"/img/gone-{n:04d}-{k}.jpg"
            tag = (f'<img src="{path}" alt="lost">' if path.endswith(".jpg")
                   else f'<a href="{path}">a deleted source</a>')
            if cite(path, f"<p>{text(rng, 20)} {tag}</p>"):
                missing_citations += 1
        body.append("<p>" + text(rng, 80) + "</p>")
        write(os.path.join(www, "a", f"article-{n:04d}.html"), page(f"Article {n}", "\n".join(body)))
        articles.append(f"{base}/a/article-{n:04d}.html")

    scale_articles = []
    per = a.scale_per_article
    for s in range(math.ceil(a.scale_refs / per)):
        links = []
        for k in range(s * per, min(a.scale_refs, (s + 1) * per)):
            path = f"/t-gone/{k}" if k % 20 == 7 else f"/t/{k}"
            links.append(f'<li><a href="{path}">ref {k}</a></li>')
        write(os.path.join(www, "scale", f"s-{s:04d}.html"),
              page(f"Scale {s}", "<ul>\n" + "\n".join(links) + "\n</ul>"))
        scale_articles.append(f"{base}/scale/s-{s:04d}.html")

    unique = articles + [base + p for p in sorted(refs)]
    with open(os.path.join(lists, "articles.txt"), "w") as f:
        f.write("\n".join(articles) + "\n")
    with open(os.path.join(lists, "unique-urls.txt"), "w") as f:
        f.write("\n".join(unique) + "\n")
    with open(os.path.join(lists, "aria2.txt"), "w") as f:
        for i, u in enumerate(unique):
            f.write(f"{u}\n  out=f{i:06d}\n")
    with open(os.path.join(lists, "curl.cfg"), "w") as f:
        for i, u in enumerate(unique):
            f.write(f'url = "{u}"\noutput = "f{i:06d}"\n')
    with open(os.path.join(lists, "big-article.txt"), "w") as f:
        f.write(f"{base}/a/big.html\n")
    with open(os.path.join(lists, "scale-articles.txt"), "w") as f:
        f.write("\n".join(scale_articles) + "\n")

    used_images = [int(p[7:11]) for p in refs if p.startswith("/img/i-")]
    used_sources = [int(p[10:13]) for p in refs if p.startswith("/src/page-")]
    n_missing_unique = sum(1 for p in refs if "gone" in p)
    stats = {
        "seed": a.seed,
        "articles": a.articles,
        "refs_per_article": a.refs,
        "citations": citations,
        "missing_citations": missing_citations,
        "unique_refs": len(refs),
        "unique_urls_incl_articles": len(unique),
        "unique_missing": n_missing_unique,
        "unique_images": len(used_images),
        "unique_sources": len(used_sources),
        "video_citations": (a.articles + a.video_every - 1) // a.video_every,
        "video_mib": a.video_mib,
        "big_mib": a.big_mib,
        "unique_bytes": sum(image_sizes[i] for i in used_images)
        + sum(source_sizes[s] for s in used_sources)
        + a.video_mib * 1024 * 1024,
        "scale_refs": a.scale_refs,
        "scale_articles": len(scale_articles),
    }
    with open(os.path.join(a.out, "corpus.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
