//! Wire tests of the OpenAI dialect over real loopback sockets.

mod common;

use common::{
    Part, assert_openai_error, call, client, file, form, form_content_type, post_form, upload,
};
use files_emulator::{Dialect, Emulator, EmulatorConfig, Fault};
use futures_util::stream;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

#[tokio::test]
async fn upload_list_retrieve_content_delete_round_trip() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    let created = upload(&em, "train.jsonl", "fine-tune", b"{\"a\":1}\n").await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("file-") && id.len() == 29, "{id}");
    assert_eq!(created["object"], "file");
    assert_eq!(created["bytes"], 8);
    assert_eq!(created["filename"], "train.jsonl");
    assert_eq!(created["purpose"], "fine-tune");
    assert_eq!(created["status"], "processed");
    assert!(created["created_at"].as_u64().is_some());
    assert!(created["expires_at"].is_null());
    assert!(created.get("status_details").is_some_and(Value::is_null));

    let (status, list) = call(&em, Method::GET, "/files").await;
    assert_eq!(status, 200);
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"][0], created);
    assert_eq!(list["first_id"], id.as_str());
    assert_eq!(list["last_id"], id.as_str());
    assert_eq!(list["has_more"], false);

    let (status, got) = call(&em, Method::GET, &format!("/files/{id}")).await;
    assert_eq!((status, &got), (200, &created));

    let response = client()
        .get(format!("{}/files/{id}/content", em.base_url()))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("content");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/octet-stream");
    assert_eq!(response.headers()["content-length"], "8");
    assert!(response.headers().get("transfer-encoding").is_none());
    assert_eq!(
        response.bytes().await.expect("bytes").as_ref(),
        b"{\"a\":1}\n"
    );

    let (status, deleted) = call(&em, Method::DELETE, &format!("/files/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        deleted,
        json!({"id": id, "object": "file", "deleted": true})
    );
    let (status, err) = call(&em, Method::GET, &format!("/files/{id}/content")).await;
    assert_eq!(status, 404);
    assert_openai_error(&err, Some("id"));
    let (_, list) = call(&em, Method::GET, "/files").await;
    assert_eq!(list["data"], json!([]));
    assert!(list["first_id"].is_null() && list["last_id"].is_null());
}

#[tokio::test]
async fn pagination_follows_limit_after_and_order() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    let mut ids = Vec::new();
    for n in 0..5 {
        let purpose = if n % 2 == 0 { "batch" } else { "user_data" };
        let f = upload(&em, &format!("f{n}.jsonl"), purpose, b"{}").await;
        ids.push(f["id"].as_str().expect("id").to_owned());
    }
    let page_ids = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|f| f["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    // Default order is newest first; walk it two at a time.
    let mut seen = Vec::new();
    let mut path = "/files?limit=2".to_owned();
    loop {
        let (status, list) = call(&em, Method::GET, &path).await;
        assert_eq!(status, 200, "{list}");
        let page = page_ids(&list);
        assert_eq!(list["first_id"].as_str(), page.first().map(String::as_str));
        assert_eq!(list["last_id"].as_str(), page.last().map(String::as_str));
        seen.extend(page);
        if list["has_more"] == false {
            break;
        }
        path = format!(
            "/files?limit=2&after={}",
            list["last_id"].as_str().expect("last_id")
        );
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let (_, asc) = call(
        &em,
        Method::GET,
        &format!("/files?order=asc&limit=3&after={}", ids[0]),
    )
    .await;
    assert_eq!(page_ids(&asc), ids[1..4].to_vec());
    assert_eq!(asc["has_more"], true);

    let (_, batch) = call(&em, Method::GET, "/files?purpose=batch&order=asc").await;
    assert_eq!(
        page_ids(&batch),
        vec![ids[0].clone(), ids[2].clone(), ids[4].clone()]
    );
    assert_eq!(batch["has_more"], false);
    assert!(
        batch["data"][0]["expires_at"].as_u64().is_some(),
        "batch files expire by default"
    );

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=many", "limit"),
        ("order=sideways", "order"),
        ("after=file-doesnotexist", "after"),
    ] {
        let (status, err) = call(&em, Method::GET, &format!("/files?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_openai_error(&err, Some(param));
    }
}

#[tokio::test]
async fn auth_is_required() {
    let em = Emulator::start_with(EmulatorConfig::new(Dialect::openai()).with_api_key("sk-right"))
        .expect("start");
    let url = format!("{}/files", em.base_url());
    let missing = client().get(&url).send().await.expect("send");
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("x-request-id"));
    let json: Value = missing.json().await.expect("json");
    assert_eq!(json["error"]["code"], "invalid_api_key");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("You didn't provide an API key")
    );

    let wrong = client()
        .get(&url)
        .bearer_auth("sk-wrong")
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    let json: Value = wrong.json().await.expect("json");
    assert_eq!(json["error"]["type"], "invalid_request_error");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Incorrect API key provided")
    );

    let right = client()
        .get(&url)
        .bearer_auth("sk-right")
        .send()
        .await
        .expect("send");
    assert_eq!(right.status(), 200);
    // The key never reaches the request log.
    let log = em.requests();
    assert_eq!(log.len(), 3);
    assert!(!format!("{log:?}").contains("sk-right") && !format!("{log:?}").contains("sk-wrong"));
    assert_eq!(log[2].header("authorization"), Some("***"));
}

#[tokio::test]
async fn unknown_ids_and_urls_are_404() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    for (method, path) in [
        (Method::GET, "/files/file-nope"),
        (Method::DELETE, "/files/file-nope"),
        (Method::GET, "/files/file-nope/content"),
    ] {
        let (status, err) = call(&em, method, path).await;
        assert_eq!(status, 404);
        assert_openai_error(&err, Some("id"));
        assert_eq!(err["error"]["message"], "No such File object: file-nope");
    }
    let (status, err) = call(&em, Method::PUT, "/files").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["message"], "Invalid URL (PUT /v1/files)");
    let (status, err) = call(&em, Method::GET, "/models").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["message"], "Invalid URL (GET /v1/models)");
}

#[tokio::test]
async fn upload_validation_errors() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (form(&[file("a.jsonl", b"x")]), "purpose"),
        (
            form(&[Part::Text("purpose", "storage"), file("a.jsonl", b"x")]),
            "purpose",
        ),
        (form(&[Part::Text("purpose", "batch")]), "file"),
        (
            form(&[
                Part::Text("purpose", "batch"),
                Part::File {
                    name: "file",
                    filename: None,
                    content_type: "text/plain",
                    bytes: b"x",
                },
            ]),
            "file",
        ),
        (
            form(&[
                Part::Text("purpose", "batch"),
                Part::Text("expires_after[anchor]", "created_at"),
                Part::Text("expires_after[seconds]", "60"),
                file("a.jsonl", b"x"),
            ]),
            "expires_after",
        ),
    ];
    for (body, param) in cases {
        let (status, err) = post_form(&em, body).await;
        assert_eq!(status, 400, "{err}");
        assert_openai_error(&err, Some(param));
    }
    let (_, err) = post_form(
        &em,
        form(&[Part::Text("purpose", "storage"), file("a", b"x")]),
    )
    .await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("'assistants', 'batch'")
    );

    // Not multipart at all.
    let response = client()
        .post(format!("{}/files", em.base_url()))
        .bearer_auth(em.api_key())
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 400);
    // Truncated multipart.
    let mut body = form(&[Part::Text("purpose", "batch"), file("a.jsonl", b"{ }")]);
    body.truncate(body.len() - 20);
    let (status, err) = post_form(&em, body).await;
    assert_eq!(status, 400, "{err}");

    // expires_after in range, and unknown fields ignored.
    let (status, ok) = post_form(
        &em,
        form(&[
            Part::Text("purpose", "user_data"),
            Part::Text("expires_after[anchor]", "created_at"),
            Part::Text("expires_after[seconds]", "3600"),
            Part::Text("something_else", "ignored"),
            file("notes.txt", b"hello"),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{ok}");
    let created = ok["created_at"].as_u64().unwrap_or_default();
    assert_eq!(ok["expires_at"].as_u64(), Some(created + 3600));
    let (_, list) = call(&em, Method::GET, "/files").await;
    assert_eq!(
        list["data"].as_array().map(Vec::len),
        Some(1),
        "failed uploads are not stored"
    );
}

#[tokio::test]
async fn multi_segment_prefix_works() {
    let em = Emulator::start_with(
        EmulatorConfig::new(Dialect::openai()).with_path_prefix("/v1/openai/v1"),
    )
    .expect("start");
    assert!(em.base_url().ends_with("/v1/openai/v1"));
    let created = upload(&em, "a.jsonl", "batch", b"{}").await;
    let (status, _) = call(
        &em,
        Method::GET,
        &format!("/files/{}", created["id"].as_str().unwrap_or_default()),
    )
    .await;
    assert_eq!(status, 200);
    let outside = client()
        .get(format!("http://{}/v1/files", em.addr()))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("send");
    assert_eq!(outside.status(), 404);
    assert_eq!(
        em.requests()[1].path,
        format!(
            "/v1/openai/v1/files/{}",
            created["id"].as_str().unwrap_or_default()
        )
    );
}

#[tokio::test]
async fn injected_faults_are_served_in_order() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    em.inject(Fault::html_bad_gateway());
    em.inject(
        Fault::status(
            429,
            json!({"error": {"message": "Rate limit", "type": "requests"}}),
        )
        .with_header("retry-after-ms", "5")
        .with_header("x-request-id", "req_fixed"),
    );
    let url = format!("{}/files", em.base_url());

    let first = client().get(&url).send().await.expect("send");
    assert_eq!(first.status(), 502);
    assert_eq!(first.headers()[CONTENT_TYPE], "text/html");
    assert!(first.headers().contains_key("x-request-id"));
    assert!(
        first
            .text()
            .await
            .expect("text")
            .contains("<h1>502 Bad Gateway</h1>")
    );

    // A fault replaces an upload too; the body is still read in full.
    let body = form(&[Part::Text("purpose", "batch"), file("a.jsonl", b"{ }")]);
    let len = body.len() as u64;
    let second = client()
        .post(&url)
        .header(CONTENT_TYPE, form_content_type())
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["retry-after-ms"], "5");
    assert_eq!(second.headers()["x-request-id"], "req_fixed");
    assert_eq!(em.requests()[1].body_bytes, len);

    let third = client()
        .get(&url)
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("send");
    assert_eq!(third.status(), 200);
}

#[tokio::test]
async fn five_mib_chunked_upload_streams_through() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    let payload: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let body = form(&[
        Part::Text("purpose", "assistants"),
        file("big.bin", &payload),
    ]);
    let total = body.len() as u64;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let response = client()
        .post(format!("{}/files", em.base_url()))
        .bearer_auth(em.api_key())
        .header(CONTENT_TYPE, form_content_type())
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["bytes"], payload.len() as u64);

    let record = &em.requests()[0];
    assert!(record.chunked);
    assert_eq!(record.content_length, None);
    assert_eq!(record.body_bytes, total);
    let part = record.file_part.as_ref().expect("file part");
    assert_eq!(part.bytes, payload.len() as u64);
    assert_eq!(part.filename.as_deref(), Some("big.bin"));

    let content = client()
        .get(format!(
            "{}/files/{}/content",
            em.base_url(),
            created["id"].as_str().unwrap_or_default()
        ))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("content");
    assert_eq!(
        content.headers()["content-length"],
        payload.len().to_string().as_str()
    );
    assert!(content.bytes().await.expect("bytes").as_ref() == payload.as_slice());
}

#[tokio::test]
async fn content_length_upload_is_recorded_as_such() {
    let em = Emulator::start(Dialect::openai()).expect("start");
    // Encoded by reqwest's own multipart writer, as a real client would.
    let form = reqwest::multipart::Form::new()
        .text("purpose", "vision")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"\x89PNG\r\n\x1a\nfake".to_vec())
                .file_name("cat.png")
                .mime_str("image/png")
                .expect("mime"),
        );
    let response = client()
        .post(format!("{}/files", em.base_url()))
        .bearer_auth(em.api_key())
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        request_id.starts_with("req_") && request_id.len() == 36,
        "{request_id}"
    );

    let record = &em.requests()[0];
    assert_eq!(record.method, "POST");
    assert_eq!(record.path, "/v1/files");
    assert!(!record.chunked);
    assert_eq!(record.content_length, Some(record.body_bytes));
    let part = record.file_part.as_ref().expect("file part");
    assert_eq!(part.filename.as_deref(), Some("cat.png"));
    assert_eq!(part.content_type.as_deref(), Some("image/png"));
    assert_eq!(part.bytes, 12);
}

#[tokio::test]
async fn oversized_upload_is_413() {
    let em = Emulator::start_with(EmulatorConfig::new(Dialect::openai()).with_max_upload_bytes(10))
        .expect("start");
    let (status, err) = post_form(
        &em,
        form(&[Part::Text("purpose", "batch"), file("a.txt", &[b'x'; 11])]),
    )
    .await;
    assert_eq!(status, 413);
    assert_openai_error(&err, Some("file"));
    assert_eq!(
        em.requests()[0].file_part.as_ref().map(|p| p.bytes),
        Some(11)
    );
    let created = upload(&em, "a.txt", "user_data", &[b'x'; 10]).await;
    assert_eq!(created["bytes"], 10);
}
