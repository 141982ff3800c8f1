//! Faults as a client meets them over a real socket: matched by route, fired a number of
//! times, delayed, cut mid-upload, stalled mid-response.

mod common;

use std::time::{Duration, Instant};

use common::{Part, call, client, file, form, form_content_type, upload};
use files_emulator::{Dialect, Emulator, Fault, MAX_STALL};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

#[tokio::test]
async fn a_fault_fires_for_its_route_the_number_of_times_given() {
    let em = Emulator::start(Dialect::openai()).expect("start");
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
    let em = Emulator::start(Dialect::openai()).expect("start");
    em.inject(Fault::delay(Duration::from_millis(150)).on("GET", "/files"));
    let started = Instant::now();
    assert_eq!(call(&em, Method::GET, "/files").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_cut_connection_ends_an_upload_mid_way_and_stores_nothing() {
    let em = Emulator::start(Dialect::openai()).expect("start");
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
    let em = Emulator::start(Dialect::openai()).expect("start");
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
    // Stopping the emulator ends the stall: the body fails, long before the stall's own limit
    // would have dropped the connection, and the drop returns.
    let stopping = tokio::task::spawn_blocking(move || drop(em));
    let ended = tokio::time::timeout(MAX_STALL / 2, body.next())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the stalled body was still open {:?} after the emulator was stopped",
                MAX_STALL / 2
            )
        });
    assert!(
        matches!(ended, Some(Err(_))),
        "a stall ended by a stop fails the body, it does not end it: {ended:?}"
    );
    tokio::time::timeout(MAX_STALL / 2, stopping)
        .await
        .unwrap_or_else(|_| panic!("dropping the emulator took over {:?}", MAX_STALL / 2))
        .expect("the drop");
}

/// `GET` of a file's content with extra headers: the status, the headers and the body.
async fn get_content(
    em: &Emulator,
    id: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Result<Vec<u8>, String>) {
    let mut request = client()
        .get(format!("{}/files/{id}/content", em.base_url()))
        .bearer_auth(em.api_key());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("content");
    let status = response.status().as_u16();
    let head = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|e| format!("{e:?}"));
    (status, head, body)
}

#[tokio::test]
async fn content_serves_ranges_with_validators() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let id = upload(&em, "r.bin", "user_data", &bytes).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let (status, head, body) = get_content(&em, &id, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(head["accept-ranges"], "bytes");
    let etag = head["etag"].to_str().unwrap_or_default().to_owned();
    assert_eq!(body.as_deref(), Ok(&bytes[..]));

    let (status, head, body) =
        get_content(&em, &id, &[("range", "bytes=600-"), ("if-range", &etag)]).await;
    assert_eq!(status, 206);
    assert_eq!(head["content-range"], "bytes 600-999/1000");
    assert_eq!(head["content-length"], "400");
    assert_eq!(body.as_deref(), Ok(&bytes[600..]));

    // A validator that no longer matches gets everything.
    let (status, head, body) = get_content(
        &em,
        &id,
        &[("range", "bytes=600-"), ("if-range", "\"old\"")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(!head.contains_key("content-range"), "{head:?}");
    assert_eq!(head["etag"], etag.as_str(), "the same file");
    assert_eq!(body.as_deref(), Ok(&bytes[..]), "all of it, from byte 0");

    let (status, head, _) = get_content(&em, &id, &[("range", "bytes=1000-")]).await;
    assert_eq!(status, 416);
    assert_eq!(head["content-range"], "bytes */1000");
}

#[tokio::test]
async fn an_emulator_without_ranges_sends_everything() {
    let em = Emulator::start_with(
        files_emulator::EmulatorConfig::new(Dialect::openai()).with_ranges(false),
    )
    .expect("start");
    let id = upload(&em, "r.bin", "user_data", b"0123456789").await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, head, body) = get_content(&em, &id, &[("range", "bytes=5-")]).await;
    assert_eq!(status, 200);
    assert!(head.get("accept-ranges").is_none());
    assert_eq!(body.as_deref(), Ok(&b"0123456789"[..]));
}

#[tokio::test]
async fn a_response_cut_closes_the_connection_after_the_bytes_given() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    let bytes: Vec<u8> = (0..256 * 1024u32).map(|i| (i % 251) as u8).collect();
    let id = upload(&em, "c.bin", "user_data", &bytes).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    em.inject(Fault::cut_after_response_bytes(1000).on("GET", "/files/*/content"));
    let response = client()
        .get(format!("{}/files/{id}/content", em.base_url()))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("the head arrives");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-length"], "262144");
    // The body's first bytes, then a failure: not a short end, and not a stall (which would
    // keep the connection open for MAX_STALL).
    use futures_util::StreamExt;
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    let end = tokio::time::timeout(MAX_STALL / 2, async {
        loop {
            match body.next().await {
                Some(Ok(chunk)) => received.extend_from_slice(&chunk),
                other => return other,
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "a cut is not a stall: the body was still open after {:?}",
            MAX_STALL / 2
        )
    });
    assert!(
        matches!(end, Some(Err(_))),
        "a cut body must fail, not end short: {end:?}"
    );
    assert_eq!(received, bytes[..1000], "the bytes before the cut");
    // Used up: the next download is whole.
    assert_eq!(get_content(&em, &id, &[]).await.2, Ok(bytes));
}

#[tokio::test]
async fn a_fault_can_fire_for_every_kth_request() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    em.inject(
        Fault::status(500, json!({"error": {"message": "every third"}}))
            .on("GET", "/files")
            .every(3)
            .times(2),
    );
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(call(&em, Method::GET, "/files").await.0);
    }
    assert_eq!(statuses, [200, 200, 500, 200, 200, 500, 200, 200]);
}

#[tokio::test]
async fn a_plan_given_at_start_is_queued() {
    let plan = Fault::plan_from_json(
        r#"[{"method": "GET", "path": "/files",
             "action": {"respond": {"status": 429, "headers": [["retry-after", "1"]],
                                    "body": {"error": {"message": "Slow down"}}}}}]"#,
    )
    .expect("plan");
    let em = Emulator::start_with(
        files_emulator::EmulatorConfig::new(Dialect::openai()).with_faults(plan),
    )
    .expect("start");
    let (status, json) = call(&em, Method::GET, "/files").await;
    assert_eq!(
        (status, json["error"]["message"].as_str()),
        (429, Some("Slow down"))
    );
    assert_eq!(call(&em, Method::GET, "/files").await.0, 200);
}
