//! `ferry-core` is the service layer: every use case of Ferry lives here once, and the
//! process types are thin adapters over it.
//!
//! ```text
//! web (curl API, tus, UI, admin)   worker (jobs)   clock   admin CLI      adapters
//!              \                       |            |        /
//!               `----------------  ferry-core  ---------------'         use cases,
//!                                      |                                 domain types
//!                                 ferry-state                            repositories,
//!                         (Postgres, Redis, BlobStore port)              blob stores
//! ```
//!
//! What lives here: creating a transfer from uploaded files, adding to and sending a
//! draft, unlocking a password-protected transfer (counting the guess first),
//! creating, writing and finishing a resumable upload, deleting and purging, the
//! rate limits of all of these ([`rate_limit`]), the periodic sweeps, building a transfer's stored zip; the domain types that
//! validate client input once ([`MaxDays`], [`MaxDownloads`], [`FileName`],
//! [`Schedule`], [`AccountPassword`], [`SharePassword`]); and the one [`Error`] every
//! use case returns. No HTTP, no SQL, no Redis commands: adapters translate requests
//! into calls here, and this crate calls typed functions of `ferry-state`.

pub mod api_token;
pub mod archive;
pub mod blob;
mod domain;
mod error;
pub mod file_request;
pub mod i18n;
pub mod mail;
mod name;
mod operations;
mod password;
pub mod rate_limit;
mod schedule;
mod service;
mod unlock;
mod upload;

pub use domain::{Lifetimes, Limits, MAX_DOWNLOADS_LIMIT, MaxDays, MaxDownloads};
pub use error::{Error, Result};
use name::UniqueNames;
pub use name::{FileName, MAX_NAME_BYTES};
pub use password::{
    AccountPassword, MAX_PASSWORD_BYTES, MIN_ACCOUNT_PASSWORD_CHARS, MIN_SHARE_PASSWORD_CHARS,
    SharePassword, WeakPassword,
};
pub use schedule::Schedule;
pub use service::{DRAFT_TOKEN_KEY, Housekeeping, Policy, SendDraft, Service};
pub use unlock::{PasswordCheck, Unlock, UnlockLimits, Verdict};
pub use upload::{NewUploadRequest, metadata_value};
