//! Helpers shared by the wire tests: a reqwest client and a hand-built multipart encoder.

#![allow(dead_code)]

use files_emulator::Emulator;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

pub const BOUNDARY: &str = "emulator-test-boundary-7d1f";

/// A reqwest client (with the ring provider installed, as reqwest's rustls needs one).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .expect("build reqwest client")
}

/// The `Content-Type` of a body built by [`form`].
pub fn form_content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// One part of a hand-built form.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File {
        name: &'a str,
        filename: Option<&'a str>,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

/// Encodes `parts` as multipart/form-data with [`BOUNDARY`].
pub fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File {
                name,
                filename,
                content_type,
                bytes,
            } => {
                let filename = filename.map_or(String::new(), |f| format!("; filename=\"{f}\""));
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"{filename}\r\n\
                         Content-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// A file part named `file`.
pub fn file<'a>(filename: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part::File {
        name: "file",
        filename: Some(filename),
        content_type: "application/octet-stream",
        bytes,
    }
}

/// Sends `body` as an upload form with the emulator's key; returns status and JSON.
pub async fn post_form(em: &Emulator, body: Vec<u8>) -> (u16, Value) {
    let response = client()
        .post(format!("{}/files", em.base_url()))
        .bearer_auth(em.api_key())
        .header(CONTENT_TYPE, form_content_type())
        .body(body)
        .send()
        .await
        .expect("send upload");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// Uploads `bytes` as `filename` with `purpose`; returns the file object.
pub async fn upload(em: &Emulator, filename: &str, purpose: &str, bytes: &[u8]) -> Value {
    let (status, json) = post_form(
        em,
        form(&[Part::Text("purpose", purpose), file(filename, bytes)]),
    )
    .await;
    assert_eq!(status, 200, "upload failed: {json}");
    json
}

/// Sends `method path` (relative to the base URL) with the key; returns status and JSON.
pub async fn call(em: &Emulator, method: reqwest::Method, path: &str) -> (u16, Value) {
    let response = client()
        .request(method, format!("{}{path}", em.base_url()))
        .bearer_auth(em.api_key())
        .send()
        .await
        .expect("send request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// Asserts an OpenAI-style error envelope with `param`.
pub fn assert_openai_error(json: &Value, param: Option<&str>) {
    let error = &json["error"];
    assert!(error["message"].is_string(), "no message in {json}");
    assert_eq!(error["type"], "invalid_request_error", "{json}");
    assert_eq!(error["param"].as_str(), param, "{json}");
    assert!(error.get("code").is_some(), "no code in {json}");
}
