//! Scanning a file for malware with clamd (issue 28 §7; docs/security.md).
//!
//! The file's blob is streamed from the blob store to clamd's `INSTREAM` command as it
//! is read, chunk by chunk (clamav-client's `scan_stream`), so a scan holds one chunk
//! of memory however large the file. A file larger than `SCAN_MAX_SIZE` is not sent
//! (clamd would refuse it past its `StreamMaxLength` anyway) and is recorded as too
//! large to scan. clamd unreachable, slow past `CLAMAV_TIMEOUT` or answering
//! something unexpected fails the job, which is retried with backoff while the file
//! stays pending (`SCAN_ATTEMPTS`). Recording the verdict is idempotent
//! (`State::record_scan`), so a scan run twice — a worker killed midway, a job
//! delivered again — is harmless.

use std::time::Duration;

use apalis::prelude::BoxDynError;
use ferry_core::Service;
use ferry_state::{scan::Verdict, transfer::Scan};
use futures::TryStreamExt;
use uuid::Uuid;

/// Bytes per `INSTREAM` chunk sent to clamd.
const INSTREAM_CHUNK: usize = 256 * 1024;

/// Where clamd is and what it is given.
#[derive(Clone, Debug)]
pub struct Scanner {
    /// `host:port` of clamd's TCP socket.
    pub address: String,
    /// Longest one scan may take.
    pub timeout: Duration,
    /// Files larger than this are not scanned.
    pub max_size: u64,
}

impl Scanner {
    /// Scans file `id` and records the verdict; a file gone, or scanned already, is
    /// left alone.
    pub async fn run(&self, service: &Service, id: Uuid) -> Result<(), BoxDynError> {
        let state = service.state();
        let Some(file) = state.file_by_id(id).await? else {
            return Ok(());
        };
        if file.scan != Scan::Pending {
            return Ok(());
        }
        let verdict = if u64::try_from(file.size)? > self.max_size {
            Verdict::TooLarge
        } else {
            let body = service
                .blobs()
                .read(file.blob_id, 0, file.size)
                .map_err(|e| std::io::Error::other(format!("reading the file's bytes: {e}")));
            let connection = clamav_client::tokio::Tcp {
                host_address: self.address.as_str(),
            };
            let response = tokio::time::timeout(
                self.timeout,
                clamav_client::tokio::scan_stream(body, connection, Some(INSTREAM_CHUNK)),
            )
            .await
            .map_err(|_| format!("clamd at {} took longer than CLAMAV_TIMEOUT", self.address))?
            .map_err(|e| format!("scanning with clamd at {}: {e}", self.address))?;
            verdict(&response)?
        };
        let recorded = state.record_scan(id, &verdict).await?;
        match &verdict {
            Verdict::Infected(signature) => {
                tracing::warn!(file = %id, %signature, recorded, "malware found; the file will not be served")
            }
            Verdict::Clean => tracing::info!(file = %id, recorded, "file scanned: clean"),
            Verdict::TooLarge => {
                tracing::info!(file = %id, size = file.size, recorded, "file too large to scan")
            }
        }
        Ok(())
    }
}

/// Reads clamd's answer to `INSTREAM`: `stream: OK`, `stream: <signature> FOUND`, or
/// `INSTREAM size limit exceeded. ERROR` (the file is larger than its
/// StreamMaxLength). Anything else is an error (the scan is tried again).
fn verdict(response: &[u8]) -> Result<Verdict, String> {
    let text = String::from_utf8_lossy(response);
    let text = text.trim_end_matches(['\0', '\n', '\r']).trim();
    if text.contains("size limit exceeded") {
        return Ok(Verdict::TooLarge);
    }
    let Some(answer) = text.strip_prefix("stream:") else {
        return Err(format!("clamd answered {text:?}"));
    };
    let answer = answer.trim();
    if answer == "OK" {
        Ok(Verdict::Clean)
    } else if let Some(signature) = answer.strip_suffix(" FOUND") {
        Ok(Verdict::Infected(signature.trim().to_owned()))
    } else {
        Err(format!("clamd answered {text:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamd_answers_are_read_as_verdicts() {
        assert_eq!(verdict(b"stream: OK\0"), Ok(Verdict::Clean));
        assert_eq!(
            verdict(b"stream: Eicar-Test-Signature FOUND\0"),
            Ok(Verdict::Infected("Eicar-Test-Signature".into()))
        );
        assert_eq!(
            verdict(b"INSTREAM size limit exceeded. ERROR\0"),
            Ok(Verdict::TooLarge)
        );
        assert!(verdict(b"").is_err());
        assert!(verdict(b"stream: lstat() failed ERROR\0").is_err());
        assert!(verdict(b"UNKNOWN COMMAND\0").is_err());
    }
}
