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
    tracing::subscriber::with_default(subscriber, || {
        for wire in [Wire::OpenAiUreq, Wire::OpenAiReqwest] {
            assert_errors_hide_the_key(wire);
            // And a normal round trip, traced.
            let s =
                Setup::with_config(wire, EmulatorConfig::new(Dialect::OpenAi).with_api_key(KEY));
            let file = s
                .api
                .create(UploadRequest::from_bytes("{}\n", "a.jsonl", Purpose::BATCH))
                .unwrap();
            s.api.delete(&file.id).unwrap();
        }
    });
    let trace = captured.text();
    assert!(
        trace.contains("files.list"),
        "the trace was captured: {trace}"
    );
    assert_hidden("the trace", &trace);
}
