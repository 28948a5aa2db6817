//! The repository rules of `ferry-state`, tested directly on a `State` against a fresh
//! database migrated by the real `ferry migrate`: which transfers are served, the
//! download limit under concurrency, resume grants, when bytes may be purged, which
//! blobs the orphan sweep may free, the conditional blob append, idempotent upload
//! completion, an owner's transfer list, cron slots and their retention.
//!
//! The rules themselves live in SQL (migration `*_repository_rules.sql`) and in the
//! statements of `crates/ferry-state/src`; these tests pin what they mean.

mod harness;

use std::time::Duration;

use chrono::{DateTime, Utc};
use ferry_state::{
    Settings, State,
    cron::SlotOutcome,
    retention::RetentionPolicy,
    transfer::{Admission, Downloader, NewFile, Transfer, TransferOptions},
    tus::NewUpload,
};
use harness::TestApp;
use harness::data::random_bytes;
use uuid::Uuid;

/// A `State` on the app's database and Redis prefix, as a process would build it.
fn state(app: &TestApp) -> State {
    State::connect_lazy(&Settings {
        pg_pool_size: 16,
        ..app.state_settings()
    })
    .expect("valid settings")
}

/// A sealed blob holding `bytes`, as a file of a transfer would have.
async fn file(state: &State, name: &str, bytes: &[u8]) -> NewFile {
    use sha2::Digest;
    let store = state.blob_store();
    let blob_id = store.create().await.unwrap();
    let sha256 = sha2::Sha256::digest(bytes).to_vec();
    assert!(
        store
            .append(blob_id, 0, bytes::Bytes::copy_from_slice(bytes), b"-")
            .await
            .unwrap()
    );
    store.seal(blob_id, &sha256).await.unwrap();
    NewFile {
        name: name.to_owned(),
        content_type: "application/octet-stream".to_owned(),
        blob_id,
        size: bytes.len() as i64,
        sha256,
    }
}

fn in_days(days: i64) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::days(days)
}

async fn transfer(state: &State, max_downloads: Option<i32>) -> Transfer {
    let files = [file(state, "a.bin", b"hello").await];
    state
        .create_transfer(&files, &TransferOptions::new(in_days(1), max_downloads))
        .await
        .unwrap()
}

async fn exec(app: &TestApp, sql: &'static str, id: Uuid) {
    sqlx::query(sql).bind(id).execute(&app.pg).await.unwrap();
}

/// The downloads counted on transfer `id` so far (`transfers.downloads`).
async fn downloads_of(app: &TestApp, id: Uuid) -> i32 {
    sqlx::query_scalar("SELECT downloads FROM transfers WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pg)
        .await
        .unwrap()
}

/// A downloader from `address` with no resume cookie: a first download.
fn first_time_from(address: &str) -> Downloader<'_> {
    Downloader {
        address,
        resume_secret: None,
    }
}

const HERE: Downloader<'static> = Downloader {
    address: "192.0.2.1",
    resume_secret: None,
};
const ELSEWHERE: Downloader<'static> = Downloader {
    address: "198.51.100.7",
    resume_secret: None,
};
const WINDOW: Duration = Duration::from_secs(600);

#[tokio::test(flavor = "multi_thread")]
async fn a_transfer_is_served_while_live_and_never_once_expired_deleted_or_used_up() {
    let app = TestApp::new("repo_visibility").await;
    let state = state(&app);
    let live = transfer(&state, None).await;
    let expired = transfer(&state, None).await;
    exec(
        &app,
        "UPDATE transfers SET expires_at = now() - interval '1 second' WHERE id = $1",
        expired.id,
    )
    .await;
    let deleted = transfer(&state, None).await;
    assert_eq!(
        state
            .delete_transfer(&deleted.token, &deleted.deletion_token)
            .await
            .unwrap(),
        Some(deleted.id)
    );
    let used_up = transfer(&state, Some(1)).await;
    assert_eq!(
        state.claim_archive_download(used_up.id).await.unwrap(),
        Some(Some(0))
    );

    let found = state.find_transfer(&live.token).await.unwrap().unwrap();
    assert_eq!(found.id, live.id);
    assert_eq!(found.files.len(), 1);
    assert_eq!(found.files[0].name, "a.bin");
    for gone in [&expired, &deleted, &used_up] {
        assert!(state.find_transfer(&gone.token).await.unwrap().is_none());
        assert!(state.live_transfer_by_id(gone.id).await.unwrap().is_none());
    }
    assert!(state.live_transfer_by_id(live.id).await.unwrap().is_some());
    // Used up is still downloadable for a resume; expired and deleted are not.
    let resumable = state
        .find_transfer_to_download(&used_up.token)
        .await
        .unwrap();
    assert_eq!(resumable.map(|t| t.id), Some(used_up.id));
    for gone in [&expired, &deleted] {
        assert!(
            state
                .find_transfer_to_download(&gone.token)
                .await
                .unwrap()
                .is_none()
        );
    }
    // Neither is a used-up, expired or deleted transfer counted again.
    for gone in [&expired, &deleted, &used_up] {
        assert_eq!(state.claim_archive_download(gone.id).await.unwrap(), None);
    }
    // A wrong deletion token deletes nothing.
    assert_eq!(
        state.delete_transfer(&live.token, "wrong").await.unwrap(),
        None
    );
    assert!(state.find_transfer(&live.token).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn of_many_concurrent_claims_on_a_limited_transfer_exactly_the_limit_succeed() {
    let app = TestApp::new("repo_claim_race").await;
    let state = state(&app);
    let limited = transfer(&state, Some(3)).await;
    let claims = (0..24).map(|_| {
        let state = state.clone();
        tokio::spawn(async move { state.claim_archive_download(limited.id).await.unwrap() })
    });
    let mut remaining: Vec<i32> = Vec::new();
    for claim in claims {
        if let Some(left) = claim.await.unwrap() {
            remaining.push(left.expect("a limited transfer reports what is left"));
        }
    }
    remaining.sort_unstable();
    assert_eq!(remaining, [0, 1, 2]);
    assert_eq!(downloads_of(&app, limited.id).await, 3);

    // admit_download counts the same way.
    let admitted = transfer(&state, Some(2)).await;
    let admissions = (0..16).map(|i| {
        let state = state.clone();
        tokio::spawn(async move {
            let address = format!("203.0.113.{i}");
            let who = first_time_from(&address);
            state
                .admit_download(admitted.id, "a.bin", who, false, WINDOW)
                .await
                .unwrap()
        })
    });
    let mut counted = 0;
    for admission in admissions {
        match admission.await.unwrap() {
            Some(Admission::Counted { .. }) => counted += 1,
            Some(other) => panic!("a first download was admitted as {other:?}"),
            None => {}
        }
    }
    assert_eq!(counted, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_counts_per_file_and_an_archive_takes_one_of_each_all_or_nothing_under_races() {
    let app = TestApp::new("repo_per_file").await;
    let state = state(&app);
    let files = [
        file(&state, "a.bin", b"a").await,
        file(&state, "b.bin", b"b").await,
        file(&state, "c.bin", b"c").await,
    ];
    let limited = state
        .create_transfer(&files, &TransferOptions::new(in_days(1), Some(2)))
        .await
        .unwrap();
    // Archives and single files of a.bin and b.bin, all at once.
    let claims = (0..36).map(|i| {
        let state = state.clone();
        tokio::spawn(async move {
            let address = format!("203.0.113.{i}");
            let who = first_time_from(&address);
            match i % 3 {
                0 => state
                    .claim_archive_download(limited.id)
                    .await
                    .unwrap()
                    .map(|_| "archive"),
                1 => state
                    .admit_download(limited.id, "a.bin", who, false, WINDOW)
                    .await
                    .unwrap()
                    .map(|_| "a.bin"),
                _ => state
                    .admit_download(limited.id, "b.bin", who, false, WINDOW)
                    .await
                    .unwrap()
                    .map(|_| "b.bin"),
            }
        })
    });
    let mut admitted = Vec::new();
    for claim in claims {
        admitted.extend(claim.await.unwrap());
    }
    let archives = admitted.iter().filter(|a| **a == "archive").count();
    let singles = |name| admitted.iter().filter(|a| **a == name).count();
    // Each file was served at most twice in all, counting archives, and never more.
    assert!(archives + singles("a.bin") <= 2, "{admitted:?}");
    assert!(archives + singles("b.bin") <= 2, "{admitted:?}");
    let per_file: Vec<(String, i32)> =
        sqlx::query_as("SELECT name, downloads FROM files WHERE transfer_id = $1 ORDER BY name")
            .bind(limited.id)
            .fetch_all(&app.pg)
            .await
            .unwrap();
    assert_eq!(
        per_file,
        [
            ("a.bin".to_owned(), (archives + singles("a.bin")) as i32),
            ("b.bin".to_owned(), (archives + singles("b.bin")) as i32),
            ("c.bin".to_owned(), archives as i32),
        ]
    );
    // Both used up a.bin and b.bin between them (36 tries for 2 each).
    assert_eq!(per_file[0].1, 2);
    assert_eq!(per_file[1].1, 2);
    // c.bin still has what the archives left it: the transfer is live while it has,
    // and c.bin downloads alone while a.bin is 404 and no archive is possible.
    let left = 2 - archives as i32;
    assert_eq!(
        state.find_transfer(&limited.token).await.unwrap().is_some(),
        left > 0
    );
    if left > 0 {
        assert_eq!(
            state.claim_archive_download(limited.id).await.unwrap(),
            None
        );
        let who = Downloader {
            address: "192.0.2.9",
            resume_secret: None,
        };
        let c = state
            .admit_download(limited.id, "c.bin", who, false, WINDOW)
            .await
            .unwrap();
        assert!(
            matches!(c, Some(Admission::Counted { remaining: Some(r), .. }) if r == left - 1),
            "{c:?}"
        );
    }
}

/// Whether `who` may resume file `name` of transfer `id` (the HEAD check), and what a
/// Range request by it is then admitted as.
async fn resume(
    state: &State,
    id: Uuid,
    name: &str,
    who: Downloader<'_>,
) -> (bool, Option<Admission>) {
    let may = state.may_resume(id, name, who, WINDOW).await.unwrap();
    let admitted = state
        .admit_download(id, name, who, true, WINDOW)
        .await
        .unwrap();
    (may, admitted)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_counted_download_is_resumed_by_its_client_or_secret_without_using_another() {
    let app = TestApp::new("repo_resume").await;
    let state = state(&app);
    let once = transfer(&state, Some(1)).await;
    let first = state
        .admit_download(once.id, "a.bin", HERE, false, WINDOW)
        .await
        .unwrap()
        .unwrap();
    let Admission::Counted {
        remaining: Some(0),
        resume_secret: Some(secret),
    } = first
    else {
        panic!("the first download is counted and gets a secret: {first:?}");
    };

    // The same address resumes; nothing is counted.
    assert_eq!(
        resume(&state, once.id, "a.bin", HERE).await,
        (true, Some(Admission::Resumed(Some(0))))
    );
    // Another address only with the secret.
    assert_eq!(
        resume(&state, once.id, "a.bin", ELSEWHERE).await,
        (false, None)
    );
    let with_secret = Downloader {
        address: ELSEWHERE.address,
        resume_secret: Some(&secret),
    };
    assert_eq!(
        resume(&state, once.id, "a.bin", with_secret).await,
        (true, Some(Admission::Resumed(Some(0))))
    );
    // The grant is for that file, and a request that is not a resume counts.
    assert!(
        !state
            .may_resume(once.id, "other.bin", HERE, WINDOW)
            .await
            .unwrap()
    );
    assert_eq!(
        state
            .admit_download(once.id, "a.bin", HERE, false, WINDOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(downloads_of(&app, once.id).await, 1);

    // Once the grant expires, nobody resumes.
    exec(
        &app,
        "UPDATE download_grants SET expires_at = now() - interval '1 second' WHERE transfer_id = $1",
        once.id,
    )
    .await;
    assert_eq!(resume(&state, once.id, "a.bin", HERE).await, (false, None));

    // Without a resume window nothing is granted.
    let no_window = transfer(&state, Some(1)).await;
    assert_eq!(
        state
            .admit_download(no_window.id, "a.bin", HERE, false, Duration::ZERO)
            .await
            .unwrap(),
        Some(Admission::Counted {
            remaining: Some(0),
            resume_secret: None
        })
    );
    assert!(
        !state
            .may_resume(no_window.id, "a.bin", HERE, WINDOW)
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bytes_are_purged_only_after_the_grace_and_once_no_resume_is_promised() {
    let app = TestApp::new("repo_purge").await;
    let state = state(&app);
    let grace = Duration::from_secs(3600);
    let live = transfer(&state, None).await;
    let deleted = transfer(&state, None).await;
    state
        .delete_transfer(&deleted.token, &deleted.deletion_token)
        .await
        .unwrap();
    // Expired, but a download started a moment ago.
    let expired = transfer(&state, None).await;
    exec(
        &app,
        "UPDATE transfers SET expires_at = now() - interval '1 second', last_download_at = now()
         WHERE id = $1",
        expired.id,
    )
    .await;
    // Used up, and its client may still resume.
    let used_up = transfer(&state, Some(1)).await;
    state
        .admit_download(used_up.id, "a.bin", HERE, false, WINDOW)
        .await
        .unwrap()
        .unwrap();

    let purgeable = |grace| {
        let state = state.clone();
        async move {
            let mut ids = state.purgeable_transfers(100, grace).await.unwrap();
            ids.sort();
            ids
        }
    };
    assert_eq!(purgeable(grace).await, [deleted.id]);
    let mut expected = vec![deleted.id, expired.id];
    expected.sort();
    assert_eq!(purgeable(Duration::ZERO).await, expected);
    assert!(
        !state
            .purge_transfer(used_up.id, 10, Duration::ZERO)
            .await
            .unwrap()
    );
    assert!(
        !state
            .purge_transfer(live.id, 10, Duration::ZERO)
            .await
            .unwrap()
    );
    assert!(!state.purge_transfer(expired.id, 10, grace).await.unwrap());

    // The promise ends: the used-up transfer may go after the grace.
    exec(
        &app,
        "UPDATE download_grants SET expires_at = now() - interval '1 second' WHERE transfer_id = $1",
        used_up.id,
    )
    .await;
    exec(
        &app,
        "UPDATE transfers SET last_download_at = now() - interval '2 hours' WHERE id = $1",
        used_up.id,
    )
    .await;
    assert!(purgeable(grace).await.contains(&used_up.id));

    // Purging removes the rows and the bytes, and is idempotent.
    let blob = used_up.files[0].blob_id;
    assert!(state.purge_transfer(used_up.id, 1, grace).await.unwrap());
    assert!(state.purge_transfer(used_up.id, 1, grace).await.unwrap());
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM transfers WHERE id = $1)
              + (SELECT count(*) FROM blobs WHERE id = $2)
              + (SELECT count(*) FROM blob_chunks WHERE blob_id = $2)",
    )
    .bind(used_up.id)
    .bind(blob)
    .fetch_one(&app.pg)
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert!(state.find_transfer(&live.token).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_orphan_sweep_frees_only_blobs_no_row_refers_to() {
    let app = TestApp::new("repo_orphans").await;
    let state = state(&app);
    let age = Duration::from_secs(3600);
    // A transfer with two files: one gets a thumbnail, the transfer a bundle.
    let files = [
        file(&state, "a.png", b"png").await,
        file(&state, "b.bin", &random_bytes(3000, 1)).await,
    ];
    let sent = state
        .create_transfer(&files, &TransferOptions::new(in_days(1), None))
        .await
        .unwrap();
    let thumbnail = file(&state, "thumb", b"small").await.blob_id;
    assert!(
        state
            .mark_file_ready(sent.files[0].id, "image/png", Some(thumbnail))
            .await
            .unwrap()
    );
    let bundle = file(&state, "zip", b"zip").await.blob_id;
    assert!(state.attach_bundle(sent.id, bundle).await.unwrap());
    let upload = state
        .create_upload(&NewUpload {
            length: Some(10),
            metadata: None,
            filename: "u.bin".into(),
            content_type: "application/octet-stream".into(),
            max_downloads: None,
            max_days: 1,
            expires_at: in_days(1),
            draft: false,
            concat: None,
            owner_id: None,
        })
        .await
        .unwrap();
    let orphan = file(&state, "lost", &random_bytes(5000, 2)).await.blob_id;
    let young = file(&state, "still-writing", b"x").await.blob_id;
    sqlx::query("UPDATE blobs SET touched_at = now() - interval '2 hours' WHERE id <> $1")
        .bind(young)
        .execute(&app.pg)
        .await
        .unwrap();

    assert_eq!(
        state.blob_store().orphans(age, 100).await.unwrap(),
        [orphan]
    );
    let referenced = [
        files[0].blob_id,
        files[1].blob_id,
        thumbnail,
        bundle,
        upload.blob_id,
        young,
    ];
    for blob in referenced {
        assert_eq!(
            state.reclaim_orphan_blob(blob, age, 2).await.unwrap(),
            None,
            "blob {blob} is referenced (or young) and must stay"
        );
    }
    assert_eq!(
        state.reclaim_orphan_blob(orphan, age, 2).await.unwrap(),
        Some(1)
    );
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM blobs) * 1000 + (SELECT count(*) FROM blob_chunks)",
    )
    .fetch_one(&app.pg)
    .await
    .unwrap();
    // Six blobs stay (the upload's is empty): two files, thumbnail, bundle, young.
    assert_eq!(left, 6 * 1000 + 5);
    assert!(
        state
            .blob_store()
            .orphans(age, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunk_is_committed_only_at_the_blobs_committed_size() {
    let app = TestApp::new("repo_append").await;
    let store = state(&app).blob_store();
    let blob = store.create().await.unwrap();
    assert!(
        store
            .append(blob, 0, bytes::Bytes::from_static(b"hello "), b"h1")
            .await
            .unwrap()
    );
    // A second writer at the same offset, or one that skipped ahead, commits nothing.
    assert!(
        !store
            .append(blob, 0, bytes::Bytes::from_static(b"HELLO "), b"h1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .append(blob, 10, bytes::Bytes::from_static(b"gap"), b"h9")
            .await
            .unwrap()
    );
    assert!(
        store
            .append(blob, 6, bytes::Bytes::from_static(b"world"), b"h2")
            .await
            .unwrap()
    );
    let committed = store.state(blob).await.unwrap().unwrap();
    assert_eq!(committed.size, 11);
    assert_eq!(committed.hash_state.as_deref(), Some(&b"h2"[..]));
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM blob_chunks WHERE blob_id = $1")
        .bind(blob)
        .fetch_one(&app.pg)
        .await
        .unwrap();
    assert_eq!(chunks, 2);
    use futures::TryStreamExt;
    let read: Vec<bytes::Bytes> = store.read(blob, 3, 11).try_collect().await.unwrap();
    assert_eq!(read.concat(), b"lo world");
}

#[tokio::test(flavor = "multi_thread")]
async fn completing_an_upload_twice_returns_the_transfer_the_first_call_made() {
    let app = TestApp::new("repo_complete").await;
    let state = state(&app);
    let upload = state
        .create_upload(&NewUpload {
            length: Some(5),
            metadata: Some("filename aGk=".into()),
            filename: "hi.txt".into(),
            content_type: "text/plain".into(),
            max_downloads: Some(4),
            max_days: 2,
            expires_at: in_days(1),
            draft: false,
            concat: None,
            owner_id: None,
        })
        .await
        .unwrap();
    assert_eq!(upload.offset, 0);
    assert!(upload.transfer_token.is_none());
    assert!(
        state
            .blob_store()
            .append(upload.blob_id, 0, bytes::Bytes::from_static(b"hello"), b"s")
            .await
            .unwrap()
    );
    let first = state
        .complete_upload(&upload.id, &[7; 32])
        .await
        .unwrap()
        .unwrap();
    let again = state
        .complete_upload(&upload.id, &[7; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.token, first.token);
    assert_eq!(first.max_downloads, Some(4));
    assert_eq!(first.files.len(), 1);
    assert_eq!(first.files[0].name, "hi.txt");
    assert_eq!(first.files[0].size, 5);
    let transfers: i64 = sqlx::query_scalar("SELECT count(*) FROM transfers")
        .fetch_one(&app.pg)
        .await
        .unwrap();
    assert_eq!(transfers, 1);
    let found = state.find_upload(&upload.id).await.unwrap().unwrap();
    assert_eq!(found.offset, 5);
    assert_eq!(found.transfer_token.as_deref(), Some(first.token.as_str()));
    assert_eq!(
        found.deletion_token.as_deref(),
        Some(first.deletion_token.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owners_transfers_are_listed_newest_first_each_with_its_own_files_in_order() {
    let app = TestApp::new("repo_transfers_of").await;
    let state = state(&app);
    let owner = state
        .create_user("Owner@Example.org", "hash")
        .await
        .unwrap()
        .unwrap();
    let other = state
        .create_user("other@example.org", "hash")
        .await
        .unwrap()
        .unwrap();
    let owned = |user: Uuid| TransferOptions {
        owner_id: Some(user),
        ..TransferOptions::new(in_days(1), None)
    };
    let mut made = Vec::new();
    for (age_hours, names) in [
        (3, vec!["a", "b", "c"]),
        (1, vec!["d"]),
        (2, vec!["e", "f"]),
    ] {
        let mut files = Vec::new();
        for name in &names {
            files.push(file(&state, name, name.as_bytes()).await);
        }
        let t = state
            .create_transfer(&files, &owned(owner.id))
            .await
            .unwrap();
        sqlx::query(
            "UPDATE transfers SET created_at = now() - make_interval(hours => $2) WHERE id = $1",
        )
        .bind(t.id)
        .bind(age_hours)
        .execute(&app.pg)
        .await
        .unwrap();
        made.push((t, names));
    }
    let deleted = state
        .create_transfer(&[file(&state, "x", b"x").await], &owned(owner.id))
        .await
        .unwrap();
    state
        .delete_owned_transfer(&deleted.token, owner.id)
        .await
        .unwrap();
    state
        .create_transfer(&[file(&state, "y", b"y").await], &owned(other.id))
        .await
        .unwrap();

    let listed = state.transfers_of(owner.id).await.unwrap();
    let summary: Vec<(Uuid, Vec<&str>)> = listed
        .iter()
        .map(|t| (t.id, t.files.iter().map(|f| f.name.as_str()).collect()))
        .collect();
    let newest_first: Vec<(Uuid, Vec<&str>)> = [1, 2, 0]
        .iter()
        .map(|&i| (made[i].0.id, made[i].1.clone()))
        .collect();
    assert_eq!(summary, newest_first);
    assert_eq!(listed[0].files[0].size, 1);
    assert!(state.transfers_of(Uuid::new_v4()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cron_slot_is_enqueued_once_however_many_clocks_offer_it() {
    let app = TestApp::new("repo_cron_slot").await;
    let state = state(&app);
    let slot: DateTime<Utc> = "2026-01-01T00:05:00Z".parse().unwrap();
    let offers = (0..8).map(|i| {
        let state = state.clone();
        tokio::spawn(async move {
            state
                .enqueue_slot("purge-expired", slot, &format!("clock-{i}"), 3)
                .await
                .unwrap()
        })
    });
    let mut enqueued = Vec::new();
    for offer in offers {
        if let SlotOutcome::Enqueued(job) = offer.await.unwrap() {
            enqueued.push(job);
        }
    }
    assert_eq!(enqueued.len(), 1, "exactly one clock enqueues the slot");
    let recorded = state.slots_since("purge-expired", slot).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].job_id.as_deref(), Some(enqueued[0].as_str()));
    assert_eq!(state.last_slot("purge-expired").await.unwrap(), Some(slot));
    assert_eq!(
        state
            .enqueue_slot("purge-expired", slot, "late", 3)
            .await
            .unwrap(),
        SlotOutcome::AlreadyEnqueued
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_trims_old_slots_but_keeps_the_newest_of_each_schedule() {
    let app = TestApp::new("repo_retention").await;
    let state = state(&app);
    for (schedule, days_ago) in [("a", 30), ("a", 20), ("a", 10), ("b", 40), ("c", 0)] {
        sqlx::query(
            "INSERT INTO cron_slots (schedule, slot_at, enqueued_by)
             VALUES ($1, date_trunc('minute', now()) - make_interval(days => $2), 'test')",
        )
        .bind(schedule)
        .bind(days_ago)
        .execute(&app.pg)
        .await
        .unwrap();
    }
    let before = state.last_slots().await.unwrap();
    let day = Duration::from_secs(86_400);
    let policy = RetentionPolicy {
        done_jobs: day,
        dead_jobs: day,
        workers: day,
        cron_slots: Duration::from_secs(86_400 * 5),
        job_effects: day,
        orphan_blob_age: day,
        audit: Duration::from_secs(365 * 86_400),
        batch: 1,
    };
    let swept = state.sweep_retention(&policy).await.unwrap();
    assert_eq!(swept.cron_slots, 2);
    assert_eq!(state.last_slots().await.unwrap(), before);
    let left: Vec<(String, i64)> = sqlx::query_as(
        "SELECT schedule, count(*) FROM cron_slots GROUP BY schedule ORDER BY schedule",
    )
    .fetch_all(&app.pg)
    .await
    .unwrap();
    assert_eq!(
        left,
        [
            ("a".to_owned(), 1),
            ("b".to_owned(), 1),
            ("c".to_owned(), 1)
        ]
    );
}
