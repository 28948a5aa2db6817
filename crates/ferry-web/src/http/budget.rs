//! What one client may store: how many uploads it may start per hour
//! (`UPLOADS_PER_CLIENT_PER_HOUR`, a rate limit) and how many bytes it may store per
//! day (`UPLOAD_BYTES_PER_CLIENT_PER_DAY`, a byte budget), both counted in Redis so
//! they hold across every web process, and keyed on the client as
//! [`request::client_ip`] names it (IPv6 by prefix).
//!
//! Bytes are taken from the budget before they are accepted: a body's declared
//! `Content-Length` up front (refused with 429 before a byte is read), a body of
//! unknown length in steps of [`STEP`] as it arrives. What was taken and not stored —
//! the upload failed, the client left, or it was shorter than declared — is given back
//! when the [`Hold`] is settled or dropped. A transfer of several files is charged its
//! bytes a second time for the zip the worker stores beside it
//! ([`Hold::take_bundle`]): the zip is a real second copy, kept so that it can be
//! served with Range requests and resumed like any file, and an unbounded second copy
//! is what the budget exists to stop.

use std::{cell::Cell, rc::Rc};

use actix_web::{HttpRequest, error::PayloadError};
use bytes::Bytes;
use ferry_state::State;
use futures::{Stream, StreamExt};

use ferry_core::rate_limit::{self, Bucket};

use crate::{
    Config,
    http::{
        error::{Error, Result},
        request,
    },
};

/// Bytes taken at a time from the budget while a body of unknown length arrives.
pub const STEP: u64 = 8 * 1024 * 1024;
/// The budget's window: a day.
const DAY_SECS: u64 = 24 * 60 * 60;

/// Counts one new upload (a curl PUT or multipart POST, a tus creation) against the
/// client's `UPLOADS_PER_CLIENT_PER_HOUR`; 429 with `Retry-After` beyond it.
pub async fn count_new_upload(request: &HttpRequest, state: &State, config: &Config) -> Result<()> {
    let client = request::client_ip(request, config);
    rate_limit::enforce(
        state,
        &[Bucket {
            name: format!("uploads-ip:{client}"),
            max: config.uploads_per_client_per_hour,
            window_secs: 60 * 60,
        }],
    )
    .await?;
    Ok(())
}

/// Bytes taken from one client's budget for one request, given back on drop unless
/// settled.
#[derive(Clone)]
pub struct Hold {
    inner: Rc<Inner>,
}

struct Inner {
    state: State,
    bucket: String,
    max: u64,
    held: Cell<u64>,
    settled: Cell<bool>,
    /// Set when a take was refused: the seconds until the window resets.
    refused: Cell<Option<u64>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let held = self.held.get();
        if self.settled.get() || held == 0 {
            return;
        }
        // The request ended without settling (an error, or the client went away and
        // actix dropped the handler): nothing it took was stored for good.
        let (state, bucket) = (self.state.clone(), self.bucket.clone());
        actix_web::rt::spawn(async move {
            if let Err(e) = state.give_budget(&bucket, held).await {
                tracing::warn!(error = %e, "could not give back an upload's byte budget");
            }
        });
    }
}

impl Hold {
    /// Opens a hold on this request's client budget, taking `upfront` bytes now (the
    /// declared length; 0 when unknown). 429 when they do not fit.
    pub async fn open(
        request: &HttpRequest,
        state: &State,
        config: &Config,
        upfront: u64,
    ) -> Result<Hold> {
        let client = request::client_ip(request, config);
        let hold = Hold {
            inner: Rc::new(Inner {
                state: state.clone(),
                bucket: format!("bytes-ip:{client}"),
                max: config.upload_bytes_per_client_per_day,
                held: Cell::new(0),
                settled: Cell::new(false),
                refused: Cell::new(None),
            }),
        };
        hold.take(upfront).await?;
        Ok(hold)
    }

    /// Whether `bytes` more would still fit in the client's budget (taking nothing):
    /// a tus creation that announces more than is left is refused before any byte.
    pub async fn check_room(&self, bytes: u64) -> Result<()> {
        let inner = &self.inner;
        let now = inner
            .state
            .take_budget(&inner.bucket, 0, inner.max, DAY_SECS)
            .await?;
        if now.used.saturating_add(bytes) > inner.max {
            return Err(Error::QuotaExceeded(now.retry_after));
        }
        Ok(())
    }

    /// Takes `bytes` more; 429 (and nothing taken) when they do not fit.
    pub async fn take(&self, bytes: u64) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        let inner = &self.inner;
        let take = inner
            .state
            .take_budget(&inner.bucket, bytes, inner.max, DAY_SECS)
            .await?;
        if !take.taken {
            inner.refused.set(Some(take.retry_after));
            return Err(Error::QuotaExceeded(take.retry_after));
        }
        inner.held.set(inner.held.get() + bytes);
        Ok(())
    }

    /// Charges a transfer of several files for its zip (see the module docs).
    pub async fn take_bundle(&self, files: usize, bytes: u64) -> Result<()> {
        if files > 1 {
            self.take(bytes).await
        } else {
            Ok(())
        }
    }

    /// The error a refused take left, if the body ended because of one.
    pub fn refused(&self) -> Option<Error> {
        self.inner.refused.get().map(Error::QuotaExceeded)
    }

    /// `body`, taking from the budget whatever arrives beyond what is held (in steps
    /// of [`STEP`]); a refused take ends the body with an error, and [`Hold::refused`]
    /// says why.
    pub fn meter<S>(&self, body: S) -> impl Stream<Item = Result<Bytes, PayloadError>> + 'static
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + 'static,
    {
        let hold = self.clone();
        async_stream::stream! {
            let mut body = Box::pin(body);
            let mut read: u64 = 0;
            while let Some(item) = body.next().await {
                if let Ok(bytes) = &item {
                    read = read.saturating_add(bytes.len() as u64);
                    let held = hold.inner.held.get();
                    if read > held {
                        let want = (read - held).max(STEP);
                        // The last step may not fit whole: take just what is missing.
                        if hold.take(want).await.is_err() && hold.take(read - held).await.is_err() {
                            yield Err(PayloadError::Io(std::io::Error::other(
                                "the client's daily upload budget is used up",
                            )));
                            break;
                        }
                        hold.inner.refused.set(None);
                    }
                }
                yield item;
            }
        }
    }

    /// The request stored `kept` bytes for good: whatever was taken beyond them is
    /// given back, the rest stays counted.
    pub async fn settle(self, kept: u64) {
        let inner = &self.inner;
        let extra = inner.held.get().saturating_sub(kept);
        inner.settled.set(true);
        if extra > 0
            && let Err(e) = inner.state.give_budget(&inner.bucket, extra).await
        {
            tracing::warn!(error = %e, "could not give back an upload's unused byte budget");
        }
    }
}
