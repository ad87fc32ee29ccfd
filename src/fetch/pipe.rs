//! Hashing and writing a body on a blocking thread while the network task keeps receiving:
//! on two cores the socket and SHA-256 each get one, instead of taking turns. The channel is
//! bounded, so a slow disk slows the download instead of filling memory. A small body (most
//! images and pages) is only gathered here and handed over once, at `finish`: a writer thread
//! and a channel per body would cost more than hashing it.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::store::{ObjectWriter, StoredObject, WriteError, IN_MEMORY};

/// Chunks in flight between the network and the writer (reqwest chunks are ~8–64 KiB).
const IN_FLIGHT: usize = 32;

pub(super) struct BodyPipe {
    /// Until the body outgrows [`IN_MEMORY`]: the writer, not yet fed, and the bytes so far.
    gathering: Option<(ObjectWriter, Vec<u8>)>,
    /// After that: the writer thread and its channel.
    streaming: Option<Streaming>,
}

struct Streaming {
    tx: mpsc::Sender<Bytes>,
    task: JoinHandle<Result<ObjectWriter, WriteError>>,
}

impl BodyPipe {
    pub(super) fn start(writer: ObjectWriter) -> BodyPipe {
        BodyPipe {
            gathering: Some((writer, Vec::new())),
            streaming: None,
        }
    }

    /// Hands a chunk to the writer; false when the writer has failed (`finish` says why).
    pub(super) async fn send(&mut self, chunk: Bytes) -> bool {
        if let Some((_, held)) = self.gathering.as_mut() {
            if held.len() + chunk.len() <= IN_MEMORY {
                held.extend_from_slice(&chunk);
                return true;
            }
        }
        if let Some((writer, held)) = self.gathering.take() {
            let streaming = Streaming::start(writer);
            if !held.is_empty() && streaming.tx.send(Bytes::from(held)).await.is_err() {
                self.streaming = Some(streaming);
                return false;
            }
            self.streaming = Some(streaming);
        }
        match &self.streaming {
            Some(s) => s.tx.send(chunk).await.is_ok(),
            None => false,
        }
    }

    /// Waits for every chunk to be written, then makes the object durable under its hash —
    /// or, with `later`, leaves it pending for the run's writer to make durable with others
    /// in one group commit ([`ObjectWriter::finish_later`]).
    pub(super) async fn finish(self, later: bool) -> Result<StoredObject, WriteError> {
        let (writer, held) = match (self.gathering, self.streaming) {
            // Small and left pending: hashing it and writing it to an unnamed file takes a few
            // microseconds, less than handing it to a blocking thread and back.
            (Some((mut writer, held)), _) if later => {
                writer.write(&held)?;
                return writer.finish_later();
            }
            (Some((writer, held)), _) => (writer, held),
            (None, Some(s)) => {
                drop(s.tx);
                (s.task.await.map_err(join_error)??, Vec::new())
            }
            (None, None) => return Err(join_error("the body's writer is gone")),
        };
        tokio::task::spawn_blocking(move || {
            let mut writer = writer;
            writer.write(&held)?;
            if later {
                writer.finish_later()
            } else {
                writer.finish()
            }
        })
        .await
        .map_err(join_error)?
    }

    /// Stops writing; the unfinished writer (and its temp file) is gone when this returns.
    pub(super) async fn abandon(self) {
        if let Some(s) = self.streaming {
            drop(s.tx);
            let _ = s.task.await;
        }
    }
}

impl Streaming {
    fn start(mut writer: ObjectWriter) -> Streaming {
        let (tx, mut rx) = mpsc::channel::<Bytes>(IN_FLIGHT);
        let task = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = rx.blocking_recv() {
                writer.write(&chunk)?;
            }
            Ok(writer)
        });
        Streaming { tx, task }
    }
}

fn join_error(e: impl std::fmt::Display) -> WriteError {
    WriteError::Io {
        path: std::path::PathBuf::new(),
        source: std::io::Error::other(e.to_string()),
    }
}
