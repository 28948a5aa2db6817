//! How a transfer is addressed and described: share URLs, deletion URLs, days left,
//! Here, below the features,
//! because the upload and share pages, the curl API, tus and downloads all build them.

use chrono::Utc;
use ferry_state::transfer::Transfer;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped in a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// `name` escaped for use as one URL path segment.
pub fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// `{base}/{token}/{name}`, the share URL of one file.
pub fn file_url(base: &str, token: &str, name: &str) -> String {
    format!("{base}/{token}/{}", utf8_percent_encode(name, SEGMENT))
}

/// `{base}/{token}/{name}/{deletion_token}`: DELETE it to delete the whole transfer.
pub fn delete_url(base: &str, transfer: &Transfer, name: &str) -> String {
    format!(
        "{}/{}",
        file_url(base, &transfer.token, name),
        transfer.deletion_token
    )
}

/// Whole days left before `transfer` expires (rounded up).
pub fn remaining_days(transfer: &Transfer) -> i64 {
    let seconds = (transfer.expires_at - Utc::now()).num_seconds().max(0);
    (seconds + 86_399) / 86_400
}
