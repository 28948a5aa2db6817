//! What the two pages with a drop zone share — the upload page (`upload`) and a file
//! request's page (`file_request`): the drop zone `upload.js` drives, the list of the
//! draft's files with the uploads' progress, and the body of the script's "add to
//! draft" call.

use ferry_state::tus::Upload;
use maud::{Markup, html};
use serde::Deserialize;

use crate::http::{html::csrf_field, language::Locale};

/// Where files are dropped or chosen; `upload.js` sends them over tus into the draft
/// `draft_token` names (and into `file_request`, the link token of a file request,
/// when given: the script then adds them through `/r/{token}/draft`).
pub fn drop_zone(l: Locale, draft_token: &str, file_request: Option<&str>) -> Markup {
    // The script's words: templates whose `{name}`s it fills in, and the plural
    // forms of its counts by CLDR category (it picks one with `Intl.PluralRules`).
    let units = ["size-b", "size-kb", "size-mb", "size-gb", "size-tb"]
        .map(|key| l.t_args(key, &[("n", "{n}".into())]));
    let strings = serde_json::json!({
        "uploading": l.t_args("js-uploading", &[("pct", "{pct}".into()), ("size", "{size}".into())]),
        "ready": l.plural_forms("js-ready", "done"),
        "failed": l.plural_forms("js-failed", "failed"),
        "progress": l.t_args("js-progress-label", &[("name", "{name}".into())]),
        "failedStatus": l.t_args("js-failed-status", &[("status", "{status}".into())]),
        "units": units,
        "decimal": l.decimal_sign(),
    });
    html! {
        div #drop .drop data-draft-token=(draft_token) data-file-request=[file_request]
            data-strings=(strings.to_string()) {
            strong { (l.t("upload-drop")) }
            " " span.muted { (l.t("upload-or")) } " "
            button #pick .secondary type="button" { (l.t("upload-choose")) }
            input #file-input .sr-only type="file" multiple tabindex="-1" aria-label=(l.t("upload-choose-label"));
        }
    }
}

/// The files of a draft (the script adds rows as uploads start) and the progress of
/// the uploads, announced politely; with `remove_csrf`, each file has a remove form.
pub fn draft_list(l: Locale, drafted: &[Upload], remove_csrf: Option<&str>) -> Markup {
    html! {
        p #draft-empty .muted hidden[!drafted.is_empty()] { (l.t("draft-empty")) }
        ul #draft-files .files {
            @for upload in drafted {
                li data-done="1" {
                    span.name { (upload.filename) }
                    span.size { (l.size(upload.offset)) }
                    @if let Some(csrf) = remove_csrf {
                        form method="post" action="/draft/remove" {
                            (csrf_field(csrf))
                            input type="hidden" name="upload_id" value=(upload.id);
                            button.link type="submit"
                                aria-label=(l.t_args("draft-remove-label", &[("name", upload.filename.as_str().into())])) { (l.t("draft-remove")) }
                        }
                    }
                }
            }
        }
        progress #overall max="100" value="0" aria-label=(l.t("upload-overall-label")) {}
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
