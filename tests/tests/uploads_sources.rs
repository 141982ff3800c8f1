//! The Uploads API from sources other than a file, over loopback through both transports:
//! bytes in memory, a blocking reader, an async stream of odd-sized chunks, each cut into
//! parts that download byte-identical (the emulator checks the MD5 the completion carries);
//! a reader that ends early fails, cancels its Upload and stores nothing.

use std::time::Duration;

use bytes::Bytes;
use files_client::{AsyncClient, Error, PartOptions, Purpose, UploadRequest};
use files_emulator::RecordedRequest;
use files_io::StreamUpload;
use files_tests::{Setup, Wire, sample_bytes, sha256, sha256_file};
use provider_openai::OpenAi;
use transport_reqwest::ReqwestTransport;

files_tests::both_transports!(
    bytes_go_in_parts_and_come_back_whole,
    a_reader_goes_in_parts_and_comes_back_whole,
    a_reader_that_ends_early_cancels_its_upload_and_stores_nothing,
);

/// 1 MiB and a bit: nine parts of 128 KiB, the last short.
const SIZE: usize = (1 << 20) + 123;
const PART: u64 = 128 << 10;

fn part_requests(s: &Setup) -> Vec<RecordedRequest> {
    files_tests::part_requests(&s.emulator)
}

/// The file the emulator stored, downloaded: its SHA-256.
fn stored_hash(s: &Setup, id: &str) -> String {
    let dest = s.path(&format!("{id}.back"));
    s.api.download_to_path(id, &dest).unwrap();
    sha256_file(&dest)
}

fn bytes_go_in_parts_and_come_back_whole(wire: Wire) {
    let s = Setup::new(wire);
    let data = sample_bytes(SIZE, 51);
    let file = s
        .api
        .upload_in_parts(
            UploadRequest::from_bytes(data.clone(), "mem.jsonl", Purpose::BATCH),
            PartOptions::new().part_size(PART).in_flight(3),
            None,
        )
        .unwrap();
    assert_eq!(
        (file.bytes, file.filename.as_str()),
        (SIZE as u64, "mem.jsonl")
    );
    assert_eq!(part_requests(&s).len(), 9);
    assert_eq!(stored_hash(&s, &file.id), sha256(&data));
}

fn a_reader_goes_in_parts_and_comes_back_whole(wire: Wire) {
    let s = Setup::new(wire);
    let data = sample_bytes(SIZE, 52);
    let reader = std::io::Cursor::new(data.clone());
    let file = s
        .api
        .create(
            UploadRequest::from_reader(reader, SIZE as u64, "piped.jsonl", Purpose::BATCH)
                .with_parts(PartOptions::new().part_size(PART).in_flight(2)),
        )
        .unwrap();
    assert_eq!(file.bytes, SIZE as u64);
    let parts = part_requests(&s);
    assert_eq!(parts.len(), 9, "one request a part");
    assert!(
        !s.emulator
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/files")),
        "not through POST /files"
    );
    assert_eq!(stored_hash(&s, &file.id), sha256(&data));
}

fn a_reader_that_ends_early_cancels_its_upload_and_stores_nothing(wire: Wire) {
    let s = Setup::new(wire);
    let data = sample_bytes(SIZE - 1000, 53);
    let error = s
        .api
        .create(
            UploadRequest::from_reader(
                std::io::Cursor::new(data),
                SIZE as u64,
                "short.jsonl",
                Purpose::BATCH,
            )
            .with_parts(PartOptions::new().part_size(PART)),
        )
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("the upload's reader") && text.contains(&format!("declared {SIZE}")),
        "{text}"
    );
    assert!(text.ends_with("the Upload was cancelled"), "{text}");
    assert!(matches!(error, Error::Upload(_)), "{error:?}");
    assert!(
        s.emulator
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/cancel"))
    );
    let listed = s.api.list(&files_client::ListParams::new()).unwrap();
    assert!(listed.data.is_empty(), "nothing stored: {listed:?}");
}

#[test]
fn an_async_stream_of_odd_chunks_goes_in_parts_and_comes_back_whole() {
    files_tests::within_deadline(|| {
        let s = Setup::new(Wire::OpenAiReqwest);
        let data = sample_bytes(SIZE, 54);
        // Chunks of 1,000 bytes: no part boundary falls on a chunk's.
        let chunks: Vec<std::io::Result<Bytes>> = data
            .chunks(1000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let file = runtime.block_on(async {
            let provider = OpenAi::new(s.emulator.api_key())
                .with_base_url(&s.emulator.base_url())
                .unwrap();
            let client = AsyncClient::new(provider, ReqwestTransport::new().unwrap());
            let slow =
                futures_util::StreamExt::then(futures_util::stream::iter(chunks), |c| async {
                    tokio::time::sleep(Duration::from_micros(50)).await;
                    c
                });
            client
                .files()
                .create(
                    UploadRequest::from_stream(slow, SIZE as u64, "streamed.jsonl", Purpose::BATCH)
                        .with_parts(PartOptions::new().part_size(PART).in_flight(3)),
                )
                .await
                .unwrap()
        });
        assert_eq!(file.bytes, SIZE as u64);
        assert_eq!(part_requests(&s).len(), 9);
        assert_eq!(stored_hash(&s, &file.id), sha256(&data));
    });
}
