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

use crate::dialect::Dialect;
use crate::envelope::ApiError;
use files_core::extend::rules::ListLimitRule;

use crate::range::{self, RangeAnswer};
use crate::state::AppState;
use crate::store::{FileObject, StoredFile};

/// `GET {prefix}/files`.
pub(crate) fn list(state: &AppState, uri: &Uri) -> Result<Response, ApiError> {
    let dialect = state.config.dialect;
    if dialect == Dialect::StepFun {
        // StepFun documents no query parameters and returns everything, newest first.
        let files = state.store.sorted(false);
        let data = files.iter().map(|f| f.object(dialect)).collect();
        return Ok(Json(StepFunList {
            object: "list",
            data,
        })
        .into_response());
    }

    let limits = dialect
        .rules()
        .list_limit
        .ok_or_else(|| ApiError::internal(format!("the {dialect} rules have no list limits")))?;
    let query = ListQuery::parse(uri, limits)?;
    let all = state.store.sorted(query.ascending);
    let start = match &query.after {
        None => 0,
        Some(after) => {
            let index = all.iter().position(|f| &f.id == after).ok_or_else(|| {
                ApiError::bad_request(
                    Some("after"),
                    format!("Invalid 'after': no file with id '{after}' exists."),
                )
            })?;
            index + 1
        }
    };
    let mut matching = all[start..]
        .iter()
        .filter(|f| query.purpose.as_ref().is_none_or(|p| &f.purpose == p));
    let page: Vec<&StoredFile> = matching.by_ref().take(query.limit).collect();
    let has_more = matching.next().is_some();
    Ok(Json(OpenAiList {
        object: "list",
        data: page.iter().map(|f| f.object(dialect)).collect(),
        first_id: page.first().map(|f| f.id.as_str()),
        last_id: page.last().map(|f| f.id.as_str()),
        has_more,
    })
    .into_response())
}

/// OpenAI's list response.
#[derive(Debug, Serialize)]
struct OpenAiList<'a> {
    object: &'static str,
    data: Vec<FileObject<'a>>,
    first_id: Option<&'a str>,
    last_id: Option<&'a str>,
    has_more: bool,
}

/// StepFun's list response: no pagination fields.
#[derive(Debug, Serialize)]
struct StepFunList<'a> {
    object: &'static str,
    data: Vec<FileObject<'a>>,
}

/// The response to a delete.
#[derive(Debug, Serialize)]
struct Deleted {
    id: String,
    object: &'static str,
    deleted: bool,
}

/// OpenAI's list parameters, validated.
#[derive(Debug, PartialEq, Eq)]
struct ListQuery {
    purpose: Option<String>,
    limit: usize,
    ascending: bool,
    after: Option<String>,
}

impl ListQuery {
    /// The query of `uri`, its `limit` within `limits` (the dialect's, from the spec).
    fn parse(uri: &Uri, limits: ListLimitRule) -> Result<Self, ApiError> {
        let (min_limit, max_limit) = (limits.min as usize, limits.max as usize);
        let default_limit = limits.default as usize;
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|e| ApiError::bad_request(None, format!("Invalid query string: {e}")))?;
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let limit = match get("limit") {
            None => default_limit,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if (min_limit..=max_limit).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_request(
                        Some("limit"),
                        format!(
                            "Invalid 'limit': '{raw}'. Expected an integer between {min_limit} and {max_limit}."
                        ),
                    ));
                }
            },
        };
        let ascending = match get("order").as_deref() {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(other) => {
                return Err(ApiError::bad_request(
                    Some("order"),
                    format!("Invalid 'order': '{other}'. Expected 'asc' or 'desc'."),
                ));
            }
        };
        Ok(ListQuery {
            purpose: get("purpose"),
            limit,
            ascending,
            after: get("after"),
        })
    }
}

/// `GET {prefix}/files/{id}`.
pub(crate) fn retrieve(state: &AppState, id: &str) -> Result<Response, ApiError> {
    let file = state
        .store
        .get(id)
        .ok_or_else(|| ApiError::no_such_file(id))?;
    Ok(Json(file.object(state.config.dialect)).into_response())
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
    let content_type = match state.config.dialect {
        Dialect::OpenAi => "application/octet-stream",
        Dialect::StepFun => "text/plain; charset=utf-8",
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
        let limits = Dialect::OpenAi.rules().list_limit.unwrap();
        ListQuery::parse(&uri, limits).map_err(|e| e.param)
    }

    #[test]
    fn list_query_defaults_and_errors() {
        let q = parse("").unwrap_or_else(|_| panic!("empty query rejected"));
        assert_eq!((q.limit, q.ascending, q.after), (10_000, false, None));
        let q = parse("limit=2&order=asc&after=file-x&purpose=batch")
            .unwrap_or_else(|_| panic!("valid query rejected"));
        assert_eq!(q.limit, 2);
        assert!(q.ascending);
        assert_eq!(q.after.as_deref(), Some("file-x"));
        assert_eq!(q.purpose.as_deref(), Some("batch"));
        assert_eq!(parse("limit=0").err(), Some(Some("limit")));
        assert_eq!(parse("limit=10001").err(), Some(Some("limit")));
        assert_eq!(parse("limit=ten").err(), Some(Some("limit")));
        assert_eq!(parse("order=up").err(), Some(Some("order")));
    }
}
