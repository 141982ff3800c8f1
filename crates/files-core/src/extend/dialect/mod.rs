//! [`Dialect`]: how one provider's Files API spells what every Files API does — the paths of
//! each operation, how the key is sent, the query parameters every request carries, the
//! upload form's field names, the listing's parameters and paging, the names and forms of a
//! file object's fields, which error statuses and codes mean what, and where the request id
//! is.
//!
//! The request builders and decoders of [`wire`](crate::wire) read it, so a provider that
//! differs from OpenAI only in these ways needs no code: a dialect is data, parsed from a
//! provider spec (the `files-spec` crate) or built in Rust. [`Dialect::openai`] is the default
//! every [`Provider`](crate::provider::Provider) has unless it says otherwise. What the
//! content endpoint returns, URL uploads and expiries are [`Features`](crate::provider::Features).
//!
//! ```
//! use files_core::extend::dialect::{Auth, Dialect, Paging};
//!
//! let mut gateway = Dialect::openai();
//! gateway.auth = Auth::Header("x-api-key".into());
//! gateway.query.push(("api-version".into(), "2024-10-21".into()));
//! gateway.list.paging = Paging::Pages { page: "page".into(), size: "page_size".into(), first: 1, total: Some("total".into()) };
//! assert_eq!(gateway.paths.file_path("file-1"), "/files/file-1");
//! ```

mod errors;
mod list;
mod objects;

pub use errors::ErrorRule;
pub use list::{LimitParam, ListStyle, Paging};
pub use objects::{ObjectFields, TimeForm};

use std::sync::{Arc, LazyLock};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// How the API key travels.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// `Authorization: Bearer KEY` (OpenAI and most compatible servers).
    Bearer,
    /// The key alone as the value of this header, e.g. `api-key` (Azure) or `x-api-key`.
    Header(String),
}

impl Auth {
    /// The header the key is sent in, lower case.
    pub fn header_name(&self) -> &str {
        match self {
            Auth::Bearer => "authorization",
            Auth::Header(name) => name,
        }
    }
}

/// The path of each operation under the base URL; `{id}` stands for the file id (percent-
/// encoded as one path segment).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Paths {
    /// Upload and list: `/files`.
    pub files: String,
    /// Retrieve and delete: `/files/{id}`.
    pub file: String,
    /// The content download, `/files/{id}/content`; `None` when the API has none.
    pub content: Option<String>,
    /// The root of the Uploads API, `/uploads` (parts, complete and cancel go under
    /// `/uploads/{upload_id}/…`); `None` when the API has none.
    pub uploads: Option<String>,
}

impl Paths {
    /// The path of the file `id`'s metadata.
    pub fn file_path(&self, id: &str) -> String {
        with_id(&self.file, id)
    }

    /// The path of the file `id`'s content, when the API has a content endpoint.
    pub fn content_path(&self, id: &str) -> Option<String> {
        self.content
            .as_deref()
            .map(|template| with_id(template, id))
    }
}

/// Characters escaped in a file id used as a path segment: all but RFC 3986's unreserved
/// ones, so ids that carry `/`, `+`, `=` or `%` (as encoded ids of proxies do) stay one segment
/// and mean the same to every server.
pub(crate) const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn with_id(template: &str, id: &str) -> String {
    let encoded: String = utf8_percent_encode(id, PATH_SEGMENT).collect();
    template.replace("{id}", &encoded)
}

/// The upload form's field names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormFields {
    /// The file part: `file`.
    pub file: String,
    /// The purpose: `purpose`.
    pub purpose: String,
    /// Whether the server refuses an upload without a purpose (the client always sends one).
    pub purpose_required: bool,
    /// The remote URL of a URL upload (`url`, StepFun), for an API that has them
    /// ([`Features::url_upload`](crate::provider::Features::url_upload)).
    pub url: String,
}

/// How one provider's Files API spells what every Files API does; see the
/// [module](self).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dialect {
    /// How the key is sent.
    pub auth: Auth,
    /// Headers every request carries (a version or beta header), name and value.
    pub headers: Vec<(String, String)>,
    /// Query parameters every request carries (Azure's `api-version`), name and value.
    pub query: Vec<(String, String)>,
    /// Each operation's path.
    pub paths: Paths,
    /// The upload form's field names.
    pub form: FormFields,
    /// The listing's parameters and paging.
    pub list: ListStyle,
    /// The file object's field names and value forms.
    pub object: ObjectFields,
    /// Which statuses and codes mean which kind, ahead of the global table.
    pub errors: Vec<ErrorRule>,
    /// The response headers that carry the request id, tried in order.
    pub request_id_headers: Vec<String>,
}

static OPENAI: LazyLock<Arc<Dialect>> = LazyLock::new(|| Arc::new(Dialect::openai()));
static SINGLE_PAGE: LazyLock<Arc<Dialect>> = LazyLock::new(|| {
    Arc::new(Dialect {
        list: ListStyle::single_page(),
        ..Dialect::openai()
    })
});

impl Dialect {
    /// OpenAI's dialect: Bearer auth, `/files…` and `/uploads`, `file` and `purpose` fields,
    /// cursor paging by `after` with `has_more` and `last_id`, `bytes` and Unix
    /// `created_at`, the request id in `x-request-id`.
    pub fn openai() -> Dialect {
        Dialect {
            auth: Auth::Bearer,
            headers: Vec::new(),
            query: Vec::new(),
            paths: Paths {
                files: "/files".to_owned(),
                file: "/files/{id}".to_owned(),
                content: Some("/files/{id}/content".to_owned()),
                uploads: Some("/uploads".to_owned()),
            },
            form: FormFields {
                file: "file".to_owned(),
                purpose: "purpose".to_owned(),
                purpose_required: true,
                url: "url".to_owned(),
            },
            list: ListStyle::openai(),
            object: ObjectFields::openai(),
            errors: Vec::new(),
            request_id_headers: vec!["x-request-id".to_owned()],
        }
    }

    /// [`Dialect::openai`], shared: what a provider that says nothing else speaks.
    pub fn openai_shared() -> Arc<Dialect> {
        Arc::clone(&OPENAI)
    }

    /// [`Dialect::openai`] with a listing of one page that takes no parameter, shared: what
    /// a provider whose [`Features::list_parameters`](crate::provider::Features) is false
    /// and that says nothing else speaks.
    pub fn single_page_shared() -> Arc<Dialect> {
        Arc::clone(&SINGLE_PAGE)
    }

    /// The request id of a response with these headers: the first of
    /// [`Dialect::request_id_headers`] present, else any of the names servers commonly use.
    pub fn request_id(&self, headers: &http::HeaderMap) -> Option<String> {
        self.request_id_headers
            .iter()
            .map(String::as_str)
            .chain(crate::wire::REQUEST_ID_HEADERS.iter().copied())
            .find_map(|name| headers.get(name)?.to_str().ok())
            .map(str::to_owned)
    }
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect::openai()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_id_is_one_encoded_segment() {
        let paths = Dialect::openai().paths;
        assert_eq!(paths.file_path("a/b c"), "/files/a%2Fb%20c");
        assert_eq!(
            paths.content_path("file-1").as_deref(),
            Some("/files/file-1/content")
        );
    }

    #[test]
    fn the_request_id_comes_from_the_dialect_s_headers_first() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", "generic".parse().unwrap());
        headers.insert("apim-request-id", "azure".parse().unwrap());
        let mut azure = Dialect::openai();
        azure.request_id_headers = vec!["apim-request-id".to_owned()];
        assert_eq!(azure.request_id(&headers).as_deref(), Some("azure"));
        assert_eq!(
            Dialect::openai().request_id(&headers).as_deref(),
            Some("generic")
        );
        headers.remove("x-request-id");
        assert_eq!(
            Dialect::openai().request_id(&headers).as_deref(),
            Some("azure"),
            "a common name is found even when the dialect does not name it"
        );
    }

    #[test]
    fn auth_names_its_header() {
        assert_eq!(Auth::Bearer.header_name(), "authorization");
        assert_eq!(Auth::Header("api-key".into()).header_name(), "api-key");
    }
}
