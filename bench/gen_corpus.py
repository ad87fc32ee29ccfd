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
  www/small/p-NNNNN.EXT     --small-images small distinct images (2 .. 20 KiB, JPEG/PNG/GIF/WebP
                            magic bytes, so nginx types them image/*), cited by
  www/small-a/s-NNN.html    the small-image articles (--small-per-article each)
  www/rescue-a/r-NNN.html   articles citing --rescue-refs references /rescue/gone-NNNNN.jpg that
                            nginx does not have (404), whose originals are in
  rescue/captures.warc.gz   a WARC (gzip per record, written here with the standard library) that
                            pywb serves as a public web archive in the rescue scenario

The serve scenario's object is img/i-0000.jpg, the most cited image of the pool: it is made
exactly 100 KiB (corpus.json: serve_image, serve_sha256, serve_article, an article citing it
and not the video, so the article's WARC export stays small).

  lists/articles.txt        article URLs (the corpus)
  lists/unique-urls.txt     every distinct URL linkvault fetches for the corpus: the articles and
                            each distinct reference (what the downloaders are given)
  lists/aria2.txt, curl.cfg the same list with a distinct output name for each URL
  lists/big-article.txt, lists/scale-articles.txt, lists/small-articles.txt,
  lists/small-aria2.txt, small-curl.cfg
                            the small-image articles and images, an output name each (aria2c, curl)
  lists/rescue-articles.txt
  corpus.json               counts and sizes

Same arguments, same bytes: every random choice comes from one seeded generator.
"""

import argparse
import gzip
import hashlib
import json
import math
import os
import random
import uuid

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


def base32_sha1(data):
    """The WARC payload digest: SHA-1 in base 32."""
    import base64
    return base64.b32encode(hashlib.sha1(data).digest()).decode()


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
    ap.add_argument("--small-images", type=int, default=10000, help="small distinct images")
    ap.add_argument("--small-per-article", type=int, default=500)
    ap.add_argument("--rescue-refs", type=int, default=1000, help="dead references with an archived copy")
    ap.add_argument("--rescue-per-article", type=int, default=500)
    ap.add_argument("--serve-kib", type=int, default=100, help="size of the serve scenario's image")
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
        data = b"\xff\xd8\xff\xe0" + rng.randbytes(size - 4)
        if i == 0:
            # The serve scenario's image: exactly --serve-kib KiB, from its own generator so
            # the rest of the corpus stays what it was.
            size = a.serve_kib * 1024
            data = b"\xff\xd8\xff\xe0" + random.Random(a.seed + 3).randbytes(size - 4)
            serve_sha256 = hashlib.sha256(data).hexdigest()
        image_sizes.append(size)
        write(os.path.join(www, "img", f"i-{i:04d}.jpg"), data)
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
    serve_article = None
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
        if serve_article is None and "/img/i-0000.jpg" in cited and not n_video:
            serve_article = articles[-1]

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

    # Small distinct images (their own generator: the corpus above does not change with them).
    srng = random.Random(a.seed + 10)
    magics = ((".jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"), (".png", b"\x89PNG\r\n\x1a\n"),
              (".gif", b"GIF89a"), (".webp", None))
    small_paths, small_bytes = [], 0
    for i in range(a.small_images):
        ext, magic = magics[i % len(magics)]
        size = srng.randint(2 * 1024, 20 * 1024)
        if magic is None:  # RIFF <size> WEBP VP8
            magic = b"RIFF" + (size - 8).to_bytes(4, "little") + b"WEBPVP8 "
        path = f"/small/p-{i:05d}{ext}"
        write(os.path.join(www, path[1:]), magic + srng.randbytes(size - len(magic)))
        small_paths.append(path)
        small_bytes += size
    small_articles = []
    for s_ in range(math.ceil(a.small_images / a.small_per_article)):
        chunk = small_paths[s_ * a.small_per_article:(s_ + 1) * a.small_per_article]
        figs = "\n".join(f'<figure><img src="{p}" alt="picture {p[9:14]}"></figure>' for p in chunk)
        write(os.path.join(www, "small-a", f"s-{s_:03d}.html"), page(f"Small images {s_}", figs))
        small_articles.append(f"{base}/small-a/s-{s_:03d}.html")

    # Dead references whose originals a web archive (pywb) holds: nginx answers 404 for them.
    rrng = random.Random(a.seed + 20)
    rescue_articles = []
    rescue_dir = os.path.join(a.out, "rescue")
    os.makedirs(rescue_dir, exist_ok=True)
    with open(os.path.join(rescue_dir, "captures.warc.gz"), "wb") as warc:
        for k in range(a.rescue_refs):
            body = b"\xff\xd8\xff\xe0" + rrng.randbytes(rrng.randint(2048, 8192))
            http = (b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            day = 10 + k % 10
            head = (
                "WARC/1.0\r\nWARC-Type: response\r\n"
                f"WARC-Record-ID: <urn:uuid:{uuid.UUID(int=rrng.getrandbits(128), version=4)}>\r\n"
                f"WARC-Date: 2018-09-{day:02d}T12:00:00Z\r\n"
                f"WARC-Target-URI: {base}/rescue/gone-{k:05d}.jpg\r\n"
                "WARC-Payload-Digest: sha1:" + base32_sha1(body) + "\r\n"
                "Content-Type: application/http; msgtype=response\r\n"
                f"Content-Length: {len(http)}\r\n\r\n"
            ).encode()
            warc.write(gzip.compress(head + http + b"\r\n\r\n", mtime=0))
    for s_ in range(math.ceil(a.rescue_refs / a.rescue_per_article)):
        ks = range(s_ * a.rescue_per_article, min(a.rescue_refs, (s_ + 1) * a.rescue_per_article))
        figs = "\n".join(f'<figure><img src="/rescue/gone-{k:05d}.jpg" alt="lost {k}"></figure>' for k in ks)
        write(os.path.join(www, "rescue-a", f"r-{s_:03d}.html"), page(f"Rescue {s_}", figs))
        rescue_articles.append(f"{base}/rescue-a/r-{s_:03d}.html")

    if serve_article is None:  # (a tiny corpus) any article citing it, else the first
        serve_article = next((u for u in articles if "/img/i-0000.jpg" in open(
            os.path.join(www, u[len(base) + 1:])).read()), articles[0] if articles else None)

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
    with open(os.path.join(lists, "small-articles.txt"), "w") as f:
        f.write("\n".join(small_articles) + "\n")
    with open(os.path.join(lists, "small-aria2.txt"), "w") as f:
        for i, u in enumerate(small_articles + [base + p for p in small_paths]):
            f.write(f"{u}\n  out=f{i:06d}\n")
    with open(os.path.join(lists, "small-curl.cfg"), "w") as f:
        for i, u in enumerate(small_articles + [base + p for p in small_paths]):
            f.write(f'url = "{u}"\noutput = "f{i:06d}"\n')
    with open(os.path.join(lists, "rescue-articles.txt"), "w") as f:
        f.write("\n".join(rescue_articles) + "\n")

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
        "small_images": a.small_images,
        "small_articles": len(small_articles),
        "small_bytes": small_bytes,
        "rescue_refs": a.rescue_refs,
        "rescue_articles": len(rescue_articles),
        "serve_image": f"{base}/img/i-0000.jpg",
        "serve_bytes": a.serve_kib * 1024,
        "serve_sha256": serve_sha256,
        "serve_article": serve_article,
    }
    with open(os.path.join(a.out, "corpus.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
