//! Faults as a client meets them over a real socket: matched by route, fired a number of
//! times, delayed, cut mid-upload, stalled mid-response.

mod common;

use std::time::{Duration, Instant};

use common::{Part, call, client, file, form, form_content_type, upload};
use files_emulator::{Dialect, Emulator, Fault};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

#[tokio::test]
async fn a_fault_fires_for_its_route_the_number_of_times_given() {
    let em = Emulator::start(Dialect::OpenAi).expect("start");
    em.inject(
        Fault::status(503, json!({"error": {"message": "Overloaded"}}))
            .with_header("retry-after-ms", "7")
            .on("GET", "/files/*")
            .times(2),
    );
    // Another route is untouched.
    assert_eq!(call(&em, Method::GET, "/files").await.0, 200);
    for _ in 0..2 {
        let (status, json) = call(&em, Method::GET, "/files/file-x").await;
        assert_eq!(
            (status, json["error"]["message"].as_str()),
            (503, Some("Overloaded"))
        );
    }
    // Used up: the real answer again.
    assert_eq!(call(&em, Method::GET, "/files/file-x").await.0, 404);
    assert_eq!(
        em.requests().len(),
        4,
        "every request is recorded, faulted or not"
    );
}

#[tokio::test]
async fn a_delay_holds_the_answer_back_then_handles_the_request() {
    let em = Emulator::start(Dialect::OpenAi).expect("start");
    em.inject(Fault::delay(Duration::from_millis(150)).on("GET", "/files"));
    let started = Instant::now();
    assert_eq!(call(&em, Method::GET, "/files").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_cut_connection_ends_an_upload_mid_way_and_stores_nothing() {
    let em = Emulator::start(Dialect::OpenAi).expect("start");
    em.inject(Fault::cut_after_request_bytes(64 * 1024).on("POST", "/files"));
    let bytes = vec![b'x'; 4 * 1024 * 1024];
    let body = form(&[Part::Text("purpose", "batch"), file("a.jsonl", &bytes)]);
    let result = client()
        .post(format!("{}/files", em.base_url()))
        .bearer_auth(em.api_key())
        .header(CONTENT_TYPE, form_content_type())
        .body(body)
        .send()
        .await;
    assert!(result.is_err(), "the connection was cut: {result:?}");
    let recorded = &em.requests()[0];
    assert!(recorded.body_bytes >= 64 * 1024, "{recorded:?}");
    assert!(recorded.body_bytes < bytes.len() as u64, "{recorded:?}");
    assert_eq!(call(&em, Method::GET, "/files").await.1["data"], json!([]));
    // The next upload goes through.
    upload(&em, "a.jsonl", "batch", b"{}\n").await;
}

#[tokio::test]
async fn a_stalled_response_sends_its_head_and_a_few_bytes_then_nothing() {
    let em = Emulator::start(Dialect::OpenAi).expect("start");
    em.inject(Fault::stall_after_response_bytes(5).on("GET", "/files"));
    let response = client()
        .get(format!("{}/files", em.base_url()))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("the head arrives");
    assert_eq!(response.status(), 200);
    let announced = response.content_length().expect("a length");
    let mut body = response.bytes_stream();
    use futures_util::StreamExt;
    let first = body.next().await.expect("a chunk").expect("bytes");
    assert_eq!(first.len(), 5);
    assert!(announced > 5);
    let next = tokio::time::timeout(Duration::from_millis(200), body.next()).await;
    assert!(next.is_err(), "nothing more comes");
    // Stopping the emulator ends the stall promptly.
    let started = Instant::now();
    drop(em);
    assert!(started.elapsed() < Duration::from_secs(2));
}
