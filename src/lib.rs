//! linkvault: archive the media and sources an article references, content-addressed by
//! SHA-256, and keep a per-reference record of what rots.
//!
//! Data flows one way: `input` (articles) → `extract` (references) → `schedule` (what is due)
//! → `fetch` (HTTP) → `store` (objects) → `db` (the record) → `report` / `restore` / `verify`.

pub mod articles;
pub mod clock;
pub mod config;
pub mod db;
pub mod export;
pub mod extract;
pub mod fetch;
pub mod filter;
pub mod history;
pub mod input;
pub mod lock;
pub mod model;
pub mod output;
pub mod progress;
pub mod render;
pub mod report;
pub mod rescue;
pub mod restore;
pub mod robust;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod text;
pub mod timestamp;
pub mod units;
pub mod urlkey;
pub mod verify;
pub mod video;
pub mod video_outcome;
