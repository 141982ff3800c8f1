//! A provider for the core's own unit tests, and tests of the builders that need one.

use http::HeaderMap;

use crate::body::{Body, Segment};
use crate::probe::FileProbe;
use crate::provider::{BaseUrl, ContentKind, Features, UploadCheck};
use crate::rules::{ExpiresAfterRule, Formats, ProviderRules, PurposeRule, UploadsRule};
use crate::testing::MemoryFiles;
use crate::wire::*;
use crate::*;

pub(crate) struct TestProvider {
    base: BaseUrl,
    features: Features,
    rules: Option<&'static ProviderRules>,
    uploads: Option<UploadsRule>,
}

/// The Uploads API limits of the tests: OpenAI's, with 16-byte parts at most.
pub(crate) const TEST_UPLOADS: UploadsRule = UploadsRule {
    max_bytes: 8 << 30,
    max_part_bytes: 16,
    switch_above: 1 << 30,
    expires_after_seconds: 3600,
    purposes: &["batch", "assistants"],
};

/// A small rule table for the operations' tests: `batch` takes JSON Lines up to 200 MB,
/// `assistants` anything up to the `POST /files` cap (1 GiB here), `retrieval` anything up to
/// 64 MB with a deprecation warning, expiries 1 hour to 30 days, and [`TEST_UPLOADS`].
pub(crate) static TEST_RULES: ProviderRules = ProviderRules {
    provider: "Test",
    purposes: &[
        PurposeRule {
            name: "batch",
            max_bytes: 200 << 20,
            formats: Formats::Only(&["jsonl"]),
            ..PurposeRule::EMPTY
        },
        PurposeRule {
            name: "assistants",
            max_bytes: 1 << 30,
            ..PurposeRule::EMPTY
        },
        PurposeRule {
            name: "retrieval",
            max_bytes: 64 << 20,
            deprecated: Some("batch"),
            ..PurposeRule::EMPTY
        },
    ],
    expires_after: Some(ExpiresAfterRule {
        anchor: "created_at",
        min_seconds: 3600,
        max_seconds: 2_592_000,
    }),
    uploads: Some(TEST_UPLOADS),
    ..ProviderRules::EMPTY
};

impl TestProvider {
    pub(crate) fn openai_like() -> Self {
        TestProvider {
            base: BaseUrl::parse("http://127.0.0.1:9/v1/openai/v1").unwrap(),
            features: Features::new()
                .with_expires_after(true)
                .with_list_parameters(true),
            rules: None,
            uploads: Some(TEST_UPLOADS),
        }
    }

    /// OpenAI-like, checking uploads against [`TEST_RULES`].
    pub(crate) fn with_rules() -> Self {
        TestProvider {
            rules: Some(&TEST_RULES),
            ..TestProvider::openai_like()
        }
    }

    pub(crate) fn stepfun_like() -> Self {
        TestProvider {
            base: BaseUrl::parse("http://127.0.0.1:9/v1").unwrap(),
            features: Features::new()
                .with_url_upload(true)
                .with_content(ContentKind::ExtractedText),
            rules: None,
            uploads: None,
        }
    }
}

impl Provider for TestProvider {
    fn name(&self) -> &str {
        "Test"
    }
    fn base_url(&self) -> &BaseUrl {
        &self.base
    }
    fn authorize(&self, headers: &mut HeaderMap) -> Result<(), ValidationError> {
        headers.insert(
            http::header::AUTHORIZATION,
            ApiKey::new("sk-test-provider-key").bearer_header()?,
        );
        Ok(())
    }
    fn features(&self) -> Features {
        self.features
    }
    fn uploads(&self) -> Option<UploadsRule> {
        self.uploads
    }
    fn check_upload(
        &self,
        upload: &UploadCheck<'_>,
    ) -> Result<Vec<UploadWarning>, ValidationError> {
        match self.rules {
            Some(rules) => rules.check(None, upload),
            None => Ok(Vec::new()),
        }
    }
}

/// The body's bytes, with every path a file of `x`s long enough for its range.
fn render(body: Body) -> Vec<u8> {
    let mut files = MemoryFiles::new();
    for segment in body.segments() {
        if let Segment::Path(range) = segment {
            files = files.with(
                range.path.clone(),
                vec![b'x'; (range.offset + range.len) as usize],
            );
        }
    }
    files.render(body).unwrap()
}

fn boundary() -> Boundary {
    Boundary::from_random(42)
}

#[test]
fn list_query_is_encoded_and_checked() {
    let p = TestProvider::openai_like();
    let req = build_list(
        &p,
        &ListParams::new()
            .purpose(Purpose::FINE_TUNE)
            .limit(5)
            .order(Order::Asc)
            .after("file a&b"),
    )
    .unwrap();
    assert_eq!(
        req.uri(),
        "http://127.0.0.1:9/v1/openai/v1/files?purpose=fine-tune&limit=5&order=asc&after=file+a%26b"
    );
    assert_eq!(
        req.headers()["authorization"],
        "Bearer sk-test-provider-key"
    );
    let err = build_list(&p, &ListParams::new().limit(0)).unwrap_err();
    assert!(err.to_string().contains("between 1 and 10000"), "{err}");
    let Error::Validation(v) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (v.what.as_str(), v.value.as_str(), v.limit.as_deref()),
        ("limit", "0", Some("1..=10000"))
    );
    let err = build_list(&TestProvider::stepfun_like(), &ListParams::new().limit(3)).unwrap_err();
    assert!(
        err.to_string()
            .contains("lists all files at once and takes no parameter"),
        "{err}"
    );
    assert_eq!(
        build_list(&TestProvider::stepfun_like(), &ListParams::new())
            .unwrap()
            .uri(),
        "http://127.0.0.1:9/v1/files"
    );
}

proptest::proptest! {
    /// Whatever an id holds, it is one segment under `/files`: the path has exactly the
    /// segments the builder meant, and the id decodes back to itself.
    #[test]
    fn any_id_stays_one_path_segment(id in "\\PC{1,40}") {
        let p = TestProvider::openai_like();
        if let Ok(request) = build_content(&p, &id) {
            let path = request.uri().path().to_owned();
            let rest = path.strip_prefix("/v1/openai/v1/files/").unwrap_or_default();
            let segments: Vec<&str> = rest.split('/').collect();
            proptest::prop_assert_eq!(segments.len(), 2, "{}", path);
            proptest::prop_assert_eq!(segments[1], "content");
            let decoded = percent_encoding::percent_decode_str(segments[0]).decode_utf8_lossy();
            proptest::prop_assert_eq!(decoded.as_ref(), id.as_str());
            proptest::prop_assert!(request.uri().query().is_none());
        }
    }
}

#[test]
fn ids_are_path_segments() {
    let p = TestProvider::openai_like();
    assert_eq!(
        build_retrieve(&p, "file-1").unwrap().uri(),
        "http://127.0.0.1:9/v1/openai/v1/files/file-1"
    );
    assert_eq!(
        build_content(&p, "../x?y").unwrap().uri(),
        "http://127.0.0.1:9/v1/openai/v1/files/..%2Fx%3Fy/content"
    );
    // LiteLLM's encoded ids: base64 with `+`, `/` and `=`.
    assert_eq!(
        build_retrieve(&p, "bGl0ZWxsbTp+/a+b=").unwrap().uri(),
        "http://127.0.0.1:9/v1/openai/v1/files/bGl0ZWxsbTp%2B%2Fa%2Bb%3D"
    );
    assert_eq!(
        build_delete(&p, "a").unwrap().method(),
        http::Method::DELETE
    );
    assert!(build_retrieve(&p, " ").is_err());
    assert!(build_delete(&p, "..").is_err());
    assert!(build_content(&p, ".").is_err());
    assert_eq!(
        build_content(&p, "f").unwrap().headers()["accept"],
        "application/binary"
    );
}

#[test]
fn extra_form_fields_follow_the_purpose_and_never_replace_the_forms_own() {
    let p = TestProvider::openai_like();
    let upload = UploadRequest::from_bytes(&b"{}"[..], "a.jsonl", Purpose::BATCH);
    let extra = [("target_model_names".to_owned(), "gpt-4o".to_owned())];
    let req = build_upload(&p, &upload, None, Boundary::new("B").unwrap(), &extra).unwrap();
    let head = match &req.body().segments()[0] {
        Segment::Bytes(b) => String::from_utf8(b.to_vec()).unwrap(),
        other => panic!("{other:?}"),
    };
    assert!(
        head.starts_with(
            "--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
             --B\r\nContent-Disposition: form-data; name=\"target_model_names\"\r\n\r\n\
             gpt-4o\r\n--B\r\n"
        ),
        "{head}"
    );
    assert_eq!(
        req.headers()["content-length"],
        req.body().len().to_string().as_str()
    );
    for own in ["file", "Purpose", "url", "expires_after[seconds]"] {
        let extra = [(own.to_owned(), "x".to_owned())];
        let err = build_upload(&p, &upload, None, boundary(), &extra).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("form field {own}: is sent by the client")),
            "{err}"
        );
    }
}

#[test]
fn a_path_upload_declares_its_exact_length_without_reading_the_file() {
    let p = TestProvider::openai_like();
    let upload = UploadRequest::from_path("/data/секрет/big file.jsonl", Purpose::BATCH)
        .with_expires_after(7200);
    let probe = FileProbe {
        len: 100_000_000_000,
        prefix: bytes::Bytes::new(),
    };
    let req = build_upload(&p, &upload, Some(&probe), Boundary::new("B").unwrap(), &[]).unwrap();
    let declared: u64 = req.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(declared, req.body().len());
    assert!(declared > 100_000_000_000);
    let head = match &req.body().segments()[0] {
        Segment::Bytes(b) => String::from_utf8(b.to_vec()).unwrap(),
        other => panic!("{other:?}"),
    };
    assert!(
        head.contains("name=\"expires_after[seconds]\"\r\n\r\n7200\r\n"),
        "{head}"
    );
    assert!(head.contains("filename=\"big file.jsonl\""), "{head}");
    assert!(!head.contains("/data"), "{head}");
}

#[test]
fn declared_length_equals_the_bytes_rendered() {
    let p = TestProvider::openai_like();
    let probe = FileProbe {
        len: 12_345,
        prefix: bytes::Bytes::new(),
    };
    let upload = UploadRequest::from_path("a.pdf", Purpose::ASSISTANTS);
    let req = build_upload(&p, &upload, Some(&probe), boundary(), &[]).unwrap();
    let declared: u64 = req.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let rendered = render(req.into_body());
    assert_eq!(declared, rendered.len() as u64);
    assert!(String::from_utf8_lossy(&rendered).contains("Content-Type: application/pdf\r\n"));
}

#[test]
fn provider_features_are_enforced_before_sending() {
    let openai = TestProvider::openai_like();
    let stepfun = TestProvider::stepfun_like();
    let url = UploadRequest::from_url("https://example.com/a.png", Purpose::STORAGE);
    let err = build_upload(&openai, &url, None, boundary(), &[]).unwrap_err();
    assert!(
        err.to_string().contains("does not upload from a URL"),
        "{err}"
    );
    let named = UploadRequest::from_url("https://example.com/a.png", Purpose::STORAGE)
        .with_filename("b.png");
    let err = build_upload(&stepfun, &named, None, boundary(), &[]).unwrap_err();
    assert!(err.to_string().contains("sends only the URL"), "{err}");
    let req = build_upload(&stepfun, &url, None, boundary(), &[]).unwrap();
    let text = String::from_utf8(render(req.into_body())).unwrap();
    assert!(
        text.contains("name=\"url\"\r\n\r\nhttps://example.com/a.png\r\n"),
        "{text}"
    );
    assert!(!text.contains("name=\"file\""));

    let expiring =
        UploadRequest::from_bytes(&b"x"[..], "a.txt", Purpose::STORAGE).with_expires_after(4000);
    assert!(build_upload(&stepfun, &expiring, None, boundary(), &[]).is_err());
    let nameless = UploadRequest::new(
        UploadSource::Bytes(bytes::Bytes::from_static(b"x")),
        Purpose::BATCH,
    );
    assert!(build_upload(&openai, &nameless, None, boundary(), &[]).is_err());
    let unprobed = UploadRequest::from_path("a.txt", Purpose::BATCH);
    assert!(build_upload(&openai, &unprobed, None, boundary(), &[]).is_err());
}

#[test]
fn a_content_type_with_a_line_break_is_refused_not_altered() {
    let upload = UploadRequest::from_bytes(&b"x"[..], "a.txt", Purpose::ASSISTANTS)
        .with_content_type("text/plain\r\nX-Injected: yes");
    let err =
        build_upload(&TestProvider::openai_like(), &upload, None, boundary(), &[]).unwrap_err();
    assert!(err.to_string().contains("content type"), "{err}");
}
