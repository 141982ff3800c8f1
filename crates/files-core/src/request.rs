//! Pure builders for the list, retrieve, delete and content requests, and what every request
//! shares (URL, authentication, standard headers).

use http::{HeaderValue, Method, header};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::body::Body;
use crate::error::{Error, ValidationError};
use crate::provider::{ContentKind, Provider};
use crate::purpose::Purpose;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("files-sdk/", env!("CARGO_PKG_VERSION"));

/// The most files one OpenAI list page can hold.
pub const MAX_LIST_LIMIT: u32 = 10_000;

/// Characters escaped in a file id used as a path segment.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Sort order of a listing, by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Asc,
    /// Newest first (the server's default).
    Desc,
}

impl Order {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

impl std::str::FromStr for Order {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asc" => Ok(Order::Asc),
            "desc" => Ok(Order::Desc),
            _ => Err(ValidationError::new("order", s, "must be asc or desc")),
        }
    }
}

/// Parameters of a listing. All are optional; providers without list parameters (StepFun)
/// accept only the empty set.
///
/// ```
/// use files_core::{ListParams, Order, Purpose};
/// let page = ListParams::new().purpose(Purpose::BATCH).limit(100).order(Order::Asc);
/// assert_eq!(page.limit_value(), Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    purpose: Option<Purpose>,
    limit: Option<u32>,
    order: Option<Order>,
    after: Option<String>,
}

impl ListParams {
    /// No parameters: the server's defaults.
    pub fn new() -> Self {
        ListParams::default()
    }

    /// Only files of this purpose.
    pub fn purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = Some(purpose);
        self
    }

    /// At most this many files (1 to 10,000).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sort order by creation time.
    pub fn order(mut self, order: Order) -> Self {
        self.order = Some(order);
        self
    }

    /// Files after this id (the previous page's `last_id`).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// The limit, if set.
    pub fn limit_value(&self) -> Option<u32> {
        self.limit
    }

    /// The cursor, if set.
    pub fn after_value(&self) -> Option<&str> {
        self.after.as_deref()
    }

    fn is_empty(&self) -> bool {
        *self == ListParams::default()
    }
}

/// The URL of `/files` followed by `segments`, each percent-encoded.
pub(crate) fn files_url(provider: &dyn Provider, segments: &[&str]) -> String {
    let mut path = String::from("/files");
    for segment in segments {
        path.push('/');
        path.extend(utf8_percent_encode(segment, PATH_SEGMENT));
    }
    provider.base_url().join(&path)
}

/// A request builder with the URL, authentication, `User-Agent` and `Accept: application/json`.
pub(crate) fn json_request_builder(
    provider: &dyn Provider,
    method: Method,
    url: &str,
) -> Result<http::request::Builder, Error> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(url)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::ACCEPT, "application/json");
    if let Some(headers) = builder.headers_mut() {
        provider.authorize(headers)?;
    }
    Ok(builder)
}

/// Turns an `http` builder failure (a URL that cannot be a URI) into a validation error.
pub(crate) fn invalid_request(e: http::Error) -> Error {
    ValidationError::new(
        "request",
        e.to_string(),
        "could not be built; check the base URL and the file id",
    )
    .into()
}

fn check_file_id(id: &str) -> Result<(), ValidationError> {
    if id.trim().is_empty() {
        return Err(ValidationError::new("file id", "\"\"", "must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(ValidationError::new(
            "file id",
            id,
            "is not a file id (a path step would leave /files)",
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "file id",
            format!("{id:?}"),
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn without_body(builder: http::request::Builder) -> Result<http::Request<Body>, Error> {
    builder.body(Body::empty()).map_err(invalid_request)
}

/// `GET /files` with the listing's query parameters.
pub fn build_list(
    provider: &dyn Provider,
    params: &ListParams,
) -> Result<http::Request<Body>, Error> {
    let mut url = files_url(provider, &[]);
    if !params.is_empty() {
        if !provider.features().list_parameters {
            return Err(ValidationError::new(
                "list parameters",
                format!("{params:?}"),
                format!(
                    "{} lists all files at once and takes no purpose, limit, order or after",
                    provider.name()
                ),
            )
            .into());
        }
        if let Some(limit) = params.limit
            && !(1..=MAX_LIST_LIMIT).contains(&limit)
        {
            return Err(ValidationError::new(
                "limit",
                limit.to_string(),
                "must be between 1 and 10000",
            )
            .with_limit(format!("1..={MAX_LIST_LIMIT}"))
            .into());
        }
        if let Some(after) = &params.after {
            check_file_id(after)?;
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(purpose) = &params.purpose {
            query.append_pair("purpose", purpose.as_str());
        }
        if let Some(limit) = params.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(order) = params.order {
            query.append_pair("order", order.as_str());
        }
        if let Some(after) = &params.after {
            query.append_pair("after", after);
        }
        url.push('?');
        url.push_str(&query.finish());
    }
    without_body(json_request_builder(provider, Method::GET, &url)?)
}

/// `GET /files/{id}`.
pub fn build_retrieve(provider: &dyn Provider, id: &str) -> Result<http::Request<Body>, Error> {
    check_file_id(id)?;
    without_body(json_request_builder(
        provider,
        Method::GET,
        &files_url(provider, &[id]),
    )?)
}

/// `DELETE /files/{id}`.
pub fn build_delete(provider: &dyn Provider, id: &str) -> Result<http::Request<Body>, Error> {
    check_file_id(id)?;
    without_body(json_request_builder(
        provider,
        Method::DELETE,
        &files_url(provider, &[id]),
    )?)
}

/// `GET /files/{id}/content`, asking for raw bytes or text as the provider serves them.
pub fn build_content(provider: &dyn Provider, id: &str) -> Result<http::Request<Body>, Error> {
    check_file_id(id)?;
    let mut builder = json_request_builder(
        provider,
        Method::GET,
        &files_url(provider, &[id, "content"]),
    )?;
    let accept = match provider.features().content {
        ContentKind::OriginalBytes => "application/binary",
        ContentKind::ExtractedText => "text/plain, */*",
    };
    if let Some(headers) = builder.headers_mut() {
        headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
    }
    without_body(builder)
}
