//! The emulator from plain synchronous tests, and the `serve` entry point.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{Part, file, form, form_content_type};
use files_emulator::{Dialect, Emulator, EmulatorConfig, serve};
use serde_json::Value;

fn read_json(mut response: ureq::http::Response<ureq::Body>) -> Value {
    let mut text = String::new();
    response
        .body_mut()
        .as_reader()
        .read_to_string(&mut text)
        .expect("read body");
    serde_json::from_str(&text).expect("JSON body")
}

#[test]
fn works_from_a_plain_test_and_stops_on_drop() {
    let em = Emulator::start(Dialect::stepfun()).expect("start");
    assert_eq!(em.dialect(), Dialect::stepfun());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Bearer {}", em.api_key());
    let body = form(&[
        Part::Text("purpose", "storage"),
        file("clip.mp4", b"\0\0\0\x08ftyp89"),
    ]);
    let response = agent
        .post(format!("{}/files", em.base_url()))
        .header("authorization", &auth)
        .header("content-type", &form_content_type())
        .send(&body[..])
        .expect("upload");
    assert_eq!(response.status(), 200);
    let created = read_json(response);
    assert_eq!(created["bytes"], 10);

    let response = agent
        .get(format!("{}/files", em.base_url()))
        .header("authorization", &auth)
        .call()
        .expect("list");
    assert_eq!(read_json(response)["data"][0], created);

    let log = em.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].content_length, Some(body.len() as u64));
    assert_eq!(log[0].body_bytes, body.len() as u64);
    assert!(!log[0].chunked);
    assert_eq!(log[1].method, "GET");
    assert_eq!(log[1].body_bytes, 0);

    // Dropping it stops it: the drop returns (on a thread of its own, so a hang fails the
    // test instead of holding it), and the port refuses connections.
    let addr = em.addr();
    let storage = em.storage_path().to_owned();
    assert!(storage.is_dir());
    let (dropped, stopped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(em);
        let _ = dropped.send(());
    });
    stopped.recv_timeout(STOP_DEADLINE).unwrap_or_else(|e| {
        panic!("dropping the emulator did not return within {STOP_DEADLINE:?}: {e}")
    });
    assert!(!storage.exists(), "the stored files are deleted");
    let refused = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5));
    assert!(refused.is_err(), "the emulator still listens on {addr}");
}

/// How long stopping may take at most before a test calls it a hang (it takes milliseconds;
/// the shutdown grace for requests in flight is two seconds).
const STOP_DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn bad_dialect_names_are_rejected() {
    let err = "gemini".parse::<Dialect>().expect_err("not a dialect");
    assert!(err.to_string().contains("gemini"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_until_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = EmulatorConfig::new(Dialect::openai())
        .with_api_key("sk-serve")
        .with_path_prefix("/");
    let server = tokio::spawn(serve(listener, config, async {
        let _ = stopped.await;
    }));

    let response = common::client()
        .get(format!("http://{addr}/files?limit=1"))
        .bearer_auth("sk-serve")
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.expect("json");
    assert_eq!(list["has_more"], false);

    // An emulator can also be started (and dropped) from inside a runtime.
    let inner = Emulator::start(Dialect::openai()).expect("start inside runtime");
    drop(inner);

    let _ = stop.send(());
    let result = tokio::time::timeout(STOP_DEADLINE, server)
        .await
        .unwrap_or_else(|_| panic!("serve did not stop within {STOP_DEADLINE:?} of the shutdown"))
        .expect("serve task");
    assert!(result.is_ok(), "{result:?}");
}
