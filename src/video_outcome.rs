//! What the video step (yt-dlp) did for one reference: plain data, carried by
//! `fetch::CheckResult` and recorded by `run`.
//!
//! It lives apart from `video` to break the `fetch` ↔ `video` cycle: `fetch` needs the type for
//! its `CheckResult`, while `video` needs `fetch` (politeness, session, address gate) and
//! produces the type. With the data here, both depend on this leaf (which needs only `model`
//! and `store`) and `video` depends on `fetch`, never the reverse.

use crate::model::{Reason, State};
use crate::store::StoredObject;

/// A file yt-dlp produced, now durable in the store.
#[derive(Debug, Clone)]
pub struct CapturedFile {
    /// The file as stored.
    pub object: StoredObject,
    /// Guessed from the file's extension (`video/mp4`…); `application/json` for the info JSON.
    pub content_type: String,
}

/// What the video step did for one reference.
#[derive(Debug, Clone)]
pub enum VideoOutcome {
    /// yt-dlp is not installed: the reference was captured as a page only.
    ToolMissing,
    /// The media (and its info JSON) are in the store.
    Captured {
        /// The media files, at least one.
        media: Vec<CapturedFile>,
        /// yt-dlp's `.info.json` for them, when it wrote one.
        info: Option<CapturedFile>,
        /// The yt-dlp that ran, e.g. `yt-dlp 2025.01.15`.
        tool: String,
    },
    /// A capture was held already; yt-dlp confirmed the video is still there.
    StillThere {
        /// The yt-dlp that ran.
        tool: String,
    },
    /// yt-dlp's verdict: the video is gone or closed to us.
    Gone {
        /// The state this means for the reference.
        state: State,
        /// Why, as the reference records it (private, removed, geo-blocked…).
        reason: Reason,
        /// yt-dlp's own words (its last error line), or the availability it listed.
        message: String,
        /// The yt-dlp that ran.
        tool: String,
    },
    /// yt-dlp found no video on the page.
    NotAVideo {
        /// The yt-dlp that ran.
        tool: String,
    },
    /// yt-dlp failed for another reason (timeout, size cap, crash): no verdict.
    Failed {
        /// What went wrong, in one line.
        message: String,
        /// The yt-dlp that ran, or was to run.
        tool: String,
    },
}

impl VideoOutcome {
    /// `refs.video_status` after this outcome (None: leave it as it was).
    pub fn status(&self) -> Option<&'static str> {
        match self {
            VideoOutcome::ToolMissing => Some("page_only"),
            VideoOutcome::Captured { .. } => Some("captured"),
            VideoOutcome::NotAVideo { .. } => Some("not_video"),
            VideoOutcome::StillThere { .. }
            | VideoOutcome::Gone { .. }
            | VideoOutcome::Failed { .. } => None,
        }
    }

    /// One line for the check's record.
    pub fn note(&self) -> String {
        match self {
            VideoOutcome::ToolMissing => {
                "captured as a page only: yt-dlp was not found (pip install yt-dlp, or set video.yt_dlp)".into()
            }
            VideoOutcome::Captured { media, tool, .. } => {
                let bytes: u64 = media.iter().map(|m| m.object.bytes).sum();
                format!("{tool}: captured {} media file(s), {bytes} bytes", media.len())
            }
            VideoOutcome::StillThere { tool } => format!("{tool}: video still available (not downloaded again)"),
            VideoOutcome::Gone { message, tool, .. } => format!("{tool}: {message}"),
            VideoOutcome::NotAVideo { tool } => format!("{tool}: no video found on the page"),
            VideoOutcome::Failed { message, tool } => format!("{tool}: {message}"),
        }
    }
}
