//! Tests of the service layer (`ferry-core`): each use case called directly, as the web,
//! worker and admin adapters call it, on a fresh migrated database and a Redis prefix
//! of its own (the harness's `TestApp`), with real Postgres and Redis underneath.
//! What an adapter adds (HTTP, job plumbing) is covered by the black-box suites.

mod harness;

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use chrono::Utc;
use ferry_core::{
    Error, FileName, Housekeeping, Lifetimes, NewUploadRequest, Policy, Schedule, SendDraft,
    Service, archive, blob::Checksum,
};
use ferry_state::{State, retention::RetentionPolicy};
use futures::{StreamExt, TryStreamExt};
use harness::data::random_bytes;
use harness::{TestApp, count, eventually};
use sha2::{Digest, Sha256};

const SECOND: Duration = Duration::from_secs(1);

fn state_of(app: &TestApp) -> State {
    State::connect_lazy(&app.state_settings()).expect("valid settings")
}

/// Small chunks, so a few KiB make several of them.
fn policy() -> Policy {
    Policy {
        lifetimes: Lifetimes::new(14, 30),
        max_upload_size: 1 << 20,
        chunk_size: 4096,
        max_files: 3,
        ..Policy::default()
    }
}

fn service(app: &TestApp) -> Service {
    Service::with_housekeeping(
        state_of(app),
        policy(),
        Housekeeping {
            purge_batch: 2,
            purge_grace: Duration::ZERO,
            retention: RetentionPolicy {
                done_jobs: Duration::from_secs(7 * 86_400),
                dead_jobs: Duration::from_secs(30 * 86_400),
                workers: Duration::from_secs(86_400),
                cron_slots: Duration::from_secs(30 * 86_400),
                job_effects: Duration::from_secs(7 * 86_400),
                orphan_blob_age: Duration::from_secs(86_400),
                audit: Duration::from_secs(365 * 86_400),
                batch: 100,
            },
        },
    )
}

/// `bytes` as a body arriving in pieces of `piece` bytes.
fn body(
    bytes: &[u8],
    piece: usize,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + use<> {
    let pieces: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(piece)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures::stream::iter(pieces)
}

async fn read_all(service: &Service, blob: uuid::Uuid, size: i64) -> Vec<u8> {
    service
        .blobs()
        .read(blob, 0, size)
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap()
}

/// A transfer of one file called `name` holding `bytes`, with the default limits.
async fn one_file_transfer(
    service: &Service,
    name: &str,
    bytes: &[u8],
) -> ferry_state::transfer::Transfer {
    let mut guard = service.blob_guard();
    let file = service
        .store_file(
            &mut guard,
            FileName::parse(name),
            body(bytes, 4096),
            1 << 20,
        )
        .await
        .unwrap();
    let limits = service.limits(None, None).unwrap();
    service
        .create_transfer(guard, vec![file], limits, None)
        .await
        .unwrap()
}

/// The upload `id` as stored now.
async fn reload(service: &Service, id: &str) -> ferry_state::tus::Upload {
    service.state().find_upload(id).await.unwrap().unwrap()
}

async fn jobs_in(app: &TestApp, queue: &str) -> i64 {
    count(
        app,
        &format!("SELECT count(*) FROM apalis.jobs WHERE job_type = '{queue}'"),
    )
    .await
}

/// Waits until the background deletion of a dropped guard has run.
async fn blobs_become(app: &TestApp, n: i64) {
    eventually("the blob count to settle", 10 * SECOND, || async {
        (count(app, "SELECT count(*) FROM blobs").await == n).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn files_stored_through_the_service_become_one_transfer_whose_finishing_is_enqueued() {
    let app = TestApp::new("svc_create").await;
    let service = service(&app);
    let (a, b) = (random_bytes(10_000, 1), random_bytes(5, 2));

    let mut guard = service.blob_guard();
    let first = service
        .store_file(
            &mut guard,
            FileName::parse("../a.txt"),
            body(&a, 777),
            1 << 20,
        )
        .await
        .unwrap();
    let second = service
        .store_file(&mut guard, FileName::parse("a.txt"), body(&b, 1), 1 << 20)
        .await
        .unwrap();
    let limits = service.limits(Some("2"), Some("3")).unwrap();
    let transfer = service
        .create_transfer(guard, vec![first, second], limits, None)
        .await
        .unwrap();

    assert_eq!(transfer.max_downloads, Some(2));
    let days = (transfer.expires_at - Utc::now()).num_hours();
    assert!((71..=72).contains(&days), "{days} hours");
    let names: Vec<&str> = transfer.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["a.txt", "a (2).txt"],
        "names are sanitised and made unique"
    );
    assert_eq!(transfer.files[0].sha256, Sha256::digest(&a).to_vec());
    assert_eq!(
        read_all(&service, transfer.files[0].blob_id, 10_000).await,
        a
    );
    assert_eq!(read_all(&service, transfer.files[1].blob_id, 5).await, b);
    // 10,000 bytes in 4 KiB chunks: three chunks, whatever the body's pieces were.
    let chunks = count(
        &app,
        &format!(
            "SELECT count(*) FROM blob_chunks WHERE blob_id = '{}'",
            transfer.files[0].blob_id
        ),
    )
    .await;
    assert_eq!(chunks, 3);
    assert_eq!(jobs_in(&app, "ferry.finish").await, 2);
    assert_eq!(jobs_in(&app, "ferry.bundle").await, 1);
    // The guard was disarmed: the blobs stay.
    tokio::time::sleep(SECOND).await;
    assert_eq!(count(&app, "SELECT count(*) FROM blobs").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_or_abandoned_write_leaves_no_blob_behind() {
    let app = TestApp::new("svc_guard").await;
    let service = service(&app);

    // Empty: refused, and the blob made for it goes with the guard.
    let mut guard = service.blob_guard();
    let empty = service
        .store_file(&mut guard, FileName::parse("e.txt"), body(&[], 1), 100)
        .await;
    assert!(matches!(empty, Err(Error::Invalid(m)) if m.contains("empty")));
    drop(guard);
    blobs_become(&app, 0).await;

    // Over the limit: refused mid-stream, after whole chunks were committed.
    let mut guard = service.blob_guard();
    let big = random_bytes(20_000, 3);
    let over = service
        .store_file(&mut guard, FileName::parse("b"), body(&big, 5000), 12_000)
        .await;
    assert!(matches!(over, Err(Error::TooLarge)), "{over:?}");
    assert!(count(&app, "SELECT count(*) FROM blob_chunks").await > 0);
    drop(guard);
    blobs_become(&app, 0).await;
    assert_eq!(count(&app, "SELECT count(*) FROM blob_chunks").await, 0);

    // A body that breaks off: the same.
    let mut guard = service.blob_guard();
    let broken = futures::stream::iter(vec![
        Ok(Bytes::from(vec![1u8; 5000])),
        Err(std::io::Error::other("connection reset")),
    ]);
    let result = service
        .store_file(&mut guard, FileName::parse("c"), broken, 100_000)
        .await;
    assert!(matches!(result, Err(Error::BrokenBody(_))), "{result:?}");
    drop(guard);
    blobs_become(&app, 0).await;

    // Too many files for one transfer, and nonsense limits: refused before any byte.
    assert!(matches!(
        service.check_file_count(4),
        Err(Error::Invalid(_))
    ));
    service.check_file_count(3).unwrap();
    let err = service.limits(None, Some("31")).unwrap_err();
    assert!(err.to_string().starts_with("Max-Days must be"), "{err}");
    let err = service.limits(Some("0"), None).unwrap_err();
    assert!(
        err.to_string().starts_with("Max-Downloads must be"),
        "{err}"
    );
}

fn new_upload(length: u64, draft: bool, metadata: Option<String>) -> NewUploadRequest {
    NewUploadRequest {
        length: Some(length),
        metadata,
        filename: FileName::parse("movie.mp4"),
        filetype: None,
        max_downloads: None,
        max_days: Some("2".into()),
        draft,
        partial: false,
        owner: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumable_upload_written_in_parts_becomes_a_transfer_once() {
    let app = TestApp::new("svc_tus").await;
    let service = service(&app);
    let bytes = random_bytes(10_000, 4);
    let upload = service
        .create_upload(new_upload(10_000, false, None))
        .await
        .unwrap();
    assert_eq!(upload.content_type, "video/mp4");
    assert_eq!(upload.max_days, 2);

    // A body that breaks off keeps what arrived (the client resumes from there).
    let broken = futures::stream::iter(vec![
        Ok(Bytes::copy_from_slice(&bytes[..6000])),
        Err(std::io::Error::other("reset")),
    ]);
    let err = service.write_upload(&upload, 0, None, None, broken).await;
    assert!(matches!(err, Err(Error::BrokenBody(_))), "{err:?}");
    let upload = reload(&service, &upload.id).await;
    assert_eq!(upload.offset, 6000);

    // A write at a stale offset changes nothing.
    let stale = service
        .write_upload(&upload, 0, None, None, body(&bytes, 100))
        .await;
    assert!(matches!(stale, Err(Error::Conflict)), "{stale:?}");

    // A checksum that does not match commits nothing.
    let wrong = Checksum::parse(&format!(
        "sha1 {}",
        base64::engine::general_purpose::STANDARD.encode([0u8; 20])
    ))
    .unwrap();
    let mismatch = service
        .write_upload(&upload, 6000, Some(wrong), None, body(&bytes[6000..], 999))
        .await;
    assert!(
        matches!(mismatch, Err(Error::ChecksumMismatch)),
        "{mismatch:?}"
    );
    let upload = reload(&service, &upload.id).await;
    assert_eq!(upload.offset, 6000);

    // The rest, with the right checksum: complete, a transfer, finishing enqueued.
    let right = Checksum::parse(&format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes[6000..]))
    ))
    .unwrap();
    let (offset, transfer) = service
        .write_upload(&upload, 6000, Some(right), None, body(&bytes[6000..], 999))
        .await
        .unwrap();
    assert_eq!(offset, 10_000);
    let transfer = transfer.expect("the last byte makes a transfer");
    assert_eq!(transfer.files[0].sha256, Sha256::digest(&bytes).to_vec());
    assert_eq!(
        read_all(&service, transfer.files[0].blob_id, 10_000).await,
        bytes
    );

    // A retried final write finds the same transfer, and enqueues nothing new.
    let upload = reload(&service, &upload.id).await;
    let (_, again) = service
        .write_upload(&upload, 10_000, None, None, body(&[], 1))
        .await
        .unwrap();
    assert_eq!(again.unwrap().token, transfer.token);
    assert_eq!(jobs_in(&app, "ferry.finish").await, 1);

    // Terminating removes the record; a second time it is not found.
    service.terminate_upload(&upload.id).await.unwrap();
    assert!(matches!(
        service.terminate_upload(&upload.id).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_over_the_limits_are_refused_before_anything_is_stored() {
    let app = TestApp::new("svc_tus_limits").await;
    let service = service(&app);
    assert!(matches!(
        service
            .create_upload(new_upload((1 << 20) + 1, false, None))
            .await,
        Err(Error::TooLarge)
    ));
    assert!(matches!(
        service.create_upload(new_upload(0, false, None)).await,
        Err(Error::Invalid(_))
    ));
    let mut too_long = new_upload(10, false, None);
    too_long.max_days = Some("31".into());
    let err = service.create_upload(too_long).await.unwrap_err();
    assert!(err.to_string().contains("max_days"), "{err}");
    assert_eq!(count(&app, "SELECT count(*) FROM uploads").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM blobs").await, 0);
}

/// `Upload-Metadata` carrying a draft token.
fn draft_metadata(token: &str) -> Option<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    Some(format!(
        "filename {},ferry_draft {},ferry_draft_token {}",
        b64("movie.mp4"),
        b64("1"),
        b64(token)
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draft_takes_only_its_own_uploads_and_is_sent_as_one_transfer_with_unique_names() {
    let app = TestApp::new("svc_draft").await;
    let service = service(&app);
    let mut ids = Vec::new();
    for i in 0..3u64 {
        let upload = service
            .create_upload(new_upload(100, true, draft_metadata("token-1")))
            .await
            .unwrap();
        let (_, transfer) = service
            .write_upload(&upload, 0, None, None, body(&random_bytes(100, i), 30))
            .await
            .unwrap();
        assert!(transfer.is_none(), "a draft upload waits to be sent");
        ids.push(upload.id);
    }
    // Someone else's draft token: refused.
    assert!(matches!(
        service.add_to_draft("draft-1", &ids[0], "token-2").await,
        Err(Error::Forbidden("not_your_upload"))
    ));
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            service
                .add_to_draft("draft-1", id, "token-1")
                .await
                .unwrap(),
            i + 1
        );
    }
    // Adding twice changes nothing.
    assert_eq!(
        service
            .add_to_draft("draft-1", &ids[0], "token-1")
            .await
            .unwrap(),
        3
    );
    service.remove_from_draft("draft-1", &ids[2]).await.unwrap();
    assert_eq!(service.draft("draft-1").await.unwrap().len(), 2);

    let send = SendDraft {
        limits: service.limits(None, None).unwrap(),
        password_hash: None,
        owner_id: None,
    };
    let transfer = service
        .send_draft("draft-1", send.clone())
        .await
        .unwrap()
        .expect("a transfer");
    let names: Vec<&str> = transfer.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["movie.mp4", "movie (2).mp4"]);
    assert_eq!(transfer.remaining_downloads(), None);
    assert!(service.draft("draft-1").await.unwrap().is_empty());
    assert_eq!(jobs_in(&app, "ferry.finish").await, 2);
    assert_eq!(jobs_in(&app, "ferry.bundle").await, 1);
    // An empty draft sends nothing.
    assert!(service.send_draft("draft-1", send).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_needs_the_deletion_token_and_the_purge_frees_every_byte() {
    let app = TestApp::new("svc_delete").await;
    let service = service(&app);
    let transfer = one_file_transfer(&service, "x.bin", &random_bytes(20_000, 5)).await;

    assert!(matches!(
        service
            .delete_transfer(&transfer.token, None, "not-the-token")
            .await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        service
            .delete_transfer(&transfer.token, Some("other.bin"), &transfer.deletion_token)
            .await,
        Err(Error::NotFound)
    ));
    service
        .delete_transfer(&transfer.token, Some("x.bin"), &transfer.deletion_token)
        .await
        .unwrap();
    assert!(
        service
            .state()
            .find_transfer(&transfer.token)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(jobs_in(&app, "ferry.purge").await, 1);

    // The purge job's work: every chunk and row goes, in batches of two chunks.
    assert!(service.purge(transfer.id).await.unwrap());
    assert_eq!(count(&app, "SELECT count(*) FROM blob_chunks").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM blobs").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);
    // Idempotent.
    assert!(service.purge(transfer.id).await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_purge_sweep_enqueues_expired_transfers_and_a_web_service_refuses_housekeeping() {
    let app = TestApp::new("svc_sweep").await;
    let service = service(&app);
    let transfer = one_file_transfer(&service, "x", b"hello").await;
    sqlx::query("UPDATE transfers SET expires_at = now() - interval '1 minute' WHERE id = $1")
        .bind(transfer.id)
        .execute(&app.pg)
        .await
        .unwrap();
    service
        .run_schedule(Schedule::PurgeExpired, Utc::now())
        .await
        .unwrap();
    assert_eq!(jobs_in(&app, "ferry.purge").await, 1);
    // Again: the idempotency key holds; nothing new.
    service
        .run_schedule(Schedule::PurgeExpired, Utc::now())
        .await
        .unwrap();
    assert_eq!(jobs_in(&app, "ferry.purge").await, 1);
    service
        .run_schedule(
            Schedule::StatsRollup,
            Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(count(&app, "SELECT count(*) FROM usage_hourly").await, 1);

    let web = Service::new(state_of(&app), policy());
    assert!(
        web.run_schedule(Schedule::PurgeExpired, Utc::now())
            .await
            .is_err()
    );
    assert!(web.purge(transfer.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stored_zip_is_byte_for_byte_the_zip_streamed_live() {
    let app = TestApp::new("svc_bundle").await;
    let service = service(&app);
    let mut guard = service.blob_guard();
    let mut files = Vec::new();
    for (i, len) in [9000usize, 1, 4096].into_iter().enumerate() {
        let name = FileName::parse(&format!("f{i}.bin"));
        let bytes = random_bytes(len, 10 + i as u64);
        files.push(
            service
                .store_file(&mut guard, name, body(&bytes, 1000), 1 << 20)
                .await
                .unwrap(),
        );
    }
    let transfer = service
        .create_transfer(guard, files, service.limits(None, None).unwrap(), None)
        .await
        .unwrap();

    service.build_bundle(transfer.id).await.unwrap();
    let stored = service
        .state()
        .find_transfer(&transfer.token)
        .await
        .unwrap()
        .unwrap();
    let bundle = stored.bundle_blob_id.expect("a stored zip");
    let plan = archive::zip_plan(&stored.files, stored.created_at);
    let stored_bytes = read_all(&service, bundle, plan.len() as i64).await;
    let live: Vec<u8> = archive::zip_stream(service.blobs().clone(), stored.files.clone(), plan)
        .map(|chunk| chunk.unwrap().to_vec())
        .concat()
        .await;
    assert_eq!(stored_bytes.len(), live.len());
    assert!(stored_bytes == live, "stored and live zips differ");

    // A second run keeps the first zip and leaves no second blob behind.
    let blobs = count(&app, "SELECT count(*) FROM blobs").await;
    service.build_bundle(transfer.id).await.unwrap();
    tokio::time::sleep(SECOND).await;
    assert_eq!(count(&app, "SELECT count(*) FROM blobs").await, blobs);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_job_and_dead_job_retry_are_checked_by_the_service() {
    let app = TestApp::new("svc_ops").await;
    let service = service(&app);
    assert!(matches!(
        service.enqueue_demo(String::new(), 0, 0).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        service.enqueue_demo("k".into(), 600_001, 0).await,
        Err(Error::Invalid(_))
    ));
    let id = service.enqueue_demo("k".into(), 0, 0).await.unwrap();
    assert_eq!(jobs_in(&app, "ferry.demo").await, 1);
    // Not dead: nothing to retry.
    assert!(matches!(
        service.retry_dead_job("cli:test", &id).await,
        Err(Error::NotFound)
    ));
}
