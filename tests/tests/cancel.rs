//! Cancelling async work by dropping its future (as a `select!` or a `tokio::time::timeout`
//! does; the tests drop it after a `select!`): a
//! download leaves no temporary file and the old destination as it was; an upload in parts
//! sends no further part and leaves its Upload open (neither completed nor cancelled), so it
//! can be resumed or left to expire.

use std::time::{Duration, Instant};

use files_client::{AsyncClient, PartOptions, Purpose, UploadRequest};
use files_emulator::{Dialect, Emulator, Fault, RecordedRequest};
use files_tests::{file_names, write_sample};
use provider_openai::OpenAi;
use transport_reqwest::ReqwestTransport;

fn client(emulator: &Emulator) -> AsyncClient {
    let provider = OpenAi::new(emulator.api_key())
        .with_base_url(&emulator.base_url())
        .unwrap();
    AsyncClient::new(provider, ReqwestTransport::new().unwrap())
}

/// Waits until `done` holds; `Err` after 30 s.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        if Instant::now() > deadline {
            eprintln!("waited 30 s for {what}");
            return Err(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

fn parts_sent(requests: &[RecordedRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/parts"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_dropped_part_way_leaves_no_temporary_file_and_the_old_file_as_it_was() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = client(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.jsonl");
    write_sample(&source, 2 * 1024 * 1024, 5);
    let file = client
        .files()
        .create(UploadRequest::from_path(&source, Purpose::BATCH))
        .await
        .unwrap();
    std::fs::remove_file(&source).unwrap();
    let dest = dir.path().join("out.jsonl");
    std::fs::write(&dest, b"the old contents").unwrap();

    // The content stops after 256 KiB and the server goes silent.
    emulator.inject(Fault::stall_after_response_bytes(256 * 1024).on("GET", "/files/*/content"));
    let files = client.files();
    // Boxed, so that dropping it below drops the future itself (`tokio::pin!` would keep it
    // alive to the end of the scope).
    let mut download = Box::pin(files.download_to_path(&file.id, &dest));
    tokio::select! {
        result = &mut download => panic!("the stalled download ended: {result:?}"),
        waited = wait_until("the temporary file to hold the first bytes", || {
            std::fs::read_dir(dir.path()).unwrap().any(|e| {
                let e = e.unwrap();
                e.file_name() != "out.jsonl" && e.metadata().is_ok_and(|m| m.len() > 0)
            })
        }) => waited.expect("the download began"),
    }
    // Dropping the future is the cancellation.
    drop(download);

    let names = || file_names(dir.path());
    wait_until("the temporary file to go", || names() == ["out.jsonl"])
        .await
        .unwrap_or_else(|()| panic!("left in the directory: {:?}", names()));
    assert_eq!(std::fs::read(&dest).unwrap(), b"the old contents");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_in_parts_dropped_part_way_sends_no_further_part_and_leaves_the_upload_open() {
    let emulator = Emulator::start(Dialect::openai()).unwrap();
    let client = client(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("big.jsonl");
    write_sample(&source, 12 * 64 * 1024, 9);
    // Each part takes 1 s to be answered, one at a time: the drop comes well inside the
    // second part's second, so no third part can be on its way unseen.
    emulator.inject(
        Fault::delay(Duration::from_secs(1))
            .on("POST", "/uploads/*/parts")
            .times(u32::MAX),
    );
    let parts = PartOptions::new().part_size(64 * 1024).in_flight(1);
    let uploads = client.uploads();
    let mut upload =
        Box::pin(uploads.upload(UploadRequest::from_path(&source, Purpose::BATCH), parts));
    tokio::select! {
        result = &mut upload => panic!("the upload ended before it was dropped: {result:?}"),
        waited = wait_until("the second part", || parts_sent(&emulator.requests()) >= 2) => {
            waited.expect("two parts were sent");
        }
    }
    drop(upload);
    let at_drop = parts_sent(&emulator.requests());

    // Long enough for two more parts, had anything gone on sending them.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let requests = emulator.requests();
    assert_eq!(
        parts_sent(&requests),
        at_drop,
        "parts were sent after the upload was dropped"
    );
    assert!(at_drop < 12, "the drop came before the last part");
    assert!(
        !requests
            .iter()
            .any(|r| r.path.ends_with("/complete") || r.path.ends_with("/cancel")),
        "the dropped upload was neither completed nor cancelled"
    );
    // The Upload is still open: cancelling it now is accepted.
    let part = requests
        .iter()
        .find(|r| r.path.ends_with("/parts"))
        .unwrap();
    let upload_id = part
        .path
        .trim_end_matches("/parts")
        .rsplit('/')
        .next()
        .unwrap();
    let cancelled = client.uploads().cancel(upload_id).await.unwrap();
    assert_eq!(cancelled.status.as_str(), "cancelled");
    assert_eq!(file_names(dir.path()), ["big.jsonl"]);
}
