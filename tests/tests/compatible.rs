//! The quirks of OpenAI-compatible servers (Azure, llama-stack, LiteLLM, LocalAI), served over
//! loopback by the emulator's faults, met by both transports: each decodes, or gives an
//! `ApiError` that keeps what the server said.

use std::time::Duration;

use files_client::{Error, ListParams, Polling, Purpose, UploadRequest};
use files_emulator::Fault;
use files_tests::{Setup, Wire, both_transports};
use serde_json::json;

both_transports!(
    an_upload_answered_201_with_an_azure_status_succeeds,
    a_list_without_pagination_fields_is_one_page,
    odd_numbers_statuses_and_unknown_fields_decode,
    every_error_shape_gives_a_readable_api_error,
    encoded_ids_stay_one_path_segment,
    waiting_follows_statuses_outside_openais,
);

/// A file object as a compatible server might write it.
fn foreign_file(id: &str, status: &str) -> serde_json::Value {
    json!({
        "id": id, "bytes": 3, "created_at": 1_700_000_000.5, "filename": "a.jsonl",
        "purpose": "batch", "status": status, "model": "extra", "target_model_names": ["x"]
    })
}

fn an_upload_answered_201_with_an_azure_status_succeeds(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator
        .inject(Fault::status(201, foreign_file("assistant-1", "uploaded")).on("POST", "/files"));
    let file = s
        .api
        .create(UploadRequest::from_bytes("{}\n", "a.jsonl", Purpose::BATCH))
        .unwrap();
    assert_eq!(file.id, "assistant-1");
    assert_eq!(
        file.status.map(|s| s.as_str().to_owned()).as_deref(),
        Some("uploaded")
    );
}

fn a_list_without_pagination_fields_is_one_page(wire: Wire) {
    let s = Setup::new(wire);
    let page = json!({"data": [foreign_file("a", "processed"), foreign_file("b", "processed")]});
    s.emulator
        .inject(Fault::status(200, page).on("GET", "/files"));
    let all: Vec<_> = s
        .api
        .list_all(&ListParams::new())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        s.emulator.requests().len(),
        1,
        "no second page is asked for"
    );
}

fn odd_numbers_statuses_and_unknown_fields_decode(wire: Wire) {
    let s = Setup::new(wire);
    let mut odd = foreign_file("f-1", "success");
    odd["bytes"] = json!("3");
    odd["expires_at"] = json!(null);
    odd["nested"] = json!({"deep": [1, 2, {"x": null}]});
    s.emulator
        .inject(Fault::status(200, odd).on("GET", "/files/*"));
    let file = s.api.retrieve("f-1").unwrap();
    assert_eq!((file.bytes, file.created_at), (3, 1_700_000_000));
    assert_eq!(
        file.status.map(|s| s.as_str().to_owned()).as_deref(),
        Some("success")
    );
}

fn every_error_shape_gives_a_readable_api_error(wire: Wire) {
    let s = Setup::new(wire);
    let shapes: [(u16, &str, &str, &str); 8] = [
        (
            400,
            "application/json",
            r#"{"error":{"message":"bad model","code":"400"}}"#,
            "bad model",
        ),
        (
            400,
            "application/json",
            r#"{"error":{"message":"quota","code":42}}"#,
            "quota",
        ),
        (
            404,
            "application/json",
            r#"{"error":{"message":"gone","type":null,"code":null}}"#,
            "gone",
        ),
        (
            400,
            "application/json",
            r#"{"detail":"File f not found"}"#,
            "File f not found",
        ),
        (
            422,
            "application/json",
            r#"{"detail":[{"loc":["path","file_id"],"msg":"bad id","type":"value_error"}]}"#,
            "path.file_id: bad id",
        ),
        (
            400,
            "application/json",
            r#"{"error":"unsupported purpose"}"#,
            "unsupported purpose",
        ),
        (
            404,
            "text/plain",
            "failed to find file",
            "failed to find file",
        ),
        (404, "text/plain", "", "empty body"),
    ];
    for (status, content_type, body, expected) in shapes {
        s.emulator
            .inject(Fault::respond(status, content_type, body).on("GET", "/files/*"));
        let err = s.api.retrieve("f").unwrap_err();
        let Error::Api(api) = &err else {
            panic!("{body}: {err:?}")
        };
        assert_eq!(api.status, status, "{body}");
        assert!(api.message.contains(expected), "{body}: {}", api.message);
        assert!(err.to_string().contains(expected), "{err}");
        if body.starts_with(r#"{"error":{"#) {
            assert_eq!(api.raw_body, None, "an envelope needs no raw body");
        } else if !body.is_empty() {
            assert_eq!(api.raw_body.as_deref(), Some(body), "the raw text is kept");
        }
        assert_eq!(api.attempts, 1, "{body}: a 4xx is not retried");
        let code = if body.contains(r#""code":"400""#) {
            Some("400")
        } else if body.contains(r#""code":42"#) {
            Some("42")
        } else {
            None
        };
        assert_eq!(
            api.code.as_deref(),
            code,
            "{body}: a code of any type is kept"
        );
    }
}

fn encoded_ids_stay_one_path_segment(wire: Wire) {
    let s = Setup::new(wire);
    let id = "bGl0ZWxsbTpmaWxl+/a=";
    s.emulator
        .inject(Fault::status(200, foreign_file(id, "processed")).on("GET", "/files/*"));
    s.emulator.inject(
        Fault::status(200, json!({"id": id, "object": "file", "deleted": true}))
            .on("DELETE", "/files/*"),
    );
    assert_eq!(s.api.retrieve(id).unwrap().id, id);
    assert!(s.api.delete(id).unwrap().deleted);
    for request in s.emulator.requests() {
        assert_eq!(
            request.path, "/v1/files/bGl0ZWxsbTpmaWxl%2B%2Fa%3D",
            "{request:?}"
        );
    }
}

fn waiting_follows_statuses_outside_openais(wire: Wire) {
    let s = Setup::new(wire);
    for status in ["pending", "running"] {
        s.emulator
            .inject(Fault::status(200, foreign_file("f-2", status)).on("GET", "/files/*"));
    }
    s.emulator
        .inject(Fault::status(200, foreign_file("f-2", "processed")).on("GET", "/files/*"));
    let polling = Polling::new().every(Duration::from_millis(10));
    let file = s.api.wait_for_processing("f-2", polling).unwrap();
    assert_eq!(
        file.status.map(|s| s.as_str().to_owned()).as_deref(),
        Some("processed")
    );
    assert_eq!(s.emulator.requests().len(), 3);
}
