//! Issue 26, item 4: images whose decoded size is out of all proportion to their files.
//! A PNG of 8000×8000 pixels of one colour is 249 KB on the wire and 244 MiB decoded;
//! four of them at once took a worker from 19 MB to 1.0 GB resident, twice the memory a
//! Kubernetes worker gets, so it was killed and its retries killed it again.

use std::{io::Write, time::Duration};

use crate::harness::data::png;
use crate::harness::{Kind, TestApp, eventually, put_file};

/// A PNG of `side`×`side` RGBA pixels all of `colour`, compressed row by row so the test
/// never holds the picture (deflate shrinks it about a thousandfold).
fn solid_png(side: u32, colour: [u8; 4]) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]); // 8 bits, RGBA, no interlacing
    chunk(&mut png, b"IHDR", &header);
    let mut row = vec![0u8]; // filter type: none
    for _ in 0..side {
        row.extend_from_slice(&colour);
    }
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..side {
        deflate.write_all(&row).unwrap();
    }
    chunk(&mut png, b"IDAT", &deflate.finish().unwrap());
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn images_too_large_for_the_thumbnail_budget_finish_without_one_and_the_worker_stays_under_192_mib()
 {
    let (mut app, web) = TestApp::with_web("adv_thumbnail_memory", &[]).await;
    // The four: 244 MiB each decoded, over THUMBNAIL_MAX_PIXELS (40 MP).
    let huge = solid_png(8000, [30, 144, 255, 255]);
    assert!(huge.len() < 300_000, "{} bytes", huge.len());
    for i in 0..4 {
        put_file(&web.url(&format!("/huge-{i}.png")), huge.clone()).await;
    }
    // Within the pixel limit, but 137 MiB decoded: more than THUMBNAIL_MEMORY (128 MiB).
    put_file(&web.url("/large.png"), solid_png(6000, [255, 99, 71, 255])).await;
    // 88 MiB each decoded: each fits the budget, two at once do not, so they take turns.
    for i in 0..2 {
        put_file(
            &web.url(&format!("/big-{i}.png")),
            solid_png(4800, [60, 179, 113, 255]),
        )
        .await;
    }
    put_file(&web.url("/holiday.png"), png(1200, 800)).await;

    // Every file is queued before the worker starts, so it takes four at once.
    let mut worker = app
        .start(Kind::Worker, &[("WORKER_CONCURRENCY", "4")])
        .await;
    let files = eventually(
        "every file to be finished",
        Duration::from_secs(300),
        || async {
            let files: Vec<(String, bool, bool)> = sqlx::query_as(
                "SELECT name, ready, thumbnail_blob_id IS NOT NULL FROM files ORDER BY name",
            )
            .fetch_all(&app.pg)
            .await
            .unwrap();
            let unfinished: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM apalis.jobs WHERE job_type = 'ferry.finish' AND status <> 'Done'",
            )
            .fetch_one(&app.pg)
            .await
            .unwrap();
            (files.iter().all(|(_, ready, _)| *ready) && unfinished == 0).then_some(files)
        },
    )
    .await;
    let peak_mib = worker.peak_rss_kib() / 1024;
    eprintln!("worker peak RSS {peak_mib} MiB; {files:?}");

    // Four jobs at once, 128 MiB for thumbnails, the rest of the process.
    assert!(peak_mib < 192, "worker peak RSS {peak_mib} MiB");
    assert_eq!(files.len(), 8, "{files:?}");
    for (name, _, thumbnail) in &files {
        let expected = name.starts_with("big-") || name == "holiday.png";
        assert_eq!(*thumbnail, expected, "thumbnail of {name}");
    }
    assert!(
        worker.wait_exit(Duration::ZERO).await.is_none(),
        "the worker is still running"
    );
    let log = worker.log();
    assert!(log.contains("more than THUMBNAIL_MAX_PIXELS"), "{log}");
    assert!(log.contains("more than THUMBNAIL_MEMORY"), "{log}");
}
