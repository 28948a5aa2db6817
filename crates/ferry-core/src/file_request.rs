//! File requests: a signed-in user asks others to upload to them through a link.
//!
//! The owner sets what a request takes — how many files, how many bytes in all, until
//! when — and the rules of the transfers the uploads become (their own lifetime and
//! download limit). Uploaders need no account: they upload through the request's page,
//! the curl API (`PUT /r/{token}/{name}`) or tus (`file_request` in `Upload-Metadata`),
//! bounded like every anonymous client (rate, upload slots, byte budget, sizes).
//!
//! Every upload declares its length before a byte is stored, and is admitted by one
//! conditional `UPDATE` of the request's counters ([`ferry_state::file_request`]), so
//! the limits hold across replicas; an upload that never completes gives its share
//! back when it is removed. Each visit of the page becomes one transfer (its draft,
//! sent); each curl or tus upload one transfer of one file. The owner finds them on
//! "My transfers"; an uploader sees only what they uploaded.

use chrono::Utc;
use ferry_state::{
    file_request::{FileRequest, NewFileRequest, Refusal},
    transfer::Transfer,
    tus::{NewUpload, Upload},
};
use uuid::Uuid;

use crate::{Error, NewUploadRequest, Result, Service, i18n::Locale};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest message to the uploaders, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Most requests one user may have open at once (every row an account can make is
/// bounded).
pub const MAX_OPEN_REQUESTS: i64 = 100;
/// Longest a request stays open, in days.
pub const MAX_REQUEST_DAYS: u16 = 365;
/// How long an ended request is kept (its page says it ended) before the purge.
pub const KEEP_ENDED_DAYS: i32 = 30;

/// What the owner typed into the "new request" form, unparsed.
#[derive(Clone, Debug)]
pub struct RequestForm {
    /// Title (required).
    pub title: String,
    /// Message (optional).
    pub message: String,
    /// Days it stays open.
    pub days: String,
    /// Most files.
    pub max_files: String,
    /// Most bytes in all, as a size (`500 MB`, `2 GB`).
    pub max_size: String,
    /// Lifetime in days of the transfers the uploads become.
    pub transfer_days: String,
    /// Download limit of those transfers (empty: none).
    pub transfer_max_downloads: String,
    /// argon2id hash of the password uploaders must give (the web hashes it, with
    /// its bounded hasher, after `SharePassword` accepted it), if any.
    pub password_hash: Option<String>,
    /// The owner's language: their upload notices are written in it.
    pub locale: crate::i18n::Locale,
}

impl Service {
    /// Creates a request for `owner` from `form` (every field checked; the error names
    /// the field).
    pub async fn create_file_request(
        &self,
        owner: Uuid,
        form: &RequestForm,
    ) -> Result<FileRequest> {
        // Each problem is said in the owner's language, naming the field by its label.
        let l = form.locale;
        // One line: a title goes into page headings and mail subjects.
        let title: String = text(l, &form.title, "requests-field-title", MAX_TITLE_CHARS)?
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if title.is_empty() {
            return Err(Error::invalid(l.t("requests-error-no-title")));
        }
        let message = text(
            l,
            &form.message,
            "requests-field-message",
            MAX_MESSAGE_CHARS,
        )?;
        let days = whole(
            l,
            &form.days,
            "requests-field-days",
            1,
            i64::from(MAX_REQUEST_DAYS),
        )?;
        let max_files = whole(
            l,
            &form.max_files,
            "requests-field-max-files",
            1,
            self.policy.max_files as i64,
        )?;
        let max_bytes = match parse_size::parse_size(form.max_size.trim()) {
            Ok(bytes) if bytes > 0 && bytes <= i64::MAX as u64 => bytes as i64,
            _ => {
                return Err(Error::invalid(l.t_args(
                    "requests-error-size",
                    &[("value", form.max_size.trim().to_owned().into())],
                )));
            }
        };
        let transfer_days = whole(
            l,
            &form.transfer_days,
            "requests-field-transfer-days",
            1,
            i64::from(self.policy.lifetimes.longest()),
        )?;
        let transfer_max_downloads = match form.transfer_max_downloads.trim() {
            "" => None,
            typed => Some(whole(
                l,
                typed,
                "requests-field-transfer-max-downloads",
                1,
                i64::from(crate::MAX_DOWNLOADS_LIMIT),
            )? as i32),
        };
        if self.state.open_file_requests_of(owner).await? >= MAX_OPEN_REQUESTS {
            return Err(Error::invalid(l.t_args(
                "requests-error-too-many-open",
                &[("max", MAX_OPEN_REQUESTS.into())],
            )));
        }
        let new = NewFileRequest {
            owner_id: owner,
            title,
            message,
            expires_at: Utc::now() + chrono::Duration::days(days),
            max_files: max_files as i32,
            max_bytes,
            password_hash: form.password_hash.clone(),
            locale: form.locale.code().to_owned(),
            transfer_days: transfer_days as i32,
            transfer_max_downloads,
        };
        Ok(self.state.create_file_request(&new).await?)
    }

    /// The request behind link token `token`, if it still takes uploads: `NotFound`
    /// for an unknown one, `Gone` for a closed or expired one.
    pub async fn open_file_request(&self, token: &str) -> Result<FileRequest> {
        let request = self
            .state
            .find_file_request(token)
            .await?
            .ok_or(Error::NotFound)?;
        if !request.is_open(Utc::now()) {
            return Err(Error::Gone);
        }
        Ok(request)
    }

    /// One guess by `client` at the password of `request` (which has one), counted
    /// like a share password's guesses ([`Service::counted_guess`]) under its own
    /// scope.
    pub async fn unlock_file_request<E, V>(
        &self,
        request: &FileRequest,
        client: &str,
        limits: crate::UnlockLimits,
        verify: V,
    ) -> std::result::Result<crate::Verdict, E>
    where
        E: From<Error>,
        V: AsyncFnOnce(String) -> std::result::Result<crate::PasswordCheck, E>,
    {
        let Some(hash) = request.password_hash.clone() else {
            return Ok(crate::Verdict::Right);
        };
        self.counted_guess(
            &format!("r:{}", request.token),
            client,
            limits,
            hash,
            verify,
        )
        .await
    }

    /// Closes `owner`'s request `token`: no upload starts or continues from now on.
    pub async fn close_file_request(&self, token: &str, owner: Uuid) -> Result<()> {
        if self.state.close_file_request(token, owner).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// Creates a resumable upload into `request`, admitted by the request's counters
    /// in the same statement. The length must be declared (the bytes are counted
    /// before any is stored); pieces of a parallel upload are not taken.
    pub async fn create_request_upload(
        &self,
        request: &FileRequest,
        new: NewUploadRequest,
    ) -> Result<Upload> {
        let Some(length) = new.length else {
            return Err(Error::invalid(
                "an upload into a file request must say its length (Upload-Length, Content-Length)",
            ));
        };
        if new.partial {
            return Err(Error::invalid(
                "an upload into a file request cannot be a piece of a parallel upload",
            ));
        }
        self.check_upload_length(length)?;
        let content_type = new
            .filetype
            .clone()
            .unwrap_or_else(|| new.filename.guess_type());
        let row = NewUpload {
            length: Some(length as i64),
            metadata: new.metadata,
            filename: new.filename.into(),
            content_type,
            max_downloads: request.transfer_max_downloads,
            max_days: request.transfer_days,
            expires_at: Utc::now()
                + chrono::Duration::from_std(self.policy.upload_expiry)
                    .unwrap_or(chrono::Duration::hours(24)),
            draft: new.draft,
            concat: None,
            owner_id: None,
        };
        match self
            .state
            .create_request_upload(request.id, length as i64, &row)
            .await?
        {
            Ok(upload) => Ok(upload),
            Err(Refusal::Unknown) => Err(Error::NotFound),
            Err(Refusal::Closed) => Err(Error::Gone),
            Err(Refusal::NoFilesLeft) => Err(Error::RequestFull(
                "this request takes no more files".to_owned(),
            )),
            Err(Refusal::TooFewBytesLeft(left)) => Err(Error::RequestFull(format!(
                "this request takes {left} more bytes, fewer than this file has"
            ))),
        }
    }

    /// Refuses a write to an upload into a file request that has closed or expired
    /// since the upload began (a write to any other upload passes).
    pub(crate) async fn check_request_open(&self, upload: &Upload) -> Result<()> {
        let Some(id) = upload.file_request_id else {
            return Ok(());
        };
        match self.state.file_request_by_id(id).await? {
            Some(request) if request.is_open(Utc::now()) => Ok(()),
            _ => Err(Error::Gone),
        }
    }

    /// Sends an uploader's draft of `request`: its finished uploads into that request
    /// become one transfer of the request's owner, with the request's rules. `None`
    /// when there is nothing to send.
    pub async fn send_request_draft(
        &self,
        draft: &str,
        request: &FileRequest,
    ) -> Result<Option<Transfer>> {
        let options = self.state.file_request_transfer_options(request.id).await?;
        self.send_draft_as(draft, &options).await
    }

    /// Tells the owner of the request `transfer` arrived through about it (when mail
    /// is on and their address is confirmed); `link` is where they see it. A failure
    /// is logged: the files are safe either way.
    pub async fn announce_request_upload(&self, transfer: &Transfer, link: &str) {
        let result: Result<()> = async {
            let Some(request) = self.state.transfer_file_request(transfer.id).await? else {
                return Ok(());
            };
            let Some(owner) = self.state.user_by_id(request.owner_id).await? else {
                return Ok(());
            };
            let files = transfer.files.iter().map(|f| f.name.clone()).collect();
            let locale = crate::i18n::Locale::parse(&request.locale).unwrap_or_default();
            self.notify_file_request_upload(&owner, &request.title, files, link, locale)
                .await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not queue the file request's upload notice");
        }
    }
}

/// A form's free text, trimmed, at most `most` characters; `field` is the key of the
/// field's label.
pub(crate) fn text(l: Locale, value: &str, field: &str, most: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > most {
        return Err(Error::invalid(l.t_args(
            "requests-error-too-long",
            &[("field", l.t(field).into()), ("max", most.into())],
        )));
    }
    Ok(value.to_owned())
}

/// A form's whole number in `low..=high`; `field` is the key of the field's label.
pub(crate) fn whole(l: Locale, value: &str, field: &str, low: i64, high: i64) -> Result<i64> {
    match value.trim().parse::<i64>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(Error::invalid(l.t_args(
            "requests-error-number",
            &[
                ("field", l.t(field).into()),
                ("low", low.into()),
                ("high", high.into()),
            ],
        ))),
    }
}
