//! Pure builders for the list, retrieve, delete and content requests, and what every request
//! shares (URL, authentication, standard headers).

use http::{HeaderValue, Method, header};
use percent_encoding::utf8_percent_encode;

use crate::body::Body;
use crate::dialect::{Dialect, ListStyle, PATH_SEGMENT, Paging};
use crate::error::{Error, ValidationError};
use crate::list_params::ListParams;
use crate::provider::{ContentKind, Provider};
use crate::rules::RuleKind;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("llm-files/", env!("CARGO_PKG_VERSION"));

/// The URL of `path` (already encoded) under the provider's base URL, with the dialect's
/// fixed query parameters and then `extra` (already encoded, without `?`).
pub(crate) fn url_of(
    provider: &dyn Provider,
    dialect: &Dialect,
    path: &str,
    extra: &str,
) -> String {
    let mut url = provider.base_url().join(path);
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &dialect.query {
        query.append_pair(name, value);
    }
    let mut query = query.finish();
    if !extra.is_empty() {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(extra);
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    url
}

/// The URL of `root` (e.g. `/uploads`) followed by `segments`, each percent-encoded.
pub(crate) fn resource_url(
    provider: &dyn Provider,
    dialect: &Dialect,
    root: &str,
    segments: &[&str],
) -> String {
    let mut path = String::from(root);
    for segment in segments {
        path.push('/');
        path.extend(utf8_percent_encode(segment, PATH_SEGMENT));
    }
    url_of(provider, dialect, &path, "")
}

/// A request builder with the URL, authentication, the dialect's fixed headers, `User-Agent`
/// and `Accept: application/json`.
pub(crate) fn json_request_builder(
    provider: &dyn Provider,
    dialect: &Dialect,
    method: Method,
    url: &str,
) -> Result<http::request::Builder, Error> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(url)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::ACCEPT, "application/json");
    if let Some(headers) = builder.headers_mut() {
        for (name, value) in &dialect.headers {
            let bad = |rule: &str| {
                ValidationError::new(
                    "provider header",
                    format!("{name}: {value:?}"),
                    rule.to_owned(),
                )
            };
            let name = header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| bad("is not a valid header name"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| bad("must be printable ASCII without line breaks"))?;
            headers.insert(name, value);
        }
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

/// `GET /files` with the listing's query parameters, named and checked as the provider's
/// dialect says.
pub fn build_list(
    provider: &dyn Provider,
    params: &ListParams,
) -> Result<http::Request<Body>, Error> {
    let dialect = provider.dialect();
    let query = list_query(provider.name(), &dialect.list, params)?;
    let url = url_of(provider, &dialect, &dialect.paths.files, &query);
    without_body(json_request_builder(provider, &dialect, Method::GET, &url)?)
}

/// The listing's query string (encoded, without `?`).
fn list_query(provider: &str, style: &ListStyle, params: &ListParams) -> Result<String, Error> {
    let refuse = |what: &str, value: String| -> Error {
        let takes = style.parameter_names();
        let rule = if takes.is_empty() {
            format!("{provider} lists all files at once and takes no parameter")
        } else {
            format!("{provider}'s listing takes only {}", takes.join(", "))
        };
        ValidationError::new(what, value, rule).into()
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(purpose) = params.purpose_value() {
        let name = style
            .purpose
            .as_deref()
            .ok_or_else(|| refuse("purpose", purpose.as_str().to_owned()))?;
        query.append_pair(name, purpose.as_str());
    }
    let page_size = match &style.paging {
        Paging::Pages { size, .. } => Some(size.as_str()),
        _ => None,
    };
    if let Some(limit) = params.limit_value() {
        match (&style.limit, page_size) {
            (Some(rule), _) => {
                if !(rule.min..=rule.max).contains(&limit) {
                    return Err(ValidationError::new(
                        "limit",
                        limit.to_string(),
                        format!(
                            "must be between {} and {} for {provider}",
                            rule.min, rule.max
                        ),
                    )
                    .with_limit(format!("{}..={}", rule.min, rule.max))
                    .into());
                }
                query.append_pair(&rule.name, &limit.to_string());
            }
            (None, Some(size)) => {
                query.append_pair(size, &limit.to_string());
            }
            (None, None) => return Err(refuse("limit", limit.to_string())),
        }
    }
    if let Some(order) = params.order_value() {
        let (name, values) = style
            .order
            .as_ref()
            .ok_or_else(|| refuse("order", order.as_str().to_owned()))?;
        if !values.iter().any(|v| v == order.as_str()) {
            return Err(ValidationError::new(
                "order",
                order.as_str(),
                format!("{provider} orders by {}", values.join(" or ")),
            )
            .into());
        }
        query.append_pair(name, order.as_str());
    }
    if let Some(after) = params.after_value() {
        let Paging::Cursor { param, .. } = &style.paging else {
            return Err(refuse("after", after.to_owned()));
        };
        check_file_id(after)?;
        query.append_pair(param, after);
    }
    if let Some(page) = params.page_value() {
        let Paging::Pages { page: name, .. } = &style.paging else {
            return Err(refuse("page", page.to_string()));
        };
        query.append_pair(name, &page.to_string());
    }
    Ok(query.finish())
}

/// The URL of the file `id`'s metadata.
fn file_url(provider: &dyn Provider, dialect: &Dialect, id: &str) -> Result<String, Error> {
    check_file_id(id)?;
    Ok(url_of(provider, dialect, &dialect.paths.file_path(id), ""))
}

/// `GET /files/{id}`.
pub fn build_retrieve(provider: &dyn Provider, id: &str) -> Result<http::Request<Body>, Error> {
    let dialect = provider.dialect();
    let url = file_url(provider, &dialect, id)?;
    without_body(json_request_builder(provider, &dialect, Method::GET, &url)?)
}

/// `DELETE /files/{id}`.
pub fn build_delete(provider: &dyn Provider, id: &str) -> Result<http::Request<Body>, Error> {
    let dialect = provider.dialect();
    let url = file_url(provider, &dialect, id)?;
    without_body(json_request_builder(
        provider,
        &dialect,
        Method::DELETE,
        &url,
    )?)
}

/// `GET /files/{id}/content`, asking for raw bytes or text as the provider serves them.
pub fn build_content(provider: &dyn Provider, id: &str) -> Result<http::Request<Body>, Error> {
    check_file_id(id)?;
    let dialect = provider.dialect();
    let Some(path) = dialect.paths.content_path(id) else {
        return Err(ValidationError::new(
            "content download",
            id,
            format!(
                "{} has no endpoint that returns a file's content",
                provider.name()
            ),
        )
        .with_kind(RuleKind::Unsupported)
        .into());
    };
    let url = url_of(provider, &dialect, &path, "");
    let mut builder = json_request_builder(provider, &dialect, Method::GET, &url)?;
    let accept = match provider.features().content {
        ContentKind::OriginalBytes => "application/binary",
        ContentKind::ExtractedText => "text/plain, */*",
        ContentKind::Unknown => "*/*",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::LimitParam;
    use crate::list_params::Order;

    fn pages(limit: Option<LimitParam>) -> ListStyle {
        let mut style = ListStyle::single_page();
        style.limit = limit;
        style.paging = Paging::Pages {
            page: "page".to_owned(),
            size: "page_size".to_owned(),
            first: 0,
            total: None,
        };
        style
    }

    #[test]
    fn numbered_pages_take_the_size_by_its_name_and_refuse_a_cursor() {
        let style = pages(None);
        let query = list_query("M", &style, &ListParams::new().limit(5).page(2)).unwrap();
        assert_eq!(
            query, "page_size=5&page=2",
            "a size with no documented range"
        );
        let err = list_query("M", &style, &ListParams::new().after("f-1")).unwrap_err();
        assert!(
            err.to_string()
                .contains("M's listing takes only page, page_size"),
            "{err}"
        );
        let ranged = pages(Some(LimitParam::new("page_size", 1, 100)));
        assert!(list_query("M", &ranged, &ListParams::new().limit(101)).is_err());
        assert_eq!(
            list_query("M", &ranged, &ListParams::new().limit(100)).unwrap(),
            "page_size=100"
        );
        assert_eq!(
            ranged.parameter_names(),
            ["page_size", "page"],
            "the size is named once"
        );
    }

    #[test]
    fn an_order_is_sent_only_in_a_value_the_provider_takes() {
        let mut style = ListStyle::openai();
        assert_eq!(
            list_query("O", &style, &ListParams::new().order(Order::Asc)).unwrap(),
            "order=asc"
        );
        style.order = Some(("order".to_owned(), vec!["created_at".to_owned()]));
        let err = list_query("Z", &style, &ListParams::new().order(Order::Asc)).unwrap_err();
        assert!(err.to_string().contains("Z orders by created_at"), "{err}");
        assert_eq!(
            ListStyle::openai().parameter_names(),
            ["purpose", "limit", "order", "after"]
        );
        let err =
            list_query("S", &ListStyle::single_page(), &ListParams::new().page(1)).unwrap_err();
        assert!(
            err.to_string().contains("S lists all files at once"),
            "{err}"
        );
    }
}
