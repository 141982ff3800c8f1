//! Wire tests of the StepFun dialect over real loopback sockets.

mod common;

use common::{Part, call, client, file, form, post_form, upload};
use files_emulator::{Dialect, Emulator, EmulatorConfig};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

/// Asserts StepFun's smaller envelope: message and type only.
fn assert_stepfun_error(json: &Value) {
    let error = json["error"].as_object().expect("error object");
    assert!(error["message"].is_string(), "{json}");
    assert!(error["type"].is_string(), "{json}");
    assert!(
        !error.contains_key("param") && !error.contains_key("code"),
        "{json}"
    );
}

#[tokio::test]
async fn upload_list_retrieve_content_delete_round_trip() {
    let em = Emulator::start(Dialect::stepfun()).expect("start");
    let created = upload(&em, "report.pdf", "file-extract", b"%PDF-1.4 text").await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created,
        json!({
            "id": id,
            "object": "file",
            "bytes": 13,
            "created_at": created["created_at"],
            "filename": "report.pdf",
            "purpose": "file-extract",
            "status": "processed",
        })
    );

    // StepFun lists ignore query parameters and carry no pagination fields.
    let (status, list) = call(&em, Method::GET, "/files?limit=0&order=bogus").await;
    assert_eq!(status, 200);
    assert_eq!(list, json!({"object": "list", "data": [created.clone()]}));

    let (status, got) = call(&em, Method::GET, &format!("/files/{id}")).await;
    assert_eq!((status, &got), (200, &created));

    let response = client()
        .get(format!("{}/files/{id}/content", em.base_url()))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("content");
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.headers()["content-length"], "13");
    assert_eq!(response.text().await.expect("text"), "%PDF-1.4 text");

    let (status, deleted) = call(&em, Method::DELETE, &format!("/files/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        deleted,
        json!({"id": id, "object": "file", "deleted": true})
    );
    let (status, err) = call(&em, Method::GET, &format!("/files/{id}")).await;
    assert_eq!(status, 404);
    assert_stepfun_error(&err);
    assert_eq!(
        err["error"]["message"],
        format!("No such File object: {id}")
    );
}

#[tokio::test]
async fn errors_use_the_short_envelope() {
    let em = Emulator::start(Dialect::stepfun()).expect("start");
    let missing_key = client()
        .get(format!("{}/files", em.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(missing_key.status(), 401);
    assert_stepfun_error(&missing_key.json().await.expect("json"));

    for body in [
        form(&[file("a.png", b"x")]),
        form(&[Part::Text("purpose", "batch"), file("a.png", b"x")]),
        form(&[Part::Text("purpose", "storage")]),
        // expires_after is OpenAI's; here it is an unknown field and the file is still missing.
        form(&[
            Part::Text("purpose", "storage"),
            Part::Text("expires_after[seconds]", "1"),
        ]),
    ] {
        let (status, err) = post_form(&em, body).await;
        assert_eq!(status, 400, "{err}");
        assert_stepfun_error(&err);
    }
    let (_, err) = post_form(
        &em,
        form(&[Part::Text("purpose", "batch"), file("a.png", b"x")]),
    )
    .await;
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("'storage', 'file-extract', 'retrieval-text', 'retrieval-image'"),
        "{message}"
    );
}

#[tokio::test]
async fn url_upload_fetches_the_remote_file() {
    let source = Emulator::start(Dialect::openai()).expect("start source");
    // The sources are on loopback: allowed here, refused by default (see below).
    let em = Emulator::start_with(
        EmulatorConfig::new(Dialect::stepfun()).with_private_urls_allowed(true),
    )
    .expect("start");
    let guarded = Emulator::start(Dialect::stepfun()).expect("start");

    // The fetch sends no key, so another emulator's content URL answers 401: a clear 400 here.
    let original = upload(
        &source,
        "remote.png",
        "vision",
        b"\x89PNG\r\n\x1a\nremote bytes",
    )
    .await;
    let original = original["id"].as_str().unwrap_or_default();
    let content_url = format!("{}/files/{}/content", source.base_url(), original);
    let (status, err) = post_form(
        &em,
        form(&[
            Part::Text("purpose", "storage"),
            Part::Text("url", &content_url),
        ]),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("could not be fetched") && message.contains("401"),
        "{message}"
    );

    // A tiny open server serves the file.
    let open = axum_file_server(b"\x89PNG\r\n\x1a\nremote bytes").await;
    let url = format!("http://{open}/assets/cat.png");
    let (status, created) = post_form(
        &em,
        form(&[Part::Text("purpose", "storage"), Part::Text("url", &url)]),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["filename"], "cat.png");
    assert_eq!(created["bytes"], 20);
    let record = em.requests().pop().expect("recorded");
    assert_eq!(record.file_part, None);
    let text = client()
        .get(format!(
            "{}/files/{}/content",
            em.base_url(),
            created["id"].as_str().unwrap_or_default()
        ))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("content")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(text.as_ref(), b"\x89PNG\r\n\x1a\nremote bytes");

    // When both are sent, the file part wins.
    let (status, both) = post_form(
        &em,
        form(&[
            Part::Text("purpose", "storage"),
            Part::Text("url", &url),
            file("local.png", b"\x89PNG\r\n\x1a\nlocal"),
        ]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(both["filename"], "local.png");

    for bad in [
        "ftp://example.invalid/a.png",
        "not a url",
        "http://127.0.0.1:9/nothing.png",
    ] {
        let (status, err) = post_form(
            &em,
            form(&[Part::Text("purpose", "storage"), Part::Text("url", bad)]),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("could not be fetched")
        );
    }

    // By default, loopback, private and metadata addresses are refused, by name too.
    let by_name = format!("http://localhost:{}/assets/cat.png", open.port());
    for private in [
        url.as_str(),
        by_name.as_str(),
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://192.168.0.1/router.png",
    ] {
        let (status, err) = post_form(
            &guarded,
            form(&[Part::Text("purpose", "storage"), Part::Text("url", private)]),
        )
        .await;
        assert_eq!(status, 400, "{private}: {err}");
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("non-public address") && message.contains("--allow-private-urls"),
            "{private}: {message}"
        );
    }
}

/// Serves `bytes` at every path on a fresh loopback port.
async fn axum_file_server(bytes: &'static [u8]) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(move || async move { bytes });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}
