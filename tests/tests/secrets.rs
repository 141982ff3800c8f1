//! The API key never shows — in any type's `Debug` or `Display`, in an error (even when the
//! server quotes it back) — and never leaves for another host: a redirect is not followed.
//! (Tracing output: `secrets_trace.rs`, a binary of its own so no other test's thread races
//! the subscriber.)

use files_client::{
    AsyncClient, Client, Error, ListParams, Purpose, RequestOptions, UploadRequest,
};
use files_core::ApiKey;
use files_emulator::{Dialect, Emulator, EmulatorConfig};
use files_tests::secrets::{KEY, assert_errors_hide_the_key, assert_hidden};
use files_tests::{RawServer, Setup, Wire};
use provider_openai::OpenAi;
use provider_stepfun::StepFun;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

#[test]
fn no_debug_display_or_error_shows_the_key() {
    let openai = || {
        OpenAi::new(KEY)
            .with_base_url("http://127.0.0.1:9/v1")
            .unwrap()
    };
    let stepfun = StepFun::new(KEY)
        .with_base_url("http://127.0.0.1:9/v1")
        .unwrap();
    let options = RequestOptions::new().header("x-api-key", KEY).unwrap();
    let client = Client::new(openai(), UreqTransport::new().unwrap()).with_options(options.clone());
    let async_client = AsyncClient::new(openai(), ReqwestTransport::new().unwrap());
    let emulator =
        Emulator::start_with(EmulatorConfig::new(Dialect::openai()).with_api_key(KEY)).unwrap();
    let key = ApiKey::new(KEY);
    for (what, text) in [
        ("OpenAi", format!("{:?}", openai())),
        ("StepFun", format!("{stepfun:?}")),
        ("RequestOptions", format!("{options:?}")),
        ("Client", format!("{client:?}")),
        ("Files", format!("{:?}", client.files())),
        ("AsyncClient", format!("{async_client:?}")),
        ("ApiKey", format!("{key:?} {key}")),
        ("Emulator", format!("{emulator:?}")),
        (
            "EmulatorConfig",
            format!(
                "{:?}",
                EmulatorConfig::new(Dialect::stepfun()).with_api_key(KEY)
            ),
        ),
    ] {
        assert_hidden(what, &text);
    }

    for wire in [Wire::OpenAiUreq, Wire::OpenAiReqwest] {
        assert_errors_hide_the_key(wire);
    }
}

/// A redirect to another host is reported, not followed: the other host hears nothing.
fn a_redirect_to_another_host_is_not_followed(wire: Wire) {
    let elsewhere = RawServer::start(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec());
    let location = elsewhere.url("/v1/files");
    for status in [
        "307 Temporary Redirect",
        "308 Permanent Redirect",
        "302 Found",
    ] {
        let redirect = RawServer::start(
            format!(
                "HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
        );
        let api = Setup::api_with(wire, &redirect.url("/v1"), KEY, RequestOptions::new());
        let err = api.list(&ListParams::new()).unwrap_err();
        let Error::Api(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.status.to_string(), status[..3], "{err}");
        assert!(err.to_string().contains(&location), "{err}");
        assert!(
            err.to_string().contains("does not follow redirects"),
            "{err}"
        );
        assert_eq!(redirect.requests_served(), 1);
        let upload = api
            .create(UploadRequest::from_bytes("{}\n", "a.jsonl", Purpose::BATCH))
            .unwrap_err();
        assert_eq!(upload.status(), e.status.into());
    }
    assert_eq!(
        elsewhere.requests(),
        Vec::<String>::new(),
        "the other host heard nothing"
    );
}

#[test]
fn a_redirect_to_another_host_is_not_followed_by_ureq() {
    a_redirect_to_another_host_is_not_followed(Wire::OpenAiUreq);
}

#[test]
fn a_redirect_to_another_host_is_not_followed_by_reqwest() {
    a_redirect_to_another_host_is_not_followed(Wire::OpenAiReqwest);
}
