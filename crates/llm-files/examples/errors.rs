//! Matching errors by kind: what was refused before sending, what the server refused, what
//! the network did, and what the client says about retrying.
//!
//! ```sh
//! cargo run --example errors
//! ```
//!
//! Each failure is provoked offline, against the project's emulator started in-process (or a
//! loopback port nothing listens on), and matched the way a program would match it.

use std::time::Duration;

use files_emulator::{Dialect, Emulator, Fault};
use llm_files::{
    ApiErrorKind, AsyncClient, Error, OpenAi, Purpose, RequestOptions, ReqwestTransport, RuleKind,
    TransportErrorKind, UploadRequest,
};

/// What a program might do about each failure.
fn advice(error: &Error) -> String {
    match error {
        // Found before a byte was sent: the request itself must change.
        Error::Validation(refusal) => match refusal.kind {
            RuleKind::PurposeNotAccepted => "pick a purpose the provider documents".into(),
            RuleKind::FormatNotAccepted | RuleKind::ContentMismatch => "send another file".into(),
            _ => format!("fix the request's {}", refusal.what),
        },
        // The server answered with an error status.
        Error::Api(api) => match api.kind() {
            ApiErrorKind::NotFound => "the file is gone: drop it from the records".into(),
            ApiErrorKind::Authentication => "check the API key".into(),
            ApiErrorKind::RateLimited if api.is_quota_exhausted() => "add credit".into(),
            ApiErrorKind::RateLimited | ApiErrorKind::Overloaded | ApiErrorKind::ServerError => {
                format!(
                    "try later (after {:?}; {} attempts made)",
                    error.retry_after().unwrap_or(Duration::from_secs(60)),
                    api.attempts
                )
            }
            other => format!("the server refused it ({other:?})"),
        },
        // The request never got an answer.
        Error::Transport(transport) => match transport.kind {
            TransportErrorKind::Connect => "is the server up, and the base URL right?".into(),
            TransportErrorKind::Timeout => "raise the timeouts, or try later".into(),
            TransportErrorKind::Certificate => "trust the server's CA (SSL_CERT_FILE)".into(),
            other => format!("a network failure ({other:?})"),
        },
        Error::LocalFile(local) => format!("check the local file: {local}"),
        other => format!("something else: {other}"),
    }
}

fn show(what: &str, error: &Error) {
    println!(
        "{what}\n  error:     {error}\n  retryable: {}\n  do:        {}\n",
        error.is_retryable(),
        advice(error)
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(Dialect::openai())?;
    let openai = OpenAi::new(emulator.api_key()).with_base_url(&emulator.base_url())?;
    // Two retries, as the official SDKs make (and the default here too).
    let client = AsyncClient::new(openai, ReqwestTransport::new()?)
        .with_options(RequestOptions::new().max_retries(2));
    let files = client.files();

    // 1. A near miss of a documented purpose, refused before sending.
    let error = files
        .create(UploadRequest::from_bytes(
            "{}\n",
            "a.jsonl",
            Purpose::new("Batch"),
        ))
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Validation(v) if v.kind == RuleKind::PurposeNotAccepted));
    show("a purpose in the wrong case", &error);

    // 2. A file whose bytes say it is not what its name says.
    let error = files
        .create(UploadRequest::from_bytes(
            "<html>502 Bad Gateway</html>",
            "clip.mp4",
            Purpose::ASSISTANTS,
        ))
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Validation(v) if v.kind == RuleKind::ContentMismatch));
    show("an HTML page named .mp4", &error);

    // 3. An id the server does not know.
    let error = files.retrieve("file-does-not-exist").await.unwrap_err();
    assert_eq!(error.api_error_kind(), Some(ApiErrorKind::NotFound));
    assert_eq!(error.status(), Some(404));
    show("an unknown id", &error);

    // 4. A wrong key.
    let wrong = OpenAi::new("sk-wrong").with_base_url(&emulator.base_url())?;
    let stranger = AsyncClient::new(wrong, ReqwestTransport::new()?);
    let error = stranger.files().retrieve("file-abc").await.unwrap_err();
    assert_eq!(error.api_error_kind(), Some(ApiErrorKind::Authentication));
    show("a wrong API key", &error);

    // 5. A server that stays rate-limited through every retry.
    emulator.inject(
        Fault::status(429, serde_json::json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}))
            .with_header("retry-after-ms", "30")
            .on("GET", "/files")
            .times(3),
    );
    let error = files.list(&Default::default()).await.unwrap_err();
    assert_eq!(error.api_error_kind(), Some(ApiErrorKind::RateLimited));
    assert_eq!(error.attempts(), Some(3));
    show("rate-limited three times over", &error);

    // 6. Nobody listening: a port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let nowhere = OpenAi::new("sk-any").with_base_url(&format!("http://127.0.0.1:{port}/v1"))?;
    let lonely = AsyncClient::new(nowhere, ReqwestTransport::new()?)
        .with_options(RequestOptions::new().max_retries(0));
    let error = lonely.files().retrieve("file-abc").await.unwrap_err();
    assert!(matches!(&error, Error::Transport(t) if t.kind == TransportErrorKind::Connect));
    show("nothing listening", &error);

    Ok(())
}
