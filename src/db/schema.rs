//! The database schema as numbered migrations, applied in order and recorded in
//! `PRAGMA user_version`. Never edit a migration that has shipped: add the next one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: the core record.
    r#"
    CREATE TABLE articles (
        id             INTEGER PRIMARY KEY,
        source         TEXT NOT NULL UNIQUE,   -- URL as given, or absolute file path
        url            TEXT,                   -- public URL (canonical for files) when known
        origin         TEXT NOT NULL,          -- config | cli | feed
        feed_id        INTEGER REFERENCES articles(id),
        is_feed        INTEGER NOT NULL DEFAULT 0,
        title          TEXT,
        added_at       INTEGER NOT NULL,
        last_read_at   INTEGER,
        last_status    INTEGER,
        last_error     TEXT,
        last_sha256    TEXT,
        etag           TEXT,
        last_modified  TEXT,
        next_read_at   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE refs (
        id                  INTEGER PRIMARY KEY,
        url                 TEXT NOT NULL UNIQUE,
        host                TEXT NOT NULL,
        kind                TEXT NOT NULL,
        first_seen          INTEGER NOT NULL,
        state               TEXT NOT NULL DEFAULT 'unchecked',
        reason              TEXT,
        http_status         INTEGER,
        final_url           TEXT,
        last_checked        INTEGER,
        last_alive          INTEGER,
        dead_since          INTEGER,
        checks              INTEGER NOT NULL DEFAULT 0,
        fail_checks         INTEGER NOT NULL DEFAULT 0,
        spaced_failures     INTEGER NOT NULL DEFAULT 0,
        last_counted_fail   INTEGER,
        confirmed           INTEGER NOT NULL DEFAULT 0,
        etag                TEXT,
        last_modified       TEXT,
        good_snapshot       INTEGER REFERENCES snapshots(id),
        next_check_at       INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX refs_due ON refs(next_check_at);
    CREATE INDEX refs_state ON refs(state);
    CREATE TABLE citations (
        article_id  INTEGER NOT NULL REFERENCES articles(id),
        ref_id      INTEGER NOT NULL REFERENCES refs(id),
        found_in    TEXT NOT NULL,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        PRIMARY KEY (article_id, ref_id)
    ) WITHOUT ROWID;
    CREATE INDEX citations_ref ON citations(ref_id);
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        started_at    INTEGER NOT NULL,
        finished_at   INTEGER,
        status        TEXT NOT NULL,        -- running | completed | network_down | failed
        articles      INTEGER NOT NULL DEFAULT 0,
        checked       INTEGER NOT NULL DEFAULT 0,
        alive         INTEGER NOT NULL DEFAULT 0,
        failing       INTEGER NOT NULL DEFAULT 0,
        downloaded    INTEGER NOT NULL DEFAULT 0,
        message       TEXT
    );
    CREATE TABLE checks (
        id            INTEGER PRIMARY KEY,
        ref_id        INTEGER NOT NULL REFERENCES refs(id),
        run_id        INTEGER REFERENCES runs(id),
        checked_at    INTEGER NOT NULL,
        state         TEXT NOT NULL,
        reason        TEXT NOT NULL,
        http_status   INTEGER,
        final_url     TEXT,
        redirects     TEXT,                 -- JSON [[url, status], ...] hops before final_url
        error         TEXT,
        bytes         INTEGER,
        sha256        TEXT,
        content_type  TEXT,
        elapsed_ms    INTEGER NOT NULL,
        attempts      INTEGER NOT NULL,
        network_down  INTEGER NOT NULL DEFAULT 0,
        drift         INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX checks_ref ON checks(ref_id, checked_at);
    CREATE TABLE objects (
        sha256     TEXT PRIMARY KEY,
        bytes      INTEGER NOT NULL,
        stored_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE snapshots (
        id            INTEGER PRIMARY KEY,
        ref_id        INTEGER NOT NULL REFERENCES refs(id),
        check_id      INTEGER NOT NULL REFERENCES checks(id),
        sha256        TEXT NOT NULL REFERENCES objects(sha256),
        bytes         INTEGER NOT NULL,
        content_type  TEXT,
        http_status   INTEGER NOT NULL,
        captured_at   INTEGER NOT NULL,
        good          INTEGER NOT NULL,
        headers       TEXT                  -- JSON [[name, value], ...] as received
    );
    CREATE INDEX snapshots_ref ON snapshots(ref_id, captured_at);
    CREATE INDEX snapshots_sha ON snapshots(sha256);
    "#,
    // 2: video captures (yt-dlp): what a snapshot is, what made it, and what it belongs to.
    r#"
    ALTER TABLE snapshots ADD COLUMN role TEXT NOT NULL DEFAULT 'body';  -- body | video | video_info
    ALTER TABLE snapshots ADD COLUMN parent_id INTEGER REFERENCES snapshots(id);
    ALTER TABLE snapshots ADD COLUMN tool TEXT;                          -- e.g. "yt-dlp 2026.10.26"
    ALTER TABLE refs ADD COLUMN video_status TEXT;  -- captured | page_only | not_video | failed
    ALTER TABLE checks ADD COLUMN video TEXT;       -- what the video step did, in words
    "#,
    // 3: the status line as received, so an exported WARC record is the response as served.
    r#"
    ALTER TABLE snapshots ADD COLUMN http_version TEXT;   -- HTTP/1.0 | HTTP/1.1 | HTTP/2 | HTTP/3
    ALTER TABLE snapshots ADD COLUMN reason_phrase TEXT;  -- HTTP/1 only; NULL before version 3
    "#,
    // 4: every version of an article read, not just the latest: pages from the web (exported,
    // and so replayable, beside their references) and copies of saved files. Backfilled with
    // the copy each web article already had.
    r#"
    CREATE TABLE article_captures (
        id             INTEGER PRIMARY KEY,
        article_id     INTEGER NOT NULL REFERENCES articles(id),
        url            TEXT NOT NULL,          -- the URL that answered (after redirects), or file:
        sha256         TEXT NOT NULL REFERENCES objects(sha256),
        bytes          INTEGER NOT NULL,
        content_type   TEXT,
        http_status    INTEGER,                -- NULL for a copy of a saved file
        captured_at    INTEGER NOT NULL,
        headers        TEXT,                   -- JSON [[name, value], ...] as received
        http_version   TEXT,
        reason_phrase  TEXT,
        edited         INTEGER NOT NULL DEFAULT 0  -- its text differs from the version before
    );
    CREATE INDEX article_captures_article ON article_captures(article_id, captured_at);
    CREATE INDEX article_captures_url ON article_captures(url);
    CREATE INDEX article_captures_sha ON article_captures(sha256);
    INSERT INTO article_captures (article_id, url, sha256, bytes, http_status, captured_at)
      SELECT a.id, COALESCE(a.url, a.source), a.last_sha256, o.bytes,
             CASE WHEN a.last_status BETWEEN 200 AND 299 THEN a.last_status ELSE 200 END,
             COALESCE(a.last_read_at, a.added_at)
      FROM articles a JOIN objects o ON o.sha256 = a.last_sha256
      WHERE a.source LIKE 'http://%' OR a.source LIKE 'https://%';
    "#,
    // 5: rescue from web archives and second copies pushed to them. A rescued copy is a
    // snapshot with `origin = 'memento'` and its provenance; every lookup and submission is
    // kept, so `history` can say whom linkvault asked, when, and what they answered.
    r#"
    ALTER TABLE articles ADD COLUMN published_at INTEGER;   -- as the page states it
    ALTER TABLE snapshots ADD COLUMN origin TEXT NOT NULL DEFAULT 'self';  -- self | memento
    ALTER TABLE snapshots ADD COLUMN archive TEXT;            -- the TimeGate that led to it
    ALTER TABLE snapshots ADD COLUMN memento_url TEXT;        -- the memento as the archive names it
    ALTER TABLE snapshots ADD COLUMN memento_datetime INTEGER;
    ALTER TABLE snapshots ADD COLUMN rewritten INTEGER NOT NULL DEFAULT 0; -- may be the archive's replay, not raw
    ALTER TABLE snapshots ADD COLUMN rescued_at INTEGER;      -- when linkvault fetched it
    ALTER TABLE refs ADD COLUMN rescue_next_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE refs ADD COLUMN submitted_at INTEGER;         -- last accepted submission
    ALTER TABLE refs ADD COLUMN submit_next_at INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE lookups (
        id                INTEGER PRIMARY KEY,
        ref_id            INTEGER NOT NULL REFERENCES refs(id),
        run_id            INTEGER REFERENCES runs(id),
        looked_at         INTEGER NOT NULL,
        archive           TEXT NOT NULL,          -- the TimeGate prefix asked
        target_at         INTEGER NOT NULL,       -- the Accept-Datetime sent
        outcome           TEXT NOT NULL,          -- rescued | found | not_found | rejected | error
        memento_url       TEXT,
        memento_datetime  INTEGER,
        detail            TEXT,
        snapshot_id       INTEGER REFERENCES snapshots(id)
    );
    CREATE INDEX lookups_ref ON lookups(ref_id, looked_at);
    CREATE TABLE submissions (
        id            INTEGER PRIMARY KEY,
        ref_id        INTEGER NOT NULL REFERENCES refs(id),
        run_id        INTEGER REFERENCES runs(id),
        submitted_at  INTEGER NOT NULL,
        endpoint      TEXT NOT NULL,
        outcome       TEXT NOT NULL,              -- submitted | rate_limited | error
        http_status   INTEGER,
        memento_url   TEXT,
        detail        TEXT
    );
    CREATE INDEX submissions_ref ON submissions(ref_id, submitted_at);
    "#,
    // 6: articles are managed. A removed article is kept (its versions stay restorable) but no
    // longer read; a reference no article cites any more (its article removed, or excluded by
    // `[filter]`) is retired: not checked, not reported, its history kept.
    r#"
    ALTER TABLE articles ADD COLUMN removed_at INTEGER;
    ALTER TABLE refs ADD COLUMN retired_at INTEGER;
    -- A capture whose object `verify --repair` found corrupted or missing: kept in the record
    -- (the loss is history), never again offered as a copy.
    ALTER TABLE snapshots ADD COLUMN lost_at INTEGER;
    ALTER TABLE article_captures ADD COLUMN lost_at INTEGER;
    ALTER TABLE objects ADD COLUMN lost_at INTEGER;
    -- The Content-Encoding a body arrived in although not asked for; the object holds the
    -- decoded bytes (NULL: stored as received).
    ALTER TABLE snapshots ADD COLUMN decoded_from TEXT;
    ALTER TABLE article_captures ADD COLUMN decoded_from TEXT;
    "#,
    // 7: pages rendered in a browser. A full-page screenshot is kept as a capture of the
    // article version it shows (`role = 'screenshot'`, `parent_id` that version); the sha256
    // of the version last rendered tells the next run whether to render again.
    r#"
    ALTER TABLE article_captures ADD COLUMN role TEXT NOT NULL DEFAULT 'page';  -- page | screenshot
    ALTER TABLE article_captures ADD COLUMN parent_id INTEGER REFERENCES article_captures(id);
    ALTER TABLE article_captures ADD COLUMN tool TEXT;     -- e.g. "Chromium 156.0.8078.108"
    ALTER TABLE article_captures ADD COLUMN note TEXT;     -- how the rendering went, if worth saying
    ALTER TABLE article_captures ADD COLUMN width INTEGER;
    ALTER TABLE article_captures ADD COLUMN height INTEGER;
    ALTER TABLE articles ADD COLUMN rendered_sha256 TEXT;
    "#,
    // 8: trusted timestamps (RFC 3161). At the end of a run the captures no tree covers yet
    // become the leaves of a Merkle tree (README "Evidence" defines the hashing); its root is
    // timestamped by each configured authority and every token kept as received. A tree with no
    // token is pending: the next run asks again.
    r#"
    CREATE TABLE timestamp_trees (
        id               INTEGER PRIMARY KEY,
        run_id           INTEGER REFERENCES runs(id),
        created_at       INTEGER NOT NULL,
        size             INTEGER NOT NULL,
        root             BLOB NOT NULL,            -- 32 bytes
        alg              TEXT NOT NULL,            -- the imprint's hash: sha256 | sha512
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_attempt_at  INTEGER,
        last_error       TEXT                      -- why the last request failed
    );
    CREATE TABLE timestamp_leaves (
        tree_id      INTEGER NOT NULL REFERENCES timestamp_trees(id),
        idx          INTEGER NOT NULL,
        kind         INTEGER NOT NULL,   -- 1 snapshot, 2 article version, 3 screenshot, 4 memento
        snapshot_id  INTEGER REFERENCES snapshots(id),
        capture_id   INTEGER REFERENCES article_captures(id),
        sha256       TEXT NOT NULL,
        captured_at  INTEGER NOT NULL,
        url          TEXT NOT NULL,
        PRIMARY KEY (tree_id, idx)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX timestamp_leaves_snapshot ON timestamp_leaves(snapshot_id)
      WHERE snapshot_id IS NOT NULL;
    CREATE UNIQUE INDEX timestamp_leaves_capture ON timestamp_leaves(capture_id)
      WHERE capture_id IS NOT NULL;
    CREATE INDEX timestamp_leaves_sha ON timestamp_leaves(sha256);
    CREATE TABLE timestamp_tokens (
        id             INTEGER PRIMARY KEY,
        tree_id        INTEGER NOT NULL REFERENCES timestamp_trees(id),
        tsa            TEXT NOT NULL,      -- the authority's URL as configured
        requested_at   INTEGER NOT NULL,   -- wall clock
        gen_time       INTEGER NOT NULL,   -- the token's time, whole seconds
        gen_time_text  TEXT NOT NULL,      -- as the token writes it (RFC 3339)
        signer         TEXT NOT NULL,      -- the signing certificate's name
        serial         TEXT NOT NULL,
        response       BLOB NOT NULL       -- the TimeStampResp as received (.tsr)
    );
    CREATE INDEX timestamp_tokens_tree ON timestamp_tokens(tree_id);
    "#,
    // 9: a large archive is read in time proportional to what is asked, not to its size. The
    // report's counts come from one covering index instead of every reference row and its
    // snapshot; what a run may have to do besides checks (web-archive lookups, articles to read)
    // and the rescued copies each have a small index of their own, so a run with nothing due
    // reads next to nothing. The partial indexes hold only the few rows they are for.
    r#"
    DROP INDEX refs_state;
    CREATE INDEX refs_state ON refs(state, retired_at, good_snapshot, video_status);
    CREATE INDEX refs_rescue_due ON refs(rescue_next_at)
      WHERE retired_at IS NULL AND good_snapshot IS NULL
        AND (state IN ('dead', 'blocked') OR (state = 'transient' AND checks = 1));
    CREATE INDEX snapshots_memento ON snapshots(ref_id) WHERE origin = 'memento';
    CREATE INDEX articles_due ON articles(next_read_at);
    "#,
];

/// Brings the database up to the latest schema.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current >= latest_version() {
        return Ok(());
    }
    // An index built on a large archive sorts every row of its table: in temporary files, not
    // in memory (10,000,000 references would take ~700 MiB), then as configured again.
    let temp_store: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
    conn.pragma_update(None, "temp_store", "FILE")?;
    let migrated = apply(conn, current);
    conn.pragma_update(None, "temp_store", temp_store)?;
    migrated
}

/// Applies every migration after `current`, each in its own transaction.
fn apply(conn: &mut Connection, current: i64) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// The schema version this build migrates to: the number of migrations.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An archive made before version 4 keeps its articles' copies as their first captures.
    #[test]
    fn article_copies_become_captures_on_upgrade() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO objects (sha256, bytes, stored_at) VALUES ('abc', 10, 5);
             INSERT INTO articles (source, url, origin, added_at, last_read_at, last_status, last_sha256)
               VALUES ('https://news.example/a', 'https://news.example/a?x', 'cli', 1, 7, 304, 'abc'),
                      ('/home/me/saved.html', NULL, 'cli', 1, 7, NULL, 'abc');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let rows: Vec<(i64, String, String, i64, i64, i64)> = conn
            .prepare("SELECT article_id, url, sha256, bytes, http_status, captured_at FROM article_captures")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [(
                1,
                "https://news.example/a?x".to_string(),
                "abc".to_string(),
                10,
                200,
                7
            )],
            "the web article's copy, not the saved file's"
        );
    }
}
