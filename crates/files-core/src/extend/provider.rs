//! [`Provider`]: what the core asks of an API provider — where it lives, how it authenticates,
//! which features it has and which uploads it accepts — and [`BaseUrl`].

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;

use crate::dialect::Dialect;
use crate::error::ValidationError;
use crate::purpose::Purpose;
use crate::rules::{UploadWarning, UploadsRule};

/// An API provider's endpoint rules. The `provider-openai` and `provider-stepfun` crates
/// implement it; an OpenAI-compatible server can be reached through either with a base-URL
/// override, or through an implementation of its own.
pub trait Provider: Send + Sync {
    /// The provider's name, for messages (`OpenAI`, `StepFun`).
    fn name(&self) -> &str;

    /// The base URL every path is joined to, e.g. `https://api.openai.com/v1`.
    fn base_url(&self) -> &BaseUrl;

    /// Adds the authentication and account headers to a request.
    fn authorize(&self, headers: &mut HeaderMap) -> Result<(), ValidationError>;

    /// What the provider's Files API supports.
    fn features(&self) -> Features;

    /// How the provider spells each request and answer: paths, fixed query parameters,
    /// form fields, list paging, object fields, its error table, request-id headers. The
    /// default is OpenAI's ([`Dialect::openai`]), with a one-page listing that takes no
    /// parameter when [`Features::list_parameters`] is false.
    fn dialect(&self) -> Arc<Dialect> {
        if self.features().list_parameters {
            Dialect::openai_shared()
        } else {
            Dialect::single_page_shared()
        }
    }

    /// The limits of the provider's Uploads API (files sent in parts), if it has one. The
    /// default has none.
    fn uploads(&self) -> Option<UploadsRule> {
        None
    }

    /// Checks an upload against the provider's rules before a byte is sent, and returns the
    /// warnings of an accepted one (a deprecated purpose, say). It is called twice for a
    /// local file: with its size alone (before a byte of it is read), then with its first
    /// bytes too. The default accepts everything.
    fn check_upload(
        &self,
        upload: &UploadCheck<'_>,
    ) -> Result<Vec<UploadWarning>, ValidationError> {
        let _ = upload;
        Ok(Vec::new())
    }
}

/// Forwards every method to the provider behind a pointer.
macro_rules! forward_provider {
    ($($pointer:ty),*) => {$(
        impl<P: Provider + ?Sized> Provider for $pointer {
            fn name(&self) -> &str {
                (**self).name()
            }
            fn base_url(&self) -> &BaseUrl {
                (**self).base_url()
            }
            fn authorize(&self, headers: &mut HeaderMap) -> Result<(), ValidationError> {
                (**self).authorize(headers)
            }
            fn features(&self) -> Features {
                (**self).features()
            }
            fn dialect(&self) -> Arc<Dialect> {
                (**self).dialect()
            }
            fn uploads(&self) -> Option<UploadsRule> {
                (**self).uploads()
            }
            fn check_upload(&self, upload: &UploadCheck<'_>) -> Result<Vec<UploadWarning>, ValidationError> {
                (**self).check_upload(upload)
            }
        }
    )*};
}

forward_provider!(&P, Box<P>, std::sync::Arc<P>);

/// What a file's content endpoint returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentKind {
    /// The bytes that were uploaded (OpenAI).
    OriginalBytes,
    /// Text extracted from the file (StepFun).
    ExtractedText,
    /// Not documented: the content is asked for as any type and delivered as it comes.
    Unknown,
}

/// The features of a provider's Files API that change how requests are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Features {
    /// Upload from a remote URL (`url` form field).
    pub url_upload: bool,
    /// An expiry on upload (`expires_after[…]` form fields).
    pub expires_after: bool,
    /// List parameters: `purpose`, `limit`, `order`, `after`. Only the default
    /// [`Provider::dialect`] reads it; a dialect of the provider's own says what its listing
    /// takes.
    pub list_parameters: bool,
    /// What the content endpoint returns.
    pub content: ContentKind,
}

impl Features {
    /// No optional feature; content is the original bytes.
    pub const fn new() -> Self {
        Features {
            url_upload: false,
            expires_after: false,
            list_parameters: false,
            content: ContentKind::OriginalBytes,
        }
    }

    /// Sets whether uploads from a remote URL are supported.
    pub const fn with_url_upload(mut self, yes: bool) -> Self {
        self.url_upload = yes;
        self
    }

    /// Sets whether an upload may carry an expiry.
    pub const fn with_expires_after(mut self, yes: bool) -> Self {
        self.expires_after = yes;
        self
    }

    /// Sets whether listing takes `purpose`, `limit`, `order` and `after`.
    pub const fn with_list_parameters(mut self, yes: bool) -> Self {
        self.list_parameters = yes;
        self
    }

    /// Sets what the content endpoint returns.
    pub const fn with_content(mut self, content: ContentKind) -> Self {
        self.content = content;
        self
    }
}

impl Default for Features {
    fn default() -> Self {
        Features::new()
    }
}

/// An API base URL: `http` or `https`, a host, and a path prefix that is kept (so a server
/// mounted at `http://127.0.0.1:8321/v1/openai/v1` works). No query or fragment.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    text: String,
}

impl BaseUrl {
    /// Parses and checks a base URL; a trailing `/` is dropped.
    pub fn parse(url: &str) -> Result<Self, ValidationError> {
        let trimmed = url.trim().trim_end_matches('/');
        let authority = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
        if authority
            .split('/')
            .next()
            .is_some_and(|host| host.contains('@'))
        {
            // The URL is shown in messages; a password in it would leak.
            return Err(ValidationError::new(
                "base URL",
                "(not shown: it contains credentials)",
                "must not contain a user name or password; the API key goes in its environment variable",
            ));
        }
        let bad = |rule: &str| ValidationError::new("base URL", url, rule);
        let uri: http::Uri = trimmed
            .parse()
            .map_err(|_| bad("is not a valid URL; expected e.g. https://api.openai.com/v1"))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => return Err(bad("must start with http:// or https://")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if uri.query().is_some() || trimmed.contains('#') {
            return Err(bad("must not have a query or a fragment"));
        }
        Ok(BaseUrl {
            text: trimmed.to_owned(),
        })
    }

    /// The URL's text, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The URL of `path` (which starts with `/`) under this base.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.text, path)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({:?})", self.text)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a provider's rules look at before an upload is sent.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct UploadCheck<'a> {
    /// The purpose.
    pub purpose: &'a Purpose,
    /// The file name that will be sent (absent for a URL upload with no name).
    pub filename: Option<&'a str>,
    /// The file part's Content-Type.
    pub content_type: Option<&'a str>,
    /// The exact size in bytes; `None` for a URL upload.
    pub len: Option<u64>,
    /// The remote URL, for a URL upload.
    pub url: Option<&'a str>,
    /// The requested expiry in seconds.
    pub expires_after: Option<u64>,
    /// The first bytes of the file ([`PROBE_PREFIX_LEN`] at most), when they are known: not
    /// for a reader or a stream, nor in the first check of a local file.
    ///
    /// [`PROBE_PREFIX_LEN`]: crate::probe::PROBE_PREFIX_LEN
    pub prefix: Option<&'a [u8]>,
    /// The size limit that applies instead of the purpose's, with what sets it: the
    /// Uploads API's, for a file sent in parts.
    pub size_limit: Option<(u64, &'static str)>,
    /// Whether a purpose the rules do not know is refused (`true`) or sent with a warning
    /// (`false`, the default). A near miss of a known purpose (`Batch`, `fine_tune`, `batc`) is
    /// refused either way.
    pub strict_purpose: bool,
}

impl<'a> UploadCheck<'a> {
    /// An upload of `len` bytes (`None`: unknown) named `filename` for `purpose`.
    pub fn new(purpose: &'a Purpose, filename: Option<&'a str>, len: Option<u64>) -> Self {
        UploadCheck {
            purpose,
            filename,
            content_type: None,
            len,
            url: None,
            expires_after: None,
            prefix: None,
            size_limit: None,
            strict_purpose: false,
        }
    }

    /// Refuses a purpose the rules do not know (`true`), or sends it with a warning.
    pub fn with_strict_purpose(mut self, strict: bool) -> Self {
        self.strict_purpose = strict;
        self
    }

    /// With the file's first bytes.
    pub fn with_prefix(mut self, prefix: &'a [u8]) -> Self {
        self.prefix = Some(prefix);
        self
    }

    /// A URL upload of `url`.
    pub fn with_url(mut self, url: &'a str) -> Self {
        self.url = Some(url);
        self
    }

    /// With an expiry of `seconds`.
    pub fn with_expires_after(mut self, seconds: Option<u64>) -> Self {
        self.expires_after = seconds;
        self
    }

    /// With the file part's Content-Type.
    /// With the size limit `bytes` set by `by` (e.g. `the Uploads API`) in place of the
    /// purpose's, where the purpose's is only the provider's `POST /files` cap (a purpose
    /// with a smaller limit of its own keeps it).
    pub fn with_size_limit(mut self, bytes: u64, by: &'static str) -> Self {
        self.size_limit = Some((bytes, by));
        self
    }

    /// With the content type the part will carry.
    pub fn with_content_type(mut self, content_type: Option<&'a str>) -> Self {
        self.content_type = content_type;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_its_path_prefix() {
        let base = BaseUrl::parse("http://127.0.0.1:8321/v1/openai/v1/").unwrap();
        assert_eq!(
            base.join("/files"),
            "http://127.0.0.1:8321/v1/openai/v1/files"
        );
    }

    #[test]
    fn base_url_rejects_what_cannot_work() {
        for bad in [
            "api.openai.com/v1",
            "ftp://x/v1",
            "https://x/v1?a=b",
            "http://",
            "",
        ] {
            let err = BaseUrl::parse(bad).unwrap_err();
            assert_eq!(err.what, "base URL", "{bad}");
            assert!(!err.to_string().contains("pw@"), "{err}");
        }
    }
}
