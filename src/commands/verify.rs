//! `linkvault verify [--repair]`: re-hash every object, check the record against the store, and
//! with `--repair` make the record honest about what was lost.

use std::process::ExitCode;

use anyhow::Result;

use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::verify;

use crate::cli::VerifyArgs;
use crate::commands::emit;

pub(crate) fn verify(cfg: &Config, a: &VerifyArgs) -> Result<ExitCode> {
    let store = super::open_store(cfg)?;
    // Repair changes the archive: no run may be writing meanwhile.
    let _lock = a.repair.then(|| super::lock_archive(cfg)).transpose()?;
    let opened = if a.repair {
        Db::open_existing(&cfg.archive)
    } else {
        Db::open_read_only(&cfg.archive)
    };
    let mut db = match opened {
        Ok(db) => db,
        Err(e @ linkvault::db::DbError::RecordLost { .. }) => {
            // What is still held, before saying what was lost.
            emit(&verify::orphans(&store))?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let r = verify::verify(&db, &store)?;
    emit(&r.render())?;
    if a.repair {
        let done = verify::repair(&mut db, &store, &r)?;
        emit(&done.render())?;
        return Ok(ExitCode::SUCCESS);
    }
    Ok(if r.is_consistent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
