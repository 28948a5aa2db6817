//! What the two pages with a drop zone share — the upload page (`upload`) and a file
//! request's page (`file_request`): the drop zone `upload.js` drives, the list of the
//! draft's files with the uploads' progress, and the body of the script's "add to
//! draft" call.

use ferry_state::tus::Upload;
use maud::{Markup, html};
use serde::Deserialize;

use crate::http::html::{csrf_field, human_size};

/// Where files are dropped or chosen; `upload.js` sends them over tus into the draft
/// `draft_token` names (and into `file_request`, the link token of a file request,
/// when given: the script then adds them through `/r/{token}/draft`).
pub fn drop_zone(draft_token: &str, file_request: Option<&str>) -> Markup {
    html! {
        div #drop .drop data-draft-token=(draft_token) data-file-request=[file_request] {
            strong { "Drag and drop files here" }
            " " span.muted { "or" } " "
            button #pick .secondary type="button" { "choose files" }
            input #file-input .sr-only type="file" multiple tabindex="-1" aria-label="Choose files";
        }
    }
}

/// The files of a draft (the script adds rows as uploads start) and the progress of
/// the uploads, announced politely; with `remove_csrf`, each file has a remove form.
pub fn draft_list(drafted: &[Upload], remove_csrf: Option<&str>) -> Markup {
    html! {
        p #draft-empty .muted hidden[!drafted.is_empty()] { "No files yet." }
        ul #draft-files .files {
            @for upload in drafted {
                li data-done="1" {
                    span.name { (upload.filename) }
                    span.size { (human_size(upload.offset)) }
                    @if let Some(csrf) = remove_csrf {
                        form method="post" action="/draft/remove" {
                            (csrf_field(csrf))
                            input type="hidden" name="upload_id" value=(upload.id);
                            button.link type="submit" aria-label={ "Remove " (upload.filename) } { "Remove" }
                        }
                    }
                }
            }
        }
        progress #overall max="100" value="0" aria-label="Overall upload progress" {}
        p #overall-text .muted aria-live="polite" {}
    }
}

/// The upload the page's script adds to the draft.
#[derive(Deserialize)]
pub struct DraftAdd {
    upload_id: String,
}

impl DraftAdd {
    /// The finished upload to add.
    pub fn upload_id(&self) -> &str {
        &self.upload_id
    }
}
