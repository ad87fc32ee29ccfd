#!/usr/bin/env python3
"""Fills a linkvault database for the scale benchmark (Python 3 standard library only).

The database must already exist with linkvault's schema: bench/run.sh creates it by running
`linkvault run` once on an empty archive, so the migrations are linkvault's own. This script then
bulk-inserts, deterministically:

  --articles     articles (origin cli, read recently, next read 10 years away)
  --refs         references over --hosts hosts, mixed kinds and states: ~80% alive, ~12% dead
                 (404, 410, dns, soft 404; half of them confirmed), ~4% blocked (403), ~4%
                 transient (timeout, 503); nothing unchecked, and every next_check_at,
                 rescue_next_at and submit_next_at 10 years away (checked, looked up in the web
                 archives, submitted), so a `run` has nothing due
  citations      each reference cited by one article, every 10th by a second one as well
  --checks       checks spread evenly over the references (5 each for 1M / 5M), the last one
                 matching the reference's state, spaced a week apart over the past months
  snapshots      one good capture (and its object row) for every alive reference and for half
                 of the failing ones (the "rescued" copies the report counts)
  runs           one per week of history

Indexes are dropped during the load and recreated from linkvault's own definitions. Memory stays
bounded whatever the size (10,000,000 references / 50,000,000 checks: ~13 GB of database, a few
minutes): rows are streamed, checks are inserted one round at a time in row-id order (no sort),
and the index builds sort in --cache-mib of memory, spilling to temporary files beside the
database (or in --tmpdir).
Prints the URL of one reference with a full history (for `linkvault history`).
"""

import argparse
import os
import random
import sqlite3
import time

KINDS = ["image"] * 6 + ["page"] * 3 + ["video"]
EXT = {"image": ".jpg", "page": ".html", "video": ".mp4"}
WEEK = 7 * 86400


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--refs", type=int, default=1_000_000)
    ap.add_argument("--checks", type=int, default=5_000_000)
    ap.add_argument("--articles", type=int, default=0, help="default: refs / 25")
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cache-mib", type=int, default=256, help="SQLite page cache and sort memory")
    ap.add_argument("--tmpdir", help="where index builds spill (default: beside the database)")
    a = ap.parse_args()
    # Read by SQLite when it first opens a temporary file: set before connecting.
    os.environ["SQLITE_TMPDIR"] = a.tmpdir or os.path.dirname(os.path.abspath(a.db))
    n_articles = a.articles or max(1, a.refs // 25)
    per_ref = max(1, a.checks // a.refs)
    rng = random.Random(a.seed)
    now = int(time.time())
    far = now + 10 * 365 * 86400
    t0 = time.time()

    con = sqlite3.connect(a.db, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute(f"PRAGMA cache_size=-{a.cache_mib * 1024}")
    con.execute("PRAGMA temp_store=FILE")
    con.execute("PRAGMA threads=2")
    if con.execute("SELECT count(*) FROM refs").fetchone()[0]:
        raise SystemExit(f"{a.db} already has references: give an empty archive")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
    ).fetchall()
    con.execute("BEGIN")
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")

    first = now - per_ref * WEEK - 86400
    run0 = con.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0] + 1
    runs = [(run0 + i, first + i * WEEK, first + i * WEEK + 600, "completed") for i in range(per_ref + 1)]
    con.executemany(
        "INSERT INTO runs (id, started_at, finished_at, status) VALUES (?, ?, ?, ?)", runs
    )

    con.executemany(
        "INSERT INTO articles (id, source, url, origin, title, added_at, last_read_at, last_status,"
        " last_sha256, etag, next_read_at) VALUES (?, ?, ?, 'cli', ?, ?, ?, 200, ?, ?, ?)",
        (
            (
                i,
                f"https://news{i % 97}.example.org/{2015 + i % 10}/article-{i}.html",
                f"https://news{i % 97}.example.org/{2015 + i % 10}/article-{i}.html",
                f"Article {i}",
                first,
                now - 3600,
                f"{i * 2654435761 % (1 << 64):016x}" * 4,
                f'"{i:x}-5f3a"',
                far,
            )
            for i in range(1, n_articles + 1)
        ),
    )

    def ref_rows():
        for i in range(1, a.refs + 1):
            kind = KINDS[rng.randrange(len(KINDS))]
            host = f"cdn{rng.randrange(a.hosts)}.example.net"
            x = rng.random()
            if x < 0.80:
                state, reason, status = "alive", "ok", 200
            elif x < 0.86:
                state, reason, status = "dead", "http_404", 404
            elif x < 0.89:
                state, reason, status = "dead", "dns", None
            elif x < 0.91:
                state, reason, status = "dead", "http_410", 410
            elif x < 0.92:
                state, reason, status = "dead", "soft_404", 200
            elif x < 0.96:
                state, reason, status = "blocked", "http_403", 403
            elif x < 0.98:
                state, reason, status = "transient", "timeout", None
            else:
                state, reason, status = "transient", "http_503", 503
            alive = state == "alive"
            last = now - rng.randrange(86400 * 6)
            confirmed = 1 if state == "dead" and i % 2 == 0 else 0
            yield (
                i,
                f"https://{host}/media/{i // 1000}/{i}{EXT[kind]}",
                host,
                kind,
                first,
                state,
                reason,
                status,
                last,
                last if alive else last - 30 * 86400,
                None if alive else last - 21 * 86400,
                per_ref,
                0 if alive else min(3, per_ref),
                0 if alive else min(3, per_ref),
                confirmed,
                f'"{i:x}-{i % 7919:x}"' if alive else None,
                far,
                i if alive or i % 2 == 0 else None,
                far,
                far,
            )

    con.executemany(
        "INSERT INTO refs (id, url, host, kind, first_seen, state, reason, http_status,"
        " last_checked, last_alive, dead_since, checks, fail_checks, spaced_failures, confirmed,"
        " etag, next_check_at, good_snapshot, rescue_next_at, submit_next_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ref_rows(),
    )
    print(f"refs: {time.time() - t0:.1f}s", flush=True)

    con.execute(
        "INSERT INTO citations (article_id, ref_id, found_in, first_seen, last_seen)"
        " SELECT (id - 1) / 25 % ?1 + 1, id, CASE kind WHEN 'page' THEN 'a@href'"
        " WHEN 'video' THEN 'video@src' ELSE 'img@src' END, first_seen, ?2 FROM refs",
        (n_articles, now - 3600),
    )
    con.execute(
        "INSERT OR IGNORE INTO citations (article_id, ref_id, found_in, first_seen, last_seen)"
        " SELECT ((id - 1) / 25 + 7) % ?1 + 1, id, 'img@src', first_seen, ?2 FROM refs"
        " WHERE id % 10 = 0",
        (n_articles, now - 3600),
    )
    print(f"citations: {time.time() - t0:.1f}s", flush=True)

    # Checks: per_ref per reference, k = 0 oldest. The last is the reference's current state;
    # earlier ones were alive (the link rotted), except for references dead since long. One
    # round (k) at a time in reference order: the row ids come out as one sorted insert would
    # give them (k, then reference), without sorting 50,000,000 rows.
    for k in range(per_ref):
        con.execute(
            "INSERT INTO checks (ref_id, run_id, checked_at, state, reason, http_status, final_url,"
            " bytes, sha256, content_type, elapsed_ms, attempts)"
            " SELECT r.id, ?4 + ?5, ?2 + ?5 * ?3 + r.id % 3600,"
            "  CASE WHEN ?5 = ?1 - 1 OR (r.state <> 'alive' AND ?5 >= ?1 - 3) THEN r.state ELSE 'alive' END,"
            "  CASE WHEN ?5 = ?1 - 1 OR (r.state <> 'alive' AND ?5 >= ?1 - 3) THEN r.reason"
            "       WHEN ?5 = 0 THEN 'ok' ELSE 'not_modified' END,"
            "  CASE WHEN ?5 = ?1 - 1 OR (r.state <> 'alive' AND ?5 >= ?1 - 3) THEN r.http_status"
            "       WHEN ?5 = 0 THEN 200 ELSE 304 END,"
            "  r.url,"
            "  CASE WHEN ?5 = 0 THEN 20000 + r.id % 400000 ELSE 0 END,"
            "  CASE WHEN ?5 = 0 THEN printf('%016x%016x%016x%016x', r.id * 2654435761, r.id * 40503,"
            "       r.id * 2246822519, r.id * 3266489917) END,"
            "  CASE r.kind WHEN 'image' THEN 'image/jpeg' WHEN 'video' THEN 'video/mp4'"
            "       ELSE 'text/html' END,"
            "  20 + r.id % 900, 1"
            " FROM refs r ORDER BY r.id",
            (per_ref, first, WEEK, run0, k),
        )
        print(f"checks round {k + 1}/{per_ref}: {time.time() - t0:.1f}s", flush=True)
    extra = a.checks - per_ref * a.refs
    if extra > 0:  # the remainder: one more check on the first references
        con.execute(
            "INSERT INTO checks (ref_id, run_id, checked_at, state, reason, http_status,"
            " elapsed_ms, attempts) SELECT id, ?1, ?2, state, reason, http_status, 50, 1"
            " FROM refs WHERE id <= ?3",
            (run0 + per_ref, now - 600, extra),
        )
    print(f"checks: {time.time() - t0:.1f}s", flush=True)

    # One good body snapshot per reference that has good_snapshot (its id = the ref id), made
    # by the reference's first check.
    con.execute(
        "INSERT INTO objects (sha256, bytes, stored_at)"
        " SELECT c.sha256, c.bytes, c.checked_at FROM refs r JOIN checks c ON c.id = r.id"
        " WHERE r.good_snapshot IS NOT NULL"
    )
    con.execute(
        "INSERT INTO snapshots (id, ref_id, check_id, sha256, bytes, content_type, http_status,"
        " captured_at, good, headers, role)"
        " SELECT r.id, r.id, c.id, c.sha256, c.bytes, c.content_type, 200, c.checked_at, 1,"
        " '[[\"content-type\",\"' || c.content_type || '\"]]', 'body'"
        " FROM refs r JOIN checks c ON c.id = r.id WHERE r.good_snapshot IS NOT NULL"
    )
    print(f"snapshots: {time.time() - t0:.1f}s", flush=True)

    for name, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    print(f"indexes: {time.time() - t0:.1f}s", flush=True)
    con.execute("ANALYZE")
    con.execute("PRAGMA journal_mode=WAL")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("articles", "refs", "citations", "checks", "snapshots", "objects")}
    # A dead reference with a full history, cited twice.
    url = con.execute(
        "SELECT url FROM refs WHERE state = 'dead' AND id % 10 = 0 ORDER BY id LIMIT 1 OFFSET 100"
    ).fetchone()[0]
    con.close()
    print(f"done in {time.time() - t0:.1f}s: {counts}", flush=True)
    print(f"HISTORY_URL={url}")


if __name__ == "__main__":
    main()
