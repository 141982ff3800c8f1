//! The HTTP front door: recording, faults, auth, routing, and the [`serve`] entry point.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, stream};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method, StatusCode};

use crate::body::SharedBody;
use crate::config::EmulatorConfig;
use crate::conn::{Connection, CuttableListener};
use crate::dialect::Dialect;
use crate::envelope::ApiError;
use crate::fault::{FaultAction, MAX_STALL};
use crate::record::{FilePart, record_head};
use crate::state::AppState;
use crate::tls::TlsListener;
use crate::{create_file, files, ids, uploads_api};

/// How long a response cut waits after its last byte, so the server writes it out first.
const CUT_FLUSH: std::time::Duration = std::time::Duration::from_millis(20);

/// Serves the emulated Files API on `listener` until `shutdown` resolves.
///
/// This is what `files serve` runs. Uploaded files live in a fresh temporary directory that
/// is removed when this returns. After `shutdown` resolves, new connections are refused and
/// the call returns once in-flight requests finish.
///
/// ```no_run
/// use files_emulator::{Dialect, EmulatorConfig, serve};
///
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let config = EmulatorConfig::new(Dialect::OpenAi).with_api_key("sk-local");
/// serve(listener, config, async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await
/// # }
/// ```
///
/// # Errors
///
/// Fails if the temporary storage directory cannot be created or the server fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let storage = crate::emulator::storage_dir()?;
    let state = Arc::new(AppState::new(config, storage.path().to_owned()));
    let result = run(listener, state, shutdown).await;
    drop(storage);
    result
}

/// Runs the server for `state` until `shutdown` resolves (storage is the caller's business).
pub(crate) async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .fallback(dispatch)
        .with_state(Arc::clone(&state))
        .into_make_service_with_connect_info::<Connection>();
    let tls = match &state.config.tls {
        Some(identity) => Some(identity.server_config().map_err(std::io::Error::other)?),
        None => None,
    };
    let shutdown = async move {
        shutdown.await;
        state.stop();
    };
    match tls {
        None => {
            axum::serve(CuttableListener(listener), app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        Some(config) => {
            axum::serve(TlsListener::new(listener, config), app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}

/// Handles every request: records it, answers it, completes the record, tags the response.
async fn dispatch(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let connection = request
        .extensions()
        .get::<ConnectInfo<Connection>>()
        .map(|info| info.0.clone());
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let index = state
        .log
        .push(record_head(parts.method.as_str(), &target, &parts.headers));
    let mut body = SharedBody::new(body);
    let mut file_part = None;
    let mut cut = None;

    let mut response = route(
        &state,
        &parts,
        body.clone(),
        &mut file_part,
        connection,
        &mut cut,
    )
    .await;

    if let Some(connection) = cut {
        // The record is complete before the client can see the cut.
        state.log.complete(index, body.bytes_received(), file_part);
        connection.cut();
        return response;
    }
    // Read whatever the handler left, so the client can finish sending and the count is whole.
    body.drain().await;
    state.log.complete(index, body.bytes_received(), file_part);
    let request_id = HeaderName::from_static("x-request-id");
    if !response.headers().contains_key(&request_id)
        && let Ok(value) = HeaderValue::from_str(&ids::request_id())
    {
        response.headers_mut().insert(request_id, value);
    }
    response
}

/// Picks the answer: what a queued fault says, an auth error, a route, or "Invalid URL". A
/// fault that cuts the connection mid-request leaves it in `cut`, for the caller to cut once
/// the request is recorded.
async fn route(
    state: &AppState,
    parts: &Parts,
    mut body: SharedBody,
    file_part: &mut Option<FilePart>,
    connection: Option<Connection>,
    cut: &mut Option<Connection>,
) -> Response {
    let dialect = state.config.dialect;
    let path = parts.uri.path();
    let method = parts.method.as_str();
    let Some(rest) = strip_prefix(path, &state.prefix) else {
        return ApiError::invalid_url(method, path).into_response_for(dialect);
    };
    let mut truncate = None;
    match state.take_fault(method, rest) {
        None => {}
        Some(FaultAction::Respond {
            status,
            content_type,
            body,
            headers,
        }) => return fault_response(status, &content_type, body, headers),
        Some(FaultAction::Delay(delay)) => {
            // Cut short when the emulator stops, so a test's teardown does not wait it out.
            let _ = tokio::time::timeout(delay, state.stopped()).await;
        }
        Some(FaultAction::CutAfterRequestBytes(bytes)) => {
            while body.bytes_received() < bytes {
                match body.next().await {
                    Some(Ok(_)) => {}
                    _ => break,
                }
            }
            *cut = connection;
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Some(FaultAction::StallAfterResponseBytes(bytes)) => truncate = Some((bytes, true)),
        Some(FaultAction::CutAfterResponseBytes(bytes)) => truncate = Some((bytes, false)),
    }
    let response = handle(state, parts, rest, body, file_part).await;
    match truncate {
        Some((bytes, true)) => {
            let stopped = state.stopped();
            cut_short(response, bytes, async move {
                let _ = tokio::time::timeout(MAX_STALL, stopped).await;
            })
        }
        // A moment of silence first, so the server flushes the bytes before the cut.
        Some((bytes, false)) => cut_short(response, bytes, tokio::time::sleep(CUT_FLUSH)),
        None => response,
    }
}

/// Authenticates and routes a request (below the prefix: `rest`).
async fn handle(
    state: &AppState,
    parts: &Parts,
    rest: &str,
    body: SharedBody,
    file_part: &mut Option<FilePart>,
) -> Response {
    let dialect = state.config.dialect;
    let (path, method) = (parts.uri.path(), parts.method.as_str());
    if let Err(e) = check_auth(state, parts) {
        return e.into_response_for(dialect);
    }
    let segments: Vec<&str> = rest.strip_prefix('/').unwrap_or(rest).split('/').collect();
    let result = match (&parts.method, segments.as_slice()) {
        (&Method::POST, ["files"]) => {
            create_file::upload(state, &parts.headers, body, file_part).await
        }
        (&Method::POST, ["uploads"]) if state.config.dialect.rules().uploads.is_some() => {
            uploads_api::create(state, body).await
        }
        (&Method::POST, ["uploads", id, "parts"])
            if state.config.dialect.rules().uploads.is_some() =>
        {
            uploads_api::add_part(state, id, &parts.headers, body, file_part).await
        }
        (&Method::POST, ["uploads", id, "complete"])
            if state.config.dialect.rules().uploads.is_some() =>
        {
            uploads_api::complete(state, id, body).await
        }
        (&Method::POST, ["uploads", id, "cancel"])
            if state.config.dialect.rules().uploads.is_some() =>
        {
            uploads_api::cancel(state, id)
        }
        (&Method::GET, ["files"]) => files::list(state, &parts.uri),
        (&Method::GET, ["files", id]) if !id.is_empty() => files::retrieve(state, id),
        (&Method::DELETE, ["files", id]) if !id.is_empty() => files::delete(state, id).await,
        (&Method::GET, ["files", id, "content"]) if !id.is_empty() => {
            files::content(state, id, &parts.headers).await
        }
        _ => Err(ApiError::invalid_url(method, path)),
    };
    result.unwrap_or_else(|e| e.into_response_for(dialect))
}

/// The part of `path` after `prefix`, if `path` lies under it (`""` for the prefix itself).
fn strip_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Checks `Authorization: Bearer <api_key>`.
fn check_auth(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    let hint = match state.config.dialect {
        Dialect::OpenAi => {
            " You can find your API key at https://platform.openai.com/account/api-keys."
        }
        Dialect::StepFun => "",
    };
    let missing = || {
        ApiError::unauthorized(format!(
            "You didn't provide an API key. You need to provide your API key in an \
             Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).{hint}"
        ))
    };
    let incorrect = || ApiError::unauthorized(format!("Incorrect API key provided.{hint}"));

    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Err(missing());
    };
    let value = String::from_utf8_lossy(header.as_bytes());
    let value = value.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            if token.trim() == state.config.api_key {
                Ok(())
            } else {
                Err(incorrect())
            }
        }
        _ => Err(incorrect()),
    }
}

/// The response a fault describes.
fn fault_response(
    status: u16,
    content_type: &str,
    body: String,
    extra_headers: Vec<(String, String)>,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    for (name, value) in extra_headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

/// `response` with only the first `bytes` of its body sent (its headers still announce the
/// whole length), then nothing until `then` resolves, then the connection closed: at once for
/// a cut, when the emulator stops or [`MAX_STALL`] has passed for a stall.
fn cut_short(
    response: Response,
    bytes: u64,
    then: impl Future<Output = ()> + Send + 'static,
) -> Response {
    let (mut parts, body) = response.into_parts();
    // Keep announcing the whole length, so the client waits for the rest.
    if let Some(len) = http_body::Body::size_hint(&body).exact() {
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let head = stream::unfold(
        (body.into_data_stream(), bytes),
        |(mut chunks, left)| async move {
            if left == 0 {
                return None;
            }
            let chunk = chunks.next().await?.ok()?;
            let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            Some((Ok(chunk.slice(..take)), (chunks, left - take as u64)))
        },
    );
    let silence = stream::once(async move {
        then.await;
        Err(axum::Error::new(std::io::Error::other(
            "the fault cut the response",
        )))
    });
    Response::from_parts(parts, Body::from_stream(head.chain(silence)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_whole_segments() {
        assert_eq!(strip_prefix("/v1/files", "/v1"), Some("/files"));
        assert_eq!(strip_prefix("/v1", "/v1"), Some(""));
        assert_eq!(strip_prefix("/v10/files", "/v1"), None);
        assert_eq!(
            strip_prefix("/v1/openai/v1/files/x", "/v1/openai/v1"),
            Some("/files/x")
        );
        assert_eq!(strip_prefix("/files", ""), Some("/files"));
    }
}
