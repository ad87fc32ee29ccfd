//! Hashing and writing a body on a blocking thread while the network task keeps receiving:
//! on two cores the socket and SHA-256 each get one, instead of taking turns. The channel is
//! bounded, so a slow disk slows the download instead of filling memory.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::store::{ObjectWriter, StoredObject, WriteError};

/// Chunks in flight between the network and the writer (reqwest chunks are ~8–64 KiB).
const IN_FLIGHT: usize = 32;

pub(super) struct BodyPipe {
    tx: mpsc::Sender<Bytes>,
    task: JoinHandle<Result<ObjectWriter, WriteError>>,
}

impl BodyPipe {
    pub(super) fn start(mut writer: ObjectWriter) -> BodyPipe {
        let (tx, mut rx) = mpsc::channel::<Bytes>(IN_FLIGHT);
        let task = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = rx.blocking_recv() {
                writer.write(&chunk)?;
            }
            Ok(writer)
        });
        BodyPipe { tx, task }
    }

    /// Hands a chunk to the writer; false when the writer has failed (`finish` says why).
    pub(super) async fn send(&self, chunk: Bytes) -> bool {
        self.tx.send(chunk).await.is_ok()
    }

    /// Waits for every chunk to be written, then makes the object durable under its hash.
    pub(super) async fn finish(self) -> Result<StoredObject, WriteError> {
        drop(self.tx);
        let writer = self.task.await.map_err(join_error)??;
        tokio::task::spawn_blocking(move || writer.finish())
            .await
            .map_err(join_error)?
    }

    /// Stops writing; the unfinished writer (and its temp file) is gone when this returns.
    pub(super) async fn abandon(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

fn join_error(e: tokio::task::JoinError) -> WriteError {
    WriteError::Io {
        path: std::path::PathBuf::new(),
        source: std::io::Error::other(e),
    }
}
