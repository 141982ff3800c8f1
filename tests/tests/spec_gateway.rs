//! A provider that exists only as a TOML spec — a made-up gateway with its key in a header of
//! its own, a fixed query parameter, other paths, numbered pages, `size_bytes` as a string and
//! RFC 3339 times — walked through both transports against the emulator started with the same
//! spec, and the exact requests it sends.

use files_cli::Api;
use files_client::{ListParams, RequestOptions, UploadRequest};
use files_core::Provider;
use files_emulator::{Dialect, Emulator, EmulatorConfig};
use files_spec::{ProviderSpec, SpecProvider};
use files_tests::{sample_bytes, sha256, sha256_file};

const SPEC: &str = include_str!("../fixtures/acme-gateway.toml");

fn spec() -> std::sync::Arc<ProviderSpec> {
    ProviderSpec::parse("acme.toml", SPEC)
        .expect("the gateway spec is valid")
        .shared()
}

fn walk(asynchronous: bool) {
    let spec = spec();
    let emulator = Emulator::start_with(
        EmulatorConfig::new(Dialect::from_spec(spec.clone()))
            .with_path_prefix("/api")
            .with_site("default")
            .expect("the spec's site"),
    )
    .expect("the emulator starts");
    let provider = SpecProvider::new(spec, emulator.api_key())
        .and_then(|p| p.with_base_url(&emulator.base_url()))
        .expect("a provider at the emulator");
    assert_eq!(provider.name(), "Acme Gateway");
    let api = if asynchronous {
        Api::with_async(Box::new(provider), RequestOptions::new()).expect("an async client")
    } else {
        Api::blocking(Box::new(provider), RequestOptions::new()).expect("a client")
    };
    let dir = tempfile::tempdir().unwrap();
    let purpose = files_client::Purpose::new("docs");

    let mut files = Vec::new();
    for n in 0..5 {
        let bytes = sample_bytes(1000 + n * 100, n as u64 + 1);
        let file = api
            .create(UploadRequest::from_bytes(
                bytes.clone(),
                format!("doc-{n}.txt"),
                purpose.clone(),
            ))
            .unwrap();
        assert_eq!(
            file.bytes,
            bytes.len() as u64,
            "size_bytes read from a string"
        );
        assert!(
            file.created_at > 1_600_000_000,
            "an RFC 3339 time read as Unix seconds"
        );
        files.push((file, bytes));
    }

    // The exact upload: the key in its header and never as Bearer, the fixed query, the
    // gateway's path and form field names.
    let upload = emulator
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(upload.path, "/api/storage/objects?tenant=team-7");
    assert_eq!(
        upload.header("x-acme-key"),
        Some("***"),
        "the gateway's key header is redacted"
    );
    assert_eq!(upload.header("authorization"), None);
    assert!(
        upload.file_part.is_some(),
        "the file went in the `upload` field"
    );

    // Several numbered pages of 2, followed to the end by the total.
    let listed: Vec<_> = api
        .list_all(&ListParams::new().limit(2))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(listed.len(), 5);
    let lists: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/storage/objects?"))
        .map(|r| r.path)
        .collect();
    assert_eq!(
        lists,
        [
            "/api/storage/objects?tenant=team-7&per_page=2&page=1",
            "/api/storage/objects?tenant=team-7&per_page=2&page=2",
            "/api/storage/objects?tenant=team-7&per_page=2&page=3",
        ]
    );

    let (first, bytes) = &files[0];
    assert_eq!(api.retrieve(&first.id).unwrap(), *first);
    let copy = dir.path().join("copy.txt");
    assert_eq!(
        api.download_to_path(&first.id, &copy).unwrap(),
        bytes.len() as u64
    );
    assert_eq!(sha256_file(&copy), sha256(bytes));
    let content = emulator.requests().pop().unwrap();
    assert_eq!(
        content.path,
        format!("/api/storage/objects/{}/blob?tenant=team-7", first.id)
    );

    for (file, _) in &files {
        assert!(api.delete(&file.id).unwrap().deleted);
    }
    assert!(api.list(&ListParams::new()).unwrap().data.is_empty());
}

#[test]
fn a_gateway_from_a_spec_walks_every_operation_over_ureq() {
    walk(false);
}

#[test]
fn a_gateway_from_a_spec_walks_every_operation_over_reqwest() {
    walk(true);
}

#[test]
fn the_emulator_refuses_a_bearer_key_and_a_missing_query_as_the_spec_says() {
    let spec = spec();
    let emulator = Emulator::start_with(
        EmulatorConfig::new(Dialect::from_spec(spec))
            .with_path_prefix("/api")
            .with_site("default")
            .unwrap(),
    )
    .unwrap();
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let url = format!("{}/storage/objects", emulator.base_url());
    let bearer = agent
        .get(&format!("{url}?tenant=team-7"))
        .header("authorization", format!("Bearer {}", emulator.api_key()))
        .call()
        .unwrap();
    assert_eq!(bearer.status(), 401);
    let text = bearer.into_body().read_to_string().unwrap();
    assert!(
        text.contains("'x-acme-key' header, not in Authorization"),
        "{text}"
    );
    let no_query = agent
        .get(&url)
        .header("x-acme-key", emulator.api_key())
        .call()
        .unwrap();
    assert_eq!(no_query.status(), 400);
    let text = no_query.into_body().read_to_string().unwrap();
    assert!(
        text.contains("Missing required query parameter 'tenant'"),
        "{text}"
    );
}

#[test]
fn a_bad_spec_is_refused_with_the_line_or_the_field() {
    let err = ProviderSpec::parse(
        "acme.toml",
        &SPEC.replace("paging = \"pages\"", "paging = 7"),
    )
    .unwrap_err();
    assert_eq!(err.origin, "acme.toml");
    assert_eq!(err.location, "line 32, column 10", "{err}");
    assert!(err.problem.contains("expected a string"), "{err}");
    let err = ProviderSpec::parse(
        "acme.toml",
        &SPEC.replace(
            "file = \"/storage/objects/{id}\"",
            "file = \"/storage/objects\"",
        ),
    )
    .unwrap_err();
    assert_eq!(err.location, "[endpoints] file");
    assert!(err.problem.contains("must hold {id}"), "{err}");
    let err = ProviderSpec::parse(
        "acme.toml",
        &SPEC.replace("style = \"header\"", "style = \"query\""),
    )
    .unwrap_err();
    assert_eq!(err.location, "[auth] style");
    assert!(
        err.problem.contains("the key in the URL) is not supported"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("allowed are \"bearer\" and \"header\""),
        "{err}"
    );
}

#[test]
fn azure_s_v1_api_takes_a_bearer_key_too_and_its_dated_api_does_not() {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let get = |emulator: &Emulator, query: &str, header: (&str, String)| {
        let response = agent
            .get(&format!("{}/files{query}", emulator.base_url()))
            .header(header.0, header.1)
            .call()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.into_body().read_to_string().unwrap())
    };
    let v1 = Emulator::start(Dialect::named("azure").unwrap()).unwrap();
    let bearer = ("authorization", format!("Bearer {}", v1.api_key()));
    assert_eq!(get(&v1, "", bearer).0, 200, "v1 takes Bearer");
    assert_eq!(get(&v1, "", ("api-key", v1.api_key().to_owned())).0, 200);
    assert_eq!(get(&v1, "", ("api-key", "wrong".to_owned())).0, 401);

    let dated = Emulator::start_with(
        EmulatorConfig::new(Dialect::named("azure").unwrap())
            .with_site("dated")
            .unwrap(),
    )
    .unwrap();
    let key = dated.api_key().to_owned();
    let (status, text) = get(
        &dated,
        "?api-version=2024-10-21",
        ("authorization", format!("Bearer {key}")),
    );
    assert_eq!(status, 401);
    assert!(
        text.contains("'api-key' header, not in Authorization"),
        "{text}"
    );
    let (status, text) = get(&dated, "", ("api-key", key.clone()));
    assert_eq!(status, 400);
    assert!(
        text.contains("Missing required query parameter 'api-version'"),
        "{text}"
    );
    assert_eq!(
        get(&dated, "?api-version=2024-10-21", ("api-key", key)).0,
        200
    );
}
