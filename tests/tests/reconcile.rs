//! Reconciling before re-sending, over real sockets and both transports: the emulator stores
//! an upload and then loses its answer (the connection closed with no response). With
//! reconciling on, the client finds the stored file and returns it — exactly one file on the
//! server; with it off, the retry stores a second copy (`POST /files`), or the completion's
//! retry fails though the file exists (the Uploads API), which a caller re-running it turns
//! into a duplicate.

use std::sync::{Arc, Mutex};

use files_client::{
    Error, ListParams, Observer, PartOptions, Purpose, ReconcileNotice, RequestOptions,
    UploadRequest,
};
use files_emulator::Fault;
use files_tests::{Setup, Wire, both_transports, write_sample};

both_transports!(
    a_lost_answer_to_post_files_leaves_exactly_one_file,
    without_reconciling_the_retry_stores_a_duplicate,
    a_lost_answer_to_an_uploads_completion_leaves_exactly_one_file,
    without_reconciling_a_lost_completion_fails_though_the_file_exists,
    a_different_file_of_the_same_name_is_not_taken_for_the_lost_one,
);

/// Every [`ReconcileNotice`] heard.
#[derive(Default, Clone)]
struct Heard(Arc<Mutex<Vec<ReconcileNotice>>>);

impl Observer for Heard {
    fn reconciled(&self, notice: &ReconcileNotice) {
        self.0.lock().unwrap().push(notice.clone());
    }
}

impl Heard {
    fn notices(&self) -> Vec<ReconcileNotice> {
        self.0.lock().unwrap().clone()
    }
}

/// Every file on the server.
fn stored(s: &Setup) -> Vec<files_client::FileObject> {
    s.api.list(&ListParams::new()).unwrap().data
}

fn posts_to(s: &Setup, path: &str) -> usize {
    s.emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(path))
        .count()
}

fn a_lost_answer_to_post_files_leaves_exactly_one_file(wire: Wire) {
    let s = Setup::new(wire);
    let heard = Heard::default();
    let api = s.api_with_options(RequestOptions::new().observer(Arc::new(heard.clone())));
    let source = s.path("batch.jsonl");
    write_sample(&source, 40_000, 3);
    s.emulator.inject(Fault::lose_answer().on("POST", "/files"));

    let file = api
        .create(UploadRequest::from_path(&source, Purpose::BATCH))
        .unwrap();
    let all = stored(&s);
    assert_eq!(all.len(), 1, "exactly one file: {all:?}");
    assert_eq!(all[0].id, file.id, "the one the lost attempt stored");
    assert_eq!(posts_to(&s, "/files"), 1, "never sent again");
    let notices = heard.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].found.as_deref(), Some(file.id.as_str()));
    assert_eq!(notices[0].operation, "files.create");
    // The look was one listing, narrowed to the purpose and newest first.
    let looks: Vec<_> = s
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(
        looks[0].path,
        "/v1/files?purpose=batch&limit=100&order=desc"
    );
}

fn without_reconciling_the_retry_stores_a_duplicate(wire: Wire) {
    let s = Setup::new(wire);
    let api = s.api_with_options(RequestOptions::new().reconcile(false));
    let source = s.path("batch.jsonl");
    write_sample(&source, 40_000, 3);
    s.emulator.inject(Fault::lose_answer().on("POST", "/files"));

    let file = api
        .create(UploadRequest::from_path(&source, Purpose::BATCH))
        .unwrap();
    let all = stored(&s);
    assert_eq!(all.len(), 2, "the duplicate reconciling prevents: {all:?}");
    assert!(
        all.iter()
            .all(|f| f.filename == "batch.jsonl" && f.bytes == 40_000)
    );
    assert!(all.iter().any(|f| f.id == file.id));
    assert_eq!(posts_to(&s, "/files"), 2);
}

/// Sends a 1 MiB file in 256 KiB parts, the completion's answer lost.
fn upload_in_parts(s: &Setup, api: &files_cli::Api) -> Result<files_client::FileObject, Error> {
    let source = s.path("big.jsonl");
    write_sample(&source, 1 << 20, 5);
    s.emulator
        .inject(Fault::lose_answer().on("POST", "/uploads/*/complete"));
    api.upload_in_parts(
        UploadRequest::from_path(&source, Purpose::BATCH),
        PartOptions::new().part_size(256 << 10),
        None,
    )
}

fn a_lost_answer_to_an_uploads_completion_leaves_exactly_one_file(wire: Wire) {
    let s = Setup::new(wire);
    let heard = Heard::default();
    let api = s.api_with_options(RequestOptions::new().observer(Arc::new(heard.clone())));
    let file = upload_in_parts(&s, &api).unwrap();
    let all = stored(&s);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].id, file.id);
    assert_eq!(file.bytes, 1 << 20);
    assert_eq!(
        posts_to(&s, "/complete"),
        1,
        "the completion is not sent again"
    );
    assert_eq!(heard.notices()[0].operation, "uploads.complete");
}

fn without_reconciling_a_lost_completion_fails_though_the_file_exists(wire: Wire) {
    let s = Setup::new(wire);
    let api = s.api_with_options(RequestOptions::new().reconcile(false));
    let err = upload_in_parts(&s, &api).unwrap_err();
    assert!(err.to_string().contains("complete"), "{err}");
    assert_eq!(
        posts_to(&s, "/complete"),
        2,
        "the completion was sent again"
    );
    assert_eq!(stored(&s).len(), 1, "yet the file is there");
    // A caller trying again makes the duplicate.
    let source = s.path("big.jsonl");
    api.upload_in_parts(
        UploadRequest::from_path(&source, Purpose::BATCH),
        PartOptions::new().part_size(256 << 10),
        None,
    )
    .unwrap();
    assert_eq!(stored(&s).len(), 2);
}

fn a_different_file_of_the_same_name_is_not_taken_for_the_lost_one(wire: Wire) {
    let s = Setup::new(wire);
    let heard = Heard::default();
    let api = s.api_with_options(RequestOptions::new().observer(Arc::new(heard.clone())));
    // Already there: the same name and purpose, another size.
    std::fs::create_dir_all(s.path("old")).unwrap();
    let other = s.path("old/batch.jsonl");
    write_sample(&other, 1_000, 9);
    let earlier = api
        .create(UploadRequest::from_path(&other, Purpose::BATCH))
        .unwrap();
    // The whole body is read, nothing is stored, and the connection closes unanswered.
    let source = s.path("batch.jsonl");
    write_sample(&source, 2_000, 9);
    s.emulator
        .inject(Fault::cut_after_request_bytes(u64::MAX).on("POST", "/files"));
    let file = api
        .create(UploadRequest::from_path(&source, Purpose::BATCH))
        .unwrap();
    assert_ne!(file.id, earlier.id, "the earlier file is not taken for it");
    assert_eq!(file.bytes, 2_000);
    assert_eq!(stored(&s).len(), 2);
    assert_eq!(posts_to(&s, "/files"), 3, "the upload was sent again");
    let notices = heard.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].found, None);
    assert_eq!(notices[0].looked_at, 1);
}
