//! The multipart bodies the core builds, read back by a real parser (`multer`, the one axum
//! uses): for arbitrary filenames, field values and contents, every field comes back as sent,
//! the filename as documented ([`escape_quoted`]), the content byte for byte, and the length is
//! the one declared. No value can add a header or a part.

use std::sync::Arc;

use bytes::Bytes;
use files_client::{Purpose, StdFiles, UploadRequest};
use files_core::extend::body::Segment;
use files_core::extend::wire::{Boundary, MultipartBody, build_upload, escape_quoted};
use files_io::BodyPump;
use futures_util::FutureExt;
use proptest::prelude::*;
use provider_openai::OpenAi;

/// A part as the parser saw it.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    name: Option<String>,
    filename: Option<String>,
    content_type: Option<String>,
    headers: usize,
    bytes: Vec<u8>,
}

/// Renders a body description to its bytes.
fn render(body: files_core::extend::body::Body) -> Vec<u8> {
    let (mut reader, _) = body.into_request_body(Arc::new(StdFiles), None);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut out).unwrap();
    out
}

/// Parses `bytes` as `multipart/form-data` with `boundary`; the parser's stream is in memory,
/// so every step is ready at once.
fn parse(bytes: Vec<u8>, boundary: &str) -> Result<Vec<Parsed>, String> {
    let chunks = bytes
        .chunks(7)
        .map(|c| Ok::<Bytes, std::io::Error>(Bytes::copy_from_slice(c)))
        .collect::<Vec<_>>();
    let mut multipart = multer::Multipart::new(futures_util::stream::iter(chunks), boundary);
    let mut parts = Vec::new();
    loop {
        let field = multipart
            .next_field()
            .now_or_never()
            .ok_or("the parser waited on an in-memory body")?
            .map_err(|e| e.to_string())?;
        let Some(field) = field else {
            return Ok(parts);
        };
        let name = field.name().map(str::to_owned);
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(|m| m.to_string());
        let headers = field.headers().len();
        let bytes = field
            .bytes()
            .now_or_never()
            .ok_or("the parser waited on an in-memory body")?
            .map_err(|e| e.to_string())?;
        parts.push(Parsed {
            name,
            filename,
            content_type,
            headers,
            bytes: bytes.to_vec(),
        });
    }
}

/// Filenames people and attackers use: unicode, quotes, backslashes, CR/LF, NUL, long.
fn filename() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,40}",
        "[\"\\\\\r\n\0 a-zé😀;=]{1,24}",
        "[a-z]{1000}",
        Just("evil\"\r\nContent-Type: text/html\r\n\r\nX".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn multer_reads_back_every_field_and_the_exact_bytes(
        fields in proptest::collection::vec(("[a-z_\\[\\]]{1,12}", "\\PC{0,40}|[\"\\\\\r\n\0]{0,6}"), 0..4),
        filename in filename(),
        content in proptest::collection::vec(any::<u8>(), 0..3000),
        random in any::<u128>(),
    ) {
        let boundary = Boundary::from_random(random);
        let mut form = MultipartBody::new(boundary.clone());
        for (name, value) in &fields {
            form.text(name, value);
        }
        form.file("file", &filename, "application/octet-stream", Segment::Bytes(Bytes::from(content.clone())));
        let body = form.finish();
        let declared = body.len();
        let bytes = render(body);
        prop_assert_eq!(bytes.len() as u64, declared, "the declared length is the length sent");

        let parts = parse(bytes, boundary.as_str()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(parts.len(), fields.len() + 1, "no value adds or removes a part");
        for (part, (name, value)) in parts.iter().zip(&fields) {
            prop_assert_eq!(part.name.as_deref(), Some(name.as_str()));
            prop_assert_eq!(&part.bytes, value.as_bytes());
            prop_assert_eq!(part.headers, 1, "a text field has one header");
        }
        let file = &parts[fields.len()];
        let escaped = escape_quoted(&filename);
        prop_assert_eq!(file.filename.as_deref(), Some(escaped.as_str()));
        prop_assert_eq!(file.content_type.as_deref(), Some("application/octet-stream"));
        prop_assert_eq!(file.headers, 2, "a file part has exactly two headers");
        prop_assert_eq!(&file.bytes, &content);
    }

    #[test]
    fn an_upload_request_declares_its_length_and_parses(
        filename in filename(),
        content in proptest::collection::vec(any::<u8>(), 1..2000),
        random in any::<u128>(),
    ) {
        let provider = OpenAi::new("sk-test").with_base_url("http://127.0.0.1:9/v1").unwrap();
        let upload = UploadRequest::from_bytes(content.clone(), filename.clone(), Purpose::ASSISTANTS);
        let boundary = Boundary::from_random(random);
        // Any name is sent (escaped); only a blank one is refused.
        let request = match build_upload(&provider, &upload, None, boundary.clone(), &[]) {
            Ok(request) => request,
            Err(e) => {
                prop_assert!(filename.trim().is_empty(), "{:?} refused: {}", filename, e);
                return Ok(());
            }
        };
        let length: u64 = request.headers()[http::header::CONTENT_LENGTH].to_str().unwrap().parse().unwrap();
        let bytes = render(request.into_body());
        prop_assert_eq!(bytes.len() as u64, length);
        let parts = parse(bytes, boundary.as_str()).map_err(TestCaseError::fail)?;
        let names: Vec<_> = parts.iter().map(|p| p.name.clone().unwrap_or_default()).collect();
        prop_assert_eq!(names, ["purpose", "file"]);
        prop_assert_eq!(&parts[0].bytes, b"assistants");
        prop_assert_eq!(&parts[1].bytes, &content);
    }

    #[test]
    fn extra_fields_reach_the_form_intact_or_are_refused_before_sending(
        extra in proptest::collection::vec((filename(), filename()), 0..4),
        random in any::<u128>(),
    ) {
        let provider = OpenAi::new("sk-test").with_base_url("http://127.0.0.1:9/v1").unwrap();
        let upload = UploadRequest::from_bytes(&b"{}"[..], "a.jsonl", Purpose::BATCH);
        let mut options = files_core::RequestOptions::new();
        for (name, value) in &extra {
            match options.clone().form_field(name, value) {
                Ok(next) => options = next,
                Err(e) => {
                    // Only what cannot be sent as given is refused at once.
                    let bad = name.trim().is_empty()
                        || name.chars().chain(value.chars()).any(char::is_control);
                    prop_assert!(bad, "{:?}={:?} refused: {}", name, value, e);
                }
            }
        }
        let boundary = Boundary::from_random(random);
        let fields = options.extra_form_fields().to_vec();
        let request = match build_upload(&provider, &upload, None, boundary.clone(), &fields) {
            Ok(request) => request,
            Err(e) => {
                let own = ["file", "purpose", "url", "expires_after[anchor]", "expires_after[seconds]"];
                prop_assert!(
                    fields.iter().any(|(n, _)| own.iter().any(|o| o.eq_ignore_ascii_case(n))),
                    "refused: {}", e
                );
                return Ok(());
            }
        };
        let length: u64 = request.headers()[http::header::CONTENT_LENGTH].to_str().unwrap().parse().unwrap();
        let bytes = render(request.into_body());
        prop_assert_eq!(bytes.len() as u64, length);
        let parts = parse(bytes, boundary.as_str()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(parts.len(), fields.len() + 2, "no value adds or removes a part");
        for (part, (name, value)) in parts[1..].iter().zip(&fields) {
            let escaped = escape_quoted(name);
            prop_assert_eq!(part.name.as_deref(), Some(escaped.as_str()));
            prop_assert_eq!(&part.bytes, value.as_bytes());
        }
        prop_assert_eq!(parts.last().and_then(|p| p.filename.as_deref()), Some("a.jsonl"));
    }
}
