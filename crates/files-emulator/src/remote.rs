//! Fetching a remote file for StepFun's `url` upload field.

use std::error::Error as _;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;

use crate::disk::DiskWriter;
use crate::envelope::ApiError;
use crate::public_net::{self, PublicOnly};
use crate::store::TempUpload;

/// How long a remote fetch may take in all.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);
/// The most redirects a remote fetch follows.
const MAX_REDIRECTS: usize = 5;

/// A lazily built HTTP client for remote uploads.
#[derive(Debug)]
pub(crate) struct Fetcher {
    client: OnceLock<Result<reqwest::Client, String>>,
    /// Whether non-public addresses may be fetched from.
    allow_private: bool,
}

/// What a successful fetch produced.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The last segment of the URL's path.
    pub(crate) filename: String,
    /// How many bytes were written.
    pub(crate) bytes: u64,
}

impl Fetcher {
    /// A fetcher that reaches only public addresses, unless `allow_private`.
    pub(crate) fn new(allow_private: bool) -> Self {
        Fetcher {
            client: OnceLock::new(),
            allow_private,
        }
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        let allow_private = self.allow_private;
        self.client
            .get_or_init(|| {
                // Another part of the process may already have installed a provider.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let redirects = reqwest::redirect::Policy::custom(move |attempt| {
                    if attempt.previous().len() >= MAX_REDIRECTS {
                        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                    }
                    match literal_refusal(attempt.url(), allow_private) {
                        Some(refusal) => attempt.error(refusal),
                        None => attempt.follow(),
                    }
                });
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .timeout(FETCH_TIMEOUT)
                    .redirect(redirects)
                    // A proxy would connect on our behalf, past the address check.
                    .no_proxy();
                if !allow_private {
                    builder = builder.dns_resolver(Arc::new(PublicOnly));
                }
                builder.build().map_err(|e| describe(&e))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Downloads `url` into `dest`, enforcing `max_bytes`.
    pub(crate) async fn fetch(
        &self,
        url: &str,
        dest: &TempUpload,
        max_bytes: Option<u64>,
    ) -> Result<Fetched, ApiError> {
        let fail = |why: String| {
            ApiError::bad_request(
                Some("url"),
                format!("The file at URL '{url}' could not be fetched: {why}"),
            )
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| fail(format!("invalid URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(fail(format!(
                "unsupported scheme '{}' (only http and https URLs are accepted)",
                parsed.scheme()
            )));
        }
        if let Some(refusal) = literal_refusal(&parsed, self.allow_private) {
            return Err(fail(refusal));
        }
        let filename = parsed
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .filter(|s| !s.is_empty())
            .unwrap_or("file")
            .to_owned();
        let client = self
            .client()
            .map_err(|e| fail(format!("no HTTP client ({e})")))?;
        let response = client
            .get(parsed)
            .send()
            .await
            .map_err(|e| fail(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("the server answered HTTP {status}")));
        }
        if let (Some(max), Some(len)) = (max_bytes, response.content_length())
            && len > max
        {
            return Err(ApiError::too_large(max));
        }
        let mut out = DiskWriter::create(dest.path())
            .await
            .map_err(|e| ApiError::internal(format!("Could not store the upload: {e}")))?;
        let mut bytes = 0u64;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| fail(describe(&e)))?;
            bytes += chunk.len() as u64;
            if let Some(max) = max_bytes
                && bytes > max
            {
                return Err(ApiError::too_large(max));
            }
            out.write(&chunk)
                .await
                .map_err(|e| ApiError::internal(format!("Could not store the upload: {e}")))?;
        }
        out.finish()
            .await
            .map_err(|e| ApiError::internal(format!("Could not store the upload: {e}")))?;
        Ok(Fetched { filename, bytes })
    }
}

/// Why `url`, whose host is an IP address, may not be fetched from (`None` when it may, or
/// when its host is a name: the resolver checks those).
fn literal_refusal(url: &reqwest::Url, allow_private: bool) -> Option<String> {
    if allow_private {
        return None;
    }
    let host = url.host_str()?;
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    (!public_net::is_public(ip)).then(|| public_net::refusal(&ip.to_string()))
}

/// An error and its chain of causes on one line.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
