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
use crate::record::{BodySeen, record_head};
use crate::state::AppState;
use crate::tls::TlsListener;
use crate::{create_file, files, ids, uploads_api};
use files_core::extend::dialect::Auth;

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
/// let config = EmulatorConfig::new(Dialect::openai()).with_api_key("sk-local");
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
    let index = state.log.push(record_head(
        parts.method.as_str(),
        &target,
        &parts.headers,
        state.config.dialect.wire().auth.header_name(),
    ));
    let mut body = SharedBody::new(body);
    let mut seen = BodySeen::default();
    let mut cut = None;

    let mut response = route(
        &state,
        &parts,
        body.clone(),
        &mut seen,
        connection,
        &mut cut,
    )
    .await;

    if let Some(connection) = cut {
        // The record is complete before the client can see the cut.
        state.log.complete(index, body.bytes_received(), seen);
        connection.cut();
        return response;
    }
    // Read whatever the handler left, so the client can finish sending and the count is whole.
    body.drain().await;
    state.log.complete(index, body.bytes_received(), seen);
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
    seen: &mut BodySeen,
    connection: Option<Connection>,
    cut: &mut Option<Connection>,
) -> Response {
    let dialect = &state.config.dialect;
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
        Some(FaultAction::LoseAnswer) => {
            // Whatever the request did is done (an upload stored) before the cut.
            let _done = handle(state, parts, rest, body, seen).await;
            *cut = connection;
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let response = handle(state, parts, rest, body, seen).await;
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

/// One route of the Files API, as the dialect's paths name it.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Files,
    File(&'a str),
    Content(&'a str),
    Uploads,
    UploadStep(&'a str, &'a str),
}

/// The route `rest` (the path below the prefix) is, in the dialect's paths.
fn route_of<'a>(dialect: &Dialect, rest: &'a str) -> Option<Route<'a>> {
    let paths = &dialect.wire().paths;
    if rest == paths.files {
        return Some(Route::Files);
    }
    if let Some(id) = match_id(&paths.file, rest) {
        return Some(Route::File(id));
    }
    if let Some(id) = paths.content.as_deref().and_then(|t| match_id(t, rest)) {
        return Some(Route::Content(id));
    }
    let uploads = paths.uploads.as_deref()?;
    if rest == uploads {
        return Some(Route::Uploads);
    }
    let tail = rest.strip_prefix(uploads)?.strip_prefix('/')?;
    match tail.split('/').collect::<Vec<_>>().as_slice() {
        [id, step] if !id.is_empty() => Some(Route::UploadStep(id, step)),
        _ => None,
    }
}

/// The id in `rest` where `template` (e.g. `/files/{id}/content`) has `{id}`: one
/// non-empty segment.
fn match_id<'a>(template: &str, rest: &'a str) -> Option<&'a str> {
    let (before, after) = template.split_once("{id}")?;
    let id = rest.strip_prefix(before)?.strip_suffix(after)?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Authenticates and routes a request (below the prefix: `rest`).
async fn handle(
    state: &AppState,
    parts: &Parts,
    rest: &str,
    body: SharedBody,
    seen: &mut BodySeen,
) -> Response {
    let dialect = &state.config.dialect;
    let (path, method) = (parts.uri.path(), parts.method.as_str());
    if let Err(e) = check_auth(state, parts).and_then(|()| check_query(state, parts)) {
        return e.into_response_for(dialect);
    }
    let uploads = dialect.rules().uploads.is_some();
    let result = match (&parts.method, route_of(dialect, rest)) {
        (&Method::POST, Some(Route::Files)) => {
            create_file::upload(state, &parts.headers, body, seen).await
        }
        (&Method::POST, Some(Route::Uploads)) if uploads => uploads_api::create(state, body).await,
        (&Method::POST, Some(Route::UploadStep(id, "parts"))) if uploads => {
            uploads_api::add_part(state, id, &parts.headers, body, &mut seen.file_part).await
        }
        (&Method::POST, Some(Route::UploadStep(id, "complete"))) if uploads => {
            uploads_api::complete(state, id, body).await
        }
        (&Method::POST, Some(Route::UploadStep(id, "cancel"))) if uploads => {
            uploads_api::cancel(state, id)
        }
        (&Method::GET, Some(Route::Files)) => files::list(state, &parts.uri),
        (&Method::GET, Some(Route::File(id))) => files::retrieve(state, id),
        (&Method::DELETE, Some(Route::File(id))) => files::delete(state, id).await,
        (&Method::GET, Some(Route::Content(id))) => files::content(state, id, &parts.headers).await,
        _ => Err(ApiError::invalid_url(method, path)),
    };
    result.unwrap_or_else(|e| e.into_response_for(dialect))
}

/// The part of `path` after `prefix`, if `path` lies under it (`""` for the prefix itself).
fn strip_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Checks the key where the dialect wants it: `Authorization: Bearer <api_key>`, or the
/// key alone in a header of its own (`api-key`). A key sent the other way is refused as
/// the provider refuses it, saying where it goes.
fn check_auth(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    let dialect = &state.config.dialect;
    let hint = if dialect.is_openai() {
        " You can find your API key at https://platform.openai.com/account/api-keys."
    } else {
        ""
    };
    let site = state.config.site.as_deref().or(dialect
        .spec()
        .file
        .site
        .first()
        .map(|s| s.name.as_str()));
    let bearer_too = site.is_some_and(|site| {
        dialect
            .spec()
            .file
            .auth
            .bearer_too
            .iter()
            .any(|s| s == site)
    });
    // A site that takes Bearer too (Azure's v1) checks the header when it is sent, else the
    // Authorization header below.
    if let Auth::Header(name) = &dialect.wire().auth
        && (!bearer_too || parts.headers.contains_key(name.as_str()))
    {
        let given = parts
            .headers
            .get(name.as_str())
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
        return match given {
            Some(key) if key == state.config.api_key => Ok(()),
            Some(_) => Err(ApiError::unauthorized(format!(
                "Access denied due to an invalid key: check the key sent in the '{name}' header."
            ))),
            None if parts.headers.contains_key(AUTHORIZATION) => {
                Err(ApiError::unauthorized(format!(
                    "Access denied: {} takes the key in the '{name}' header, not in Authorization.",
                    dialect.spec().name()
                )))
            }
            None => Err(ApiError::unauthorized(format!(
                "Access denied due to a missing key: send it in the '{name}' header."
            ))),
        };
    }
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

/// Checks the query parameters the site requires on every request (Azure's dated API:
/// `api-version`): present, and equal to a fixed value the spec gives.
fn check_query(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    let Some(site) = state.config.site_spec() else {
        return Ok(());
    };
    if site.query.is_empty() {
        return Ok(());
    }
    let pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    for (name, want) in &site.query {
        match pairs.iter().find(|(k, _)| k == name) {
            None => {
                return Err(ApiError::bad_request(
                    None,
                    format!(
                        "Missing required query parameter '{name}': {} ({} site) takes it on \
                         every request.",
                        state.config.dialect.spec().name(),
                        site.name
                    ),
                ));
            }
            Some((_, value))
                if want != files_spec::API_VERSION && value != want || value.trim().is_empty() =>
            {
                return Err(ApiError::bad_request(
                    None,
                    format!("Invalid value for query parameter '{name}': '{value}'."),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
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
    fn routes_follow_the_dialect_s_paths() {
        let openai = Dialect::openai();
        assert_eq!(route_of(&openai, "/files"), Some(Route::Files));
        assert_eq!(route_of(&openai, "/files/f-1"), Some(Route::File("f-1")));
        assert_eq!(
            route_of(&openai, "/files/f-1/content"),
            Some(Route::Content("f-1"))
        );
        assert_eq!(route_of(&openai, "/files/"), None);
        assert_eq!(route_of(&openai, "/files/a/b/content"), None);
        assert_eq!(
            route_of(&openai, "/uploads/u-1/parts"),
            Some(Route::UploadStep("u-1", "parts"))
        );
        assert_eq!(
            route_of(&Dialect::stepfun(), "/uploads"),
            None,
            "StepFun has no Uploads API"
        );
    }

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
