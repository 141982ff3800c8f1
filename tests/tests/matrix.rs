//! The {ureq, reqwest} × {every bundled provider} matrix over real loopback sockets: every
//! file operation through the real client, transport and provider against the emulator
//! speaking that provider's dialect from its spec.

use std::io::Cursor;

use files_client::{Error, ListParams, RequestOptions, TransportErrorKind, UploadRequest};
use files_emulator::{EmulatorConfig, Fault};
use files_tests::{Setup, Wire, sample_bytes, sha256, sha256_file, write_sample};

/// Runs a scenario once per cell of the matrix.
macro_rules! matrix {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::*;
                #[test]
                fn openai_ureq() { super::$scenario(Wire::OpenAiUreq) }
                #[test]
                fn openai_reqwest() { super::$scenario(Wire::OpenAiReqwest) }
                #[test]
                fn stepfun_ureq() { super::$scenario(Wire::StepFunUreq) }
                #[test]
                fn stepfun_reqwest() { super::$scenario(Wire::StepFunReqwest) }
                #[test]
                fn azure_ureq() { super::$scenario(Wire::new("azure", false)) }
                #[test]
                fn azure_reqwest() { super::$scenario(Wire::new("azure", true)) }
                #[test]
                fn moonshot_ureq() { super::$scenario(Wire::new("moonshot", false)) }
                #[test]
                fn moonshot_reqwest() { super::$scenario(Wire::new("moonshot", true)) }
                #[test]
                fn dashscope_ureq() { super::$scenario(Wire::new("dashscope", false)) }
                #[test]
                fn dashscope_reqwest() { super::$scenario(Wire::new("dashscope", true)) }
                #[test]
                fn mistral_ureq() { super::$scenario(Wire::new("mistral", false)) }
                #[test]
                fn mistral_reqwest() { super::$scenario(Wire::new("mistral", true)) }
                #[test]
                fn groq_ureq() { super::$scenario(Wire::new("groq", false)) }
                #[test]
                fn groq_reqwest() { super::$scenario(Wire::new("groq", true)) }
                #[test]
                fn zhipu_ureq() { super::$scenario(Wire::new("zhipu", false)) }
                #[test]
                fn zhipu_reqwest() { super::$scenario(Wire::new("zhipu", true)) }
            }
        )*
    };
}

matrix!(
    path_round_trip,
    upload_from_bytes,
    upload_from_reader,
    unknown_id_is_a_404_with_the_server_message,
    proxy_html_gives_a_readable_error,
    wrong_key_is_a_401,
    base_url_with_a_path_prefix,
    refused_connection_is_a_connect_error,
);

/// Upload a multi-MB file from a path, list, retrieve, download (same hash), delete.
/// The content type the client gives a part named `name`.
fn content_type_of(name: &str) -> &'static str {
    if name.ends_with(".jsonl") {
        "application/jsonl"
    } else {
        "text/plain"
    }
}

/// `stem` with the extension of `name` (`notes.jsonl` → `stem.jsonl`).
fn named_like(stem: &str, name: &str) -> String {
    let ext = name.rsplit_once('.').map_or("txt", |(_, ext)| ext);
    format!("{stem}.{ext}")
}

fn path_round_trip(wire: Wire) {
    let s = Setup::new(wire);
    let (purpose, name) = s.purpose_and_name();
    let file_name = named_like("big sample", name);
    let source = s.path(&file_name);
    let len = 3 * 1024 * 1024 + 17;
    let hash = write_sample(&source, len, 7);

    let file = s
        .api
        .create(UploadRequest::from_path(&source, purpose.clone()))
        .unwrap();
    assert_eq!(file.bytes, len as u64);
    assert_eq!(file.filename, file_name);
    assert_eq!(file.purpose, purpose);

    // On the wire: an exact Content-Length, never chunked, the base name only.
    let upload = s
        .emulator
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert!(!upload.chunked, "{upload:?}");
    assert_eq!(upload.content_length, Some(upload.body_bytes));
    let part = upload.file_part.clone().unwrap();
    assert_eq!(part.filename.as_deref(), Some(file_name.as_str()));
    assert_eq!(part.content_type.as_deref(), Some(content_type_of(name)));
    assert_eq!(part.bytes, len as u64);
    assert_eq!(upload.header(&wire.auth_header()), Some("***"));
    if wire.auth_header() != "authorization" {
        assert_eq!(
            upload.header("authorization"),
            None,
            "never a Bearer header too"
        );
    }
    assert_eq!(
        upload.header("user-agent"),
        Some(files_core::extend::wire::USER_AGENT)
    );

    let listed = s.api.list(&ListParams::new()).unwrap();
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].id, file.id);

    assert_eq!(s.api.retrieve(&file.id).unwrap(), file);

    let copy = s.path("copy.bin");
    assert_eq!(s.api.download_to_path(&file.id, &copy).unwrap(), len as u64);
    assert_eq!(sha256_file(&copy), hash);

    let deleted = s.api.delete(&file.id).unwrap();
    assert!(deleted.deleted);
    assert_eq!(deleted.id, file.id);
    assert!(s.api.list(&ListParams::new()).unwrap().data.is_empty());
}

/// Upload from memory; download into a writer.
fn upload_from_bytes(wire: Wire) {
    let s = Setup::new(wire);
    let (purpose, name) = s.purpose_and_name();
    let bytes = sample_bytes(200_000, 3);
    let file = s
        .api
        .create(UploadRequest::from_bytes(bytes.clone(), name, purpose))
        .unwrap();
    assert_eq!(file.filename, name);
    let part = s
        .emulator
        .requests()
        .last()
        .unwrap()
        .file_part
        .clone()
        .unwrap();
    assert_eq!(part.content_type.as_deref(), Some(content_type_of(name)));
    let mut out = Vec::new();
    assert_eq!(
        s.api.download_to_writer(&file.id, &mut out).unwrap(),
        bytes.len() as u64
    );
    assert_eq!(sha256(&out), sha256(&bytes));
}

/// Upload from a reader with a declared length.
fn upload_from_reader(wire: Wire) {
    let s = Setup::new(wire);
    let (purpose, name) = s.purpose_and_name();
    let bytes = sample_bytes(300_001, 5);
    let upload = UploadRequest::from_reader(
        Cursor::new(bytes.clone()),
        bytes.len() as u64,
        named_like("stream", name),
        purpose,
    )
    .with_content_type("application/x-custom");
    let file = s.api.create(upload).unwrap();
    assert_eq!(file.bytes, bytes.len() as u64);
    let request = s.emulator.requests().pop().unwrap();
    assert!(!request.chunked);
    assert_eq!(
        request.file_part.unwrap().content_type.as_deref(),
        Some("application/x-custom")
    );
    let mut out = Vec::new();
    s.api.download_to_writer(&file.id, &mut out).unwrap();
    assert_eq!(out, bytes);
}

fn unknown_id_is_a_404_with_the_server_message(wire: Wire) {
    let s = Setup::new(wire);
    let check = |err: Error| {
        assert_eq!(err.status(), Some(404), "{err}");
        let Error::Api(api) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(api.message, "No such File object: file-missing");
        assert!(
            api.request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("req_")),
            "{api:?}"
        );
        assert!(
            err.to_string()
                .contains("No such File object: file-missing"),
            "{err}"
        );
    };
    check(s.api.retrieve("file-missing").unwrap_err());
    check(s.api.delete("file-missing").unwrap_err());
    let dest = s.path("never.bin");
    check(s.api.download_to_path("file-missing", &dest).unwrap_err());
    assert!(!dest.exists(), "a failed download must leave no file");
    assert_eq!(
        std::fs::read_dir(s.dir.path()).unwrap().count(),
        0,
        "no temporary file is left either"
    );
}

fn proxy_html_gives_a_readable_error(wire: Wire) {
    let s = Setup::new(wire);
    s.emulator.inject(Fault::html_bad_gateway());
    let api = s.api_with_options(RequestOptions::new().max_retries(0));
    let err = api.list(&ListParams::new()).unwrap_err();
    assert_eq!(err.status(), Some(502));
    let text = err.to_string();
    assert!(
        text.starts_with(
            "HTTP 502 Bad Gateway: the server answered with a non-API body (text/html"
        ),
        "{text}"
    );
    assert!(text.contains(": 502 Bad Gateway"), "{text}");
    assert!(!text.contains('<'), "no markup in the message: {text}");
    let Error::Api(api) = err else { panic!() };
    assert!(api.raw_body.unwrap().contains("<html>"));
}

fn wrong_key_is_a_401(wire: Wire) {
    let s = Setup::new(wire);
    let api = Setup::api_for(wire, &s.emulator.base_url(), "sk-wrong-key-123");
    let err = api.list(&ListParams::new()).unwrap_err();
    assert_eq!(err.status(), Some(401));
    let text = err.to_string();
    assert!(text.contains("check the API key"), "{text}");
    assert!(
        !text.contains("sk-wrong-key-123"),
        "the key never appears: {text}"
    );
    assert!(!format!("{err:?}").contains("sk-wrong-key-123"));
}

fn base_url_with_a_path_prefix(wire: Wire) {
    let config = EmulatorConfig::new(wire.dialect()).with_path_prefix("/v1/openai/v1");
    let s = Setup::with_config(wire, config);
    assert!(s.emulator.base_url().ends_with("/v1/openai/v1"));
    let (purpose, name) = s.purpose_and_name();
    let file = s
        .api
        .create(UploadRequest::from_bytes(
            sample_bytes(100, 1),
            name,
            purpose,
        ))
        .unwrap();
    assert_eq!(s.api.retrieve(&file.id).unwrap().id, file.id);
    assert!(
        s.emulator
            .requests()
            .iter()
            .all(|r| r.path.starts_with("/v1/openai/v1/files"))
    );
}

fn refused_connection_is_a_connect_error(wire: Wire) {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = Setup::api_for(wire, &format!("http://127.0.0.1:{port}/v1"), "k");
    let err = api.retrieve("file-1").unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Connect, "{err}");
    assert!(err.to_string().starts_with("could not connect"), "{err}");
}
