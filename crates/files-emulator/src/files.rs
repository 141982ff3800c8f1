//! The read and delete routes: list, retrieve, delete and content.

use axum::Json;
use axum::body::Body;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use std::time::UNIX_EPOCH;

use http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_RANGE, LAST_MODIFIED,
    RANGE,
};
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use serde::Serialize;

#[cfg(test)]
use crate::dialect::Dialect;
use crate::envelope::ApiError;
use files_core::extend::dialect::{ListStyle, Paging};
use files_core::extend::provider::ContentKind;
use files_core::extend::rules::ListLimitRule;

use crate::range::{self, RangeAnswer};
use crate::state::AppState;
use crate::store::StoredFile;

/// `GET {prefix}/files`, in the dialect's list style: its parameter names and ranges, and
/// a cursor, numbered pages, or one page of everything.
pub(crate) fn list(state: &AppState, uri: &Uri) -> Result<Response, ApiError> {
    let dialect = &state.config.dialect;
    let style = &dialect.wire().list;
    let query = ListQuery::parse(uri, style, dialect.rules().list_limit)?;
    let all = state.store.sorted(query.ascending);
    let matching: Vec<&StoredFile> = all
        .iter()
        .filter(|f| query.purpose.as_ref().is_none_or(|p| &f.purpose == p))
        .collect();
    let mut answer = serde_json::Map::new();
    answer.insert("object".to_owned(), "list".into());
    let object = |f: &StoredFile| serde_json::to_value(f.object(dialect)).unwrap_or_default();
    match &style.paging {
        Paging::Cursor {
            has_more, last_id, ..
        } => {
            let start = match &query.after {
                None => 0,
                Some(after) => {
                    let index = matching
                        .iter()
                        .position(|f| &f.id == after)
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                Some("after"),
                                format!("Invalid 'after': no file with id '{after}' exists."),
                            )
                        })?;
                    index + 1
                }
            };
            let rest = &matching[start..];
            let limit = query.limit.unwrap_or(rest.len()).min(rest.len());
            let page = &rest[..limit];
            answer.insert("data".to_owned(), page.iter().map(|f| object(f)).collect());
            if let Some(last_id) = last_id {
                let id = |f: Option<&&StoredFile>| {
                    f.map_or(serde_json::Value::Null, |f| f.id.clone().into())
                };
                answer.insert("first_id".to_owned(), id(page.first()));
                answer.insert(last_id.clone(), id(page.last()));
            }
            answer.insert(has_more.clone(), (rest.len() > limit).into());
        }
        Paging::Pages { first, total, .. } => {
            let size = query.limit.unwrap_or(matching.len().max(1));
            let number = query.page.unwrap_or(*first);
            let index = usize::try_from(number.saturating_sub(*first)).unwrap_or(usize::MAX);
            let start = index.saturating_mul(size).min(matching.len());
            let end = start.saturating_add(size).min(matching.len());
            answer.insert(
                "data".to_owned(),
                matching[start..end].iter().map(|f| object(f)).collect(),
            );
            if let Some(total) = total {
                answer.insert(total.clone(), matching.len().into());
            }
        }
        // One page of everything (a limit, where the dialect takes one, still applies).
        _ => {
            let page = match query.limit {
                Some(limit) => &matching[..limit.min(matching.len())],
                None => &matching[..],
            };
            answer.insert("data".to_owned(), page.iter().map(|f| object(f)).collect());
        }
    }
    Ok(Json(serde_json::Value::Object(answer)).into_response())
}

/// The response to a delete.
#[derive(Debug, Serialize)]
struct Deleted {
    id: String,
    object: &'static str,
    deleted: bool,
}

/// A listing's parameters, validated as the dialect names them.
#[derive(Debug, PartialEq, Eq)]
struct ListQuery {
    purpose: Option<String>,
    limit: Option<usize>,
    ascending: bool,
    after: Option<String>,
    page: Option<u64>,
}

impl ListQuery {
    /// The query of `uri` as `style` names its parameters, the page size within `limits`
    /// (the dialect's, from the spec); a parameter the dialect does not take is ignored, as
    /// servers do.
    fn parse(
        uri: &Uri,
        style: &ListStyle,
        limits: Option<ListLimitRule>,
    ) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|e| ApiError::bad_request(None, format!("Invalid query string: {e}")))?;
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let (size_name, page_name) = match &style.paging {
            Paging::Pages { page, size, .. } => (Some(size.as_str()), Some(page.as_str())),
            _ => (None, None),
        };
        let limit_name = style.limit.as_ref().map(|l| l.name.as_str()).or(size_name);
        let limit = match limit_name.and_then(get) {
            None => limits.map(|l| l.default as usize),
            Some(raw) => {
                let (min, max) =
                    limits.map_or((1, usize::MAX), |l| (l.min as usize, l.max as usize));
                match raw.trim().parse::<usize>() {
                    Ok(n) if (min..=max).contains(&n) => Some(n),
                    _ => {
                        let name = limit_name.unwrap_or("limit");
                        return Err(ApiError::bad_request(
                            Some("limit"),
                            format!(
                                "Invalid '{name}': '{raw}'. Expected an integer between {min} and {max}."
                            ),
                        ));
                    }
                }
            }
        };
        let ascending = match &style.order {
            None => false,
            Some((name, values)) => match get(name) {
                None => false,
                Some(v) if v == "asc" => true,
                Some(v) if values.contains(&v) => false,
                Some(other) => {
                    return Err(ApiError::bad_request(
                        Some("order"),
                        format!(
                            "Invalid '{name}': '{other}'. Expected {}.",
                            values
                                .iter()
                                .map(|v| format!("'{v}'"))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    ));
                }
            },
        };
        let after = match &style.paging {
            Paging::Cursor { param, .. } => get(param),
            _ => None,
        };
        let page = match page_name.and_then(get) {
            None => None,
            Some(raw) => Some(raw.trim().parse::<u64>().map_err(|_| {
                ApiError::bad_request(
                    Some("page"),
                    format!("Invalid 'page': '{raw}'. Expected a whole number."),
                )
            })?),
        };
        Ok(ListQuery {
            purpose: style.purpose.as_deref().and_then(get),
            limit,
            ascending,
            after,
            page,
        })
    }
}

/// `GET {prefix}/files/{id}`.
pub(crate) fn retrieve(state: &AppState, id: &str) -> Result<Response, ApiError> {
    let file = state
        .store
        .get(id)
        .ok_or_else(|| ApiError::no_such_file(id))?;
    Ok(Json(file.object(&state.config.dialect)).into_response())
}

/// `DELETE {prefix}/files/{id}`.
pub(crate) async fn delete(state: &AppState, id: &str) -> Result<Response, ApiError> {
    let file = state
        .store
        .remove(id)
        .ok_or_else(|| ApiError::no_such_file(id))?;
    // The metadata is gone already; a leftover byte file only wastes temp space.
    let _ = tokio::fs::remove_file(state.store.path_of(&file.id)).await;
    Ok(Json(Deleted {
        id: file.id,
        object: "file",
        deleted: true,
    })
    .into_response())
}

/// `GET {prefix}/files/{id}/content`, streamed from disk; a single `Range` is served as
/// `206` (or `416` past the end) unless the emulator was configured without ranges.
pub(crate) async fn content(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let file = state
        .store
        .get(id)
        .ok_or_else(|| ApiError::no_such_file(id))?;
    let opened = match tokio::fs::File::open(state.store.path_of(&file.id)).await {
        Ok(opened) => opened,
        // Deleted between the lookup and the open.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::no_such_file(id));
        }
        Err(e) => return Err(ApiError::internal(format!("Could not read the file: {e}"))),
    };
    let length = opened
        .metadata()
        .await
        .map_err(|e| ApiError::internal(format!("Could not read the file: {e}")))?
        .len();
    let content_type = match state.config.dialect.spec().features.content {
        ContentKind::ExtractedText => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    let etag = format!("\"{}-{length}\"", file.id);
    let last_modified =
        httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(file.created_at));
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let answer = if state.config.ranges {
        range::answer(text(RANGE), text(IF_RANGE), length, &etag, &last_modified)
    } else {
        RangeAnswer::Full
    };
    let (status, start, count) = match answer {
        RangeAnswer::Full => (StatusCode::OK, 0, length),
        RangeAnswer::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeAnswer::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            response
                .headers_mut()
                .insert(CONTENT_RANGE, header_value(&format!("bytes */{length}")));
            return Ok(response);
        }
    };
    let opened = opened.into_std().await;
    let body = Body::from_stream(crate::disk::read_stream(opened, start, count));
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(CONTENT_LENGTH, HeaderValue::from(count));
    if state.config.ranges {
        out.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        out.insert(ETAG, header_value(&etag));
        out.insert(LAST_MODIFIED, header_value(&last_modified));
    }
    if status == StatusCode::PARTIAL_CONTENT {
        let last = start + count - 1;
        out.insert(
            CONTENT_RANGE,
            header_value(&format!("bytes {start}-{last}/{length}")),
        );
    }
    Ok(response)
}

/// A header value from text the emulator made (ASCII, no control characters).
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<ListQuery, Option<&'static str>> {
        let uri: Uri = format!("/v1/files?{query}").parse().map_err(|_| None)?;
        let dialect = Dialect::openai();
        ListQuery::parse(&uri, &dialect.wire().list, dialect.rules().list_limit)
            .map_err(|e| e.param)
    }

    #[test]
    fn list_query_defaults_and_errors() {
        let q = parse("").unwrap_or_else(|_| panic!("empty query rejected"));
        assert_eq!((q.limit, q.ascending, q.after), (Some(10_000), false, None));
        let q = parse("limit=2&order=asc&after=file-x&purpose=batch")
            .unwrap_or_else(|_| panic!("valid query rejected"));
        assert_eq!(q.limit, Some(2));
        assert!(q.ascending);
        assert_eq!(q.after.as_deref(), Some("file-x"));
        assert_eq!(q.purpose.as_deref(), Some("batch"));
        assert_eq!(parse("limit=0").err(), Some(Some("limit")));
        assert_eq!(parse("limit=10001").err(), Some(Some("limit")));
        assert_eq!(parse("limit=ten").err(), Some(Some("limit")));
        assert_eq!(parse("order=up").err(), Some(Some("order")));
    }
}
