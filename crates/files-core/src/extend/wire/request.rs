//! Pure builders for the list, retrieve, delete and content requests, and what every request
//! shares (URL, authentication, standard headers).

use http::{HeaderValue, Method, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::body::Body;
use crate::error::{Error, ValidationError};
use crate::list_params::{ListParams, MAX_LIST_LIMIT};
use crate::provider::{ContentKind, Provider};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("llm-files/", env!("CARGO_PKG_VERSION"));

/// Characters escaped in a file id used as a path segment: all but RFC 3986's unreserved
/// ones, so ids that carry `/`, `+`, `=` or `%` (as encoded ids of proxies do) stay one segment
/// and mean the same to every server.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The URL of `/files` followed by `segments`, each percent-encoded.
pub(crate) fn files_url(provider: &dyn Provider, segments: &[&str]) -> String {
    resource_url(provider, "/files", segments)
}

/// The URL of `root` (e.g. `/uploads`) followed by `segments`, each percent-encoded.
pub(crate) fn resource_url(provider: &dyn Provider, root: &str, segments: &[&str]) -> String {
    let mut path = String::from(root);
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
    check_id("file id", id)
}

/// Checks an id used as a path segment: not empty, not a path step, no control characters.
pub(crate) fn check_id(what: &str, id: &str) -> Result<(), ValidationError> {
    if id.trim().is_empty() {
        return Err(ValidationError::new(what, "\"\"", "must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(ValidationError::new(
            what,
            id,
            "is not an id (a path step would leave its collection)",
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(ValidationError::new(
            what,
            format!("{id:?}"),
            "must not contain control characters",
        ));
    }
    Ok(())
}

pub(crate) fn without_body(builder: http::request::Builder) -> Result<http::Request<Body>, Error> {
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
                params.given_names().join(", "),
                format!(
                    "{} lists all files at once and takes no purpose, limit, order or after",
                    provider.name()
                ),
            )
            .into());
        }
        if let Some(limit) = params.limit_value()
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
        if let Some(after) = params.after_value() {
            check_file_id(after)?;
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(purpose) = params.purpose_value() {
            query.append_pair("purpose", purpose.as_str());
        }
        if let Some(limit) = params.limit_value() {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(order) = params.order_value() {
            query.append_pair("order", order.as_str());
        }
        if let Some(after) = params.after_value() {
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

/// `GET /files/{id}/content` for the bytes from `offset` on: `Range: bytes=offset-`, and
/// `If-Range: validator` so a changed file comes back whole. A validator that is not a valid
/// header value is left out, and then no range is asked for either (a `206` could not be
/// trusted to continue the same file).
pub fn build_content_from(
    provider: &dyn Provider,
    id: &str,
    offset: u64,
    validator: Option<&str>,
) -> Result<http::Request<Body>, Error> {
    let mut request = build_content(provider, id)?;
    let if_range = match validator {
        None => None,
        Some(v) => match HeaderValue::from_str(v) {
            Ok(value) => Some(value),
            Err(_) => return Ok(request),
        },
    };
    let headers = request.headers_mut();
    // Digits and ASCII only: always a valid header value.
    if let Ok(range) = HeaderValue::from_str(&format!("bytes={offset}-")) {
        headers.insert(header::RANGE, range);
    }
    if let Some(value) = if_range {
        headers.insert(header::IF_RANGE, value);
    }
    Ok(request)
}
