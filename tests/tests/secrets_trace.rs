//! No tracing output shows the key: the errors of a server that quotes it, and a normal round
//! trip, each over both transports, traced at every level. One test in its own binary, so no
//! other test's thread races the thread-local subscriber.

use files_client::{Purpose, UploadRequest};
use files_emulator::{Dialect, EmulatorConfig};
use files_tests::secrets::{KEY, assert_errors_hide_the_key, assert_hidden};
use files_tests::{Captured, Setup, Wire};

#[test]
fn no_trace_shows_the_key() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Each pass's trace on its own (the log is emptied between them), with the id of the file
    // its round trip stored: what shows the pass was traced, and not another's output.
    let passes = tracing::subscriber::with_default(subscriber, || {
        [Wire::OpenAiUreq, Wire::OpenAiReqwest].map(|wire| {
            captured.0.lock().unwrap().clear();
            assert_errors_hide_the_key(wire);
            // And a normal round trip, traced.
            let s = Setup::with_config(
                wire,
                EmulatorConfig::new(Dialect::openai()).with_api_key(KEY),
            );
            let file = s
                .api
                .create(UploadRequest::from_bytes("{}\n", "a.jsonl", Purpose::BATCH))
                .unwrap();
            s.api.delete(&file.id).unwrap();
            (wire, file.id, captured.text())
        })
    });
    for (wire, id, trace) in &passes {
        // The errors' requests (the list answered 401 by the server that quotes the key) and
        // the round trip's delete of this pass's file, answered 200.
        for needle in [
            "files{operation=\"files.list\"}".to_owned(),
            "status=401".to_owned(),
            "files{operation=\"files.create\"}".to_owned(),
            format!("method=DELETE path=/v1/files/{id} attempt=1 max_attempts=3 status=200"),
        ] {
            assert!(
                trace.contains(&needle),
                "the {wire:?} pass's trace lacks {needle:?}: {trace}"
            );
        }
        assert_hidden(&format!("the {wire:?} pass's trace"), trace);
    }
    let (first, second) = (&passes[0], &passes[1]);
    assert_ne!(first.1, second.1, "each pass stored its own file");
    assert!(
        !second.2.contains(&first.1),
        "the reqwest pass's trace is its own"
    );
}
