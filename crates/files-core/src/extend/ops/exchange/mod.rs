//! [`Exchange`]: one request, retried under the rules of [`super::retry`], its answer decoded.
//!
//! ```text
//!   Ready ──poll──▶ Sent ──handle(success)──▶ Answered ──poll──▶ Finished (Done(Ok))
//!     ▲               │
//!     │               └──handle(failure)──▶ Failed ──poll: retry──▶ Ready (Sleep first)
//!     │                                        │
//!     └────────────────────────────────────────┘ poll: stop ──▶ Finished (Done(Err))
//! ```

use std::sync::Arc;

use bytes::Bytes;
use http::response::Parts;
use http::{HeaderMap, Method, Uri, Version};

use super::PartShare;
use super::redact::Secrets;
use super::retry::{self, Verdict};
use super::{Attempt, Event, News, Next, Notice, Now, Operation, Outbox, Pause, PauseCause};
use crate::body::Body;
use crate::content_info::ContentInfo;
use crate::dialect::Dialect;
use crate::error::{Error, TransportError, TransportErrorKind, ValidationError};
use crate::extras::refuse_reserved;
use crate::file_objects::{DeletedFile, FileList, FileObject};
use crate::list_params::ListParams;
use crate::observer::{Observer, RetryNotice};
use crate::options::{RequestOptions, Timeouts};
use crate::provider::Provider;
use crate::wire::{self, api_error, finish_json};

/// How a success is turned into the output.
enum Decode<O> {
    /// The body is read and decoded, as the provider's dialect says.
    Buffered(fn(&Dialect, &Parts, &[u8]) -> Result<O, Error>),
    /// The body goes to the caller unread; the output comes from the head.
    Streamed(fn(&Parts) -> O),
}

/// A request that can be built again for every attempt.
struct Prepared {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    body: Body,
}

impl Prepared {
    /// The request with the caller's extra headers and query parameters added; an extra that
    /// would replace what the client sends itself (the key's header, the provider's fixed
    /// headers and query parameters, the listing's parameters, one already in the query) is
    /// refused.
    fn new(
        request: http::Request<Body>,
        options: &RequestOptions,
        dialect: &Dialect,
    ) -> Result<Self, Error> {
        let (mut parts, body) = request.into_parts();
        let mut own_headers: Vec<&str> = vec![dialect.auth.header_name()];
        own_headers.extend(dialect.headers.iter().map(|(name, _)| name.as_str()));
        for (name, value) in options.headers() {
            refuse_reserved("header", name.as_str(), &own_headers, "every request")?;
            parts.headers.insert(name.clone(), value.clone());
        }
        if !options.extra_query().is_empty() {
            parts.uri = with_extra_query(&parts.uri, options.extra_query(), dialect)?;
        }
        Ok(Prepared {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
            body,
        })
    }

    fn request(&self) -> http::Request<Body> {
        let mut request = http::Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.version_mut() = self.version;
        *request.headers_mut() = self.headers.clone();
        request
    }
}

enum State<O> {
    /// The next attempt is to be sent.
    Ready,
    /// An attempt is out.
    Sent,
    /// The last attempt failed; the next poll decides whether to retry.
    Failed(Error),
    /// The answer is in.
    Answered(Result<O, Error>),
    /// The output was handed out.
    Finished,
}

/// One request with its retries: the machine every operation is built on. Its output is
/// the decoded answer (or, for [`Exchange::content`], the head of a body left to stream).
pub struct Exchange<O> {
    name: &'static str,
    dialect: Arc<Dialect>,
    prepared: Option<Prepared>,
    decode: Decode<O>,
    max_retries: u32,
    timeouts: Timeouts,
    observer: Option<Arc<dyn Observer>>,
    part: Option<PartShare>,
    outbox: Outbox,
    attempts: u32,
    last_request_id: Option<String>,
    state: State<O>,
}

impl<O> std::fmt::Debug for Exchange<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("name", &self.name)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl<O: Send> Exchange<O> {
    fn new(
        name: &'static str,
        dialect: Arc<Dialect>,
        request: Result<http::Request<Body>, Error>,
        decode: Decode<O>,
        options: &RequestOptions,
    ) -> Self {
        let prepared = request.and_then(|request| Prepared::new(request, options, &dialect));
        let (prepared, state) = match prepared {
            Ok(prepared) => (Some(prepared), State::Ready),
            Err(e) => (None, State::Answered(Err(e))),
        };
        Exchange {
            name,
            dialect,
            prepared,
            decode,
            max_retries: options.max_retries_value(),
            timeouts: options.timeouts(),
            observer: options.observer_value().cloned(),
            part: None,
            outbox: Outbox::new(options.observer_value()),
            attempts: 0,
            last_request_id: None,
            state,
        }
    }

    /// A request whose JSON answer is decoded by `decode`, in the provider's `dialect`
    /// (which also sorts its errors and finds its request id); a builder's error ends the
    /// operation at its first poll, before anything is sent.
    pub fn json(
        name: &'static str,
        dialect: Arc<Dialect>,
        request: Result<http::Request<Body>, Error>,
        decode: fn(&Dialect, &Parts, &[u8]) -> Result<O, Error>,
        options: &RequestOptions,
    ) -> Self {
        Exchange::new(name, dialect, request, Decode::Buffered(decode), options)
    }

    /// Marks every attempt's payload as `share` of a whole file (a part of an upload in
    /// parts), so the pump reports the file's count.
    pub(crate) fn with_part(mut self, share: PartShare) -> Self {
        self.part = Some(share);
        self
    }

    /// How many attempts have been sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    fn max_attempts(&self) -> u32 {
        self.max_retries.saturating_add(1)
    }

    fn send(&mut self) -> Next<O> {
        let Some(prepared) = &self.prepared else {
            return self.finish(Err(polled_when_finished()));
        };
        self.attempts += 1;
        self.state = State::Sent;
        Next::Send(Box::new(Attempt {
            request: prepared.request(),
            number: self.attempts,
            max_attempts: self.max_attempts(),
            timeouts: self.timeouts,
            observer: self.observer.clone(),
            part: self.part.clone(),
            stream_success: matches!(self.decode, Decode::Streamed(_)),
        }))
    }

    fn finish(&mut self, result: Result<O, Error>) -> Next<O> {
        self.state = State::Finished;
        Next::Done(result)
    }

    /// Decides about the failed attempt: a pause before the next, or the final error with
    /// the attempt count, the last request id, and why it stopped.
    fn judge(&mut self, mut error: Error, random: u128) -> Next<O> {
        let replayable = self
            .prepared
            .as_ref()
            .is_some_and(|p| p.body.is_replayable());
        let retries = self.attempts.saturating_sub(1);
        match retry::judge(&error, retries, self.max_retries, replayable, random) {
            Verdict::Retry { wait } => {
                self.state = State::Ready;
                let holds_client = retry::holds_client(&error);
                let notice = RetryNotice {
                    operation: self.name,
                    attempt: self.attempts + 1,
                    max_attempts: self.max_attempts(),
                    wait,
                    reason: retry::reason(&error),
                };
                self.outbox.push(News::Retrying(notice.clone()));
                Next::Sleep(Pause {
                    duration: wait,
                    cause: PauseCause::Retry(notice),
                    holds_client,
                })
            }
            Verdict::Stop { note } => {
                match &mut error {
                    Error::Api(e) => {
                        e.attempts = self.attempts;
                        e.not_retried = note;
                        e.request_id = e.request_id.take().or(self.last_request_id.take());
                    }
                    Error::Transport(e) => {
                        e.attempts = self.attempts;
                        e.not_retried = note;
                        e.request_id = e.request_id.take().or(self.last_request_id.take());
                    }
                    _ => {}
                }
                self.finish(Err(error))
            }
        }
    }
}

impl<O: Send> Operation for Exchange<O> {
    type Output = O;

    fn name(&self) -> &'static str {
        self.name
    }

    fn poll(&mut self, _now: Now, random: u128) -> Next<O> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Ready => self.send(),
            State::Failed(error) => self.judge(error, random),
            State::Answered(result) => self.finish(result),
            State::Sent => {
                self.state = State::Sent;
                self.finish(Err(out_of_order("polled while an attempt was out")))
            }
            State::Finished => self.finish(Err(polled_when_finished())),
        }
    }

    fn handle(&mut self, event: Event, now: Now) {
        match self.state {
            State::Sent => {}
            State::Finished => return,
            _ => {
                let error = out_of_order("fed an event no request was waiting for");
                self.state = State::Answered(Err(error));
                return;
            }
        }
        self.state = match event {
            Event::Response { head, body } => self.answer(&head, &body, now),
            Event::Streaming { head } => match &self.decode {
                Decode::Streamed(decode) if head.status.is_success() => {
                    State::Answered(Ok(decode(&head)))
                }
                _ => State::Answered(Err(out_of_order(
                    "streamed a body that should have been read",
                ))),
            },
            Event::Failed(error) => State::Failed(error),
            Event::Inspected(_) | Event::Read(_) => {
                State::Answered(Err(out_of_order("read a file during an exchange")))
            }
            Event::Cut { .. } => State::Answered(Err(out_of_order(
                "cut a body during an exchange that keeps none",
            ))),
            Event::Finished { .. } => State::Answered(Err(out_of_order(
                "finished a started attempt during an exchange that sends its own",
            ))),
        };
    }

    fn poll_notice(&mut self) -> Option<Notice> {
        self.outbox.pop()
    }
}

impl<O: Send> Exchange<O> {
    fn answer(&mut self, head: &Parts, body: &Bytes, now: Now) -> State<O> {
        if let Some(id) = self.dialect.request_id(&head.headers) {
            self.last_request_id = Some(id);
        }
        // A server may quote the key it refused: errors are made from the body with every
        // credential of the request taken out, before anything is cut short.
        let scrubbed = self
            .prepared
            .as_ref()
            .and_then(|p| Secrets::of(&p.headers).scrub(body));
        let shown = scrubbed.as_ref().unwrap_or(body);
        if !head.status.is_success() {
            let mut error = api_error(&self.dialect, head, shown, now.wall);
            if head.status == http::StatusCode::NOT_FOUND {
                error.missing_api = self
                    .prepared
                    .as_ref()
                    .and_then(|p| api_of(&p.uri, &self.dialect));
            }
            return State::Failed(error.into());
        }
        match &self.decode {
            Decode::Buffered(decode) => State::Answered(match decode(&self.dialect, head, body) {
                Err(Error::Decode(mut e)) if scrubbed.is_some() => {
                    e.snippet = wire::snippet(shown);
                    Err(Error::Decode(e))
                }
                other => other,
            }),
            Decode::Streamed(_) => State::Answered(Err(out_of_order(
                "read a download's body instead of streaming it",
            ))),
        }
    }
}

/// The API whose own endpoint `uri` is (the Files API's `/files`, the Uploads API's
/// `/uploads`), not one of its files or Uploads.
fn api_of(uri: &Uri, dialect: &Dialect) -> Option<String> {
    let path = uri.path().trim_end_matches('/');
    let is =
        |endpoint: &str| !endpoint.is_empty() && path.ends_with(endpoint.trim_end_matches('/'));
    if is(&dialect.paths.files) {
        return Some("Files API".to_owned());
    }
    match &dialect.paths.uploads {
        Some(uploads) if is(uploads) => Some("Uploads API".to_owned()),
        _ => None,
    }
}

/// `uri` with `extra` appended to its query; a name the query or the provider's dialect
/// already uses is refused.
fn with_extra_query(
    uri: &Uri,
    extra: &[(String, String)],
    dialect: &Dialect,
) -> Result<Uri, Error> {
    let query = uri.query().unwrap_or("");
    let present: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name.into_owned())
        .collect();
    let mut own: Vec<&str> = present.iter().map(String::as_str).collect();
    own.extend(dialect.query.iter().map(|(name, _)| name.as_str()));
    own.extend(dialect.list.parameter_names());
    own.sort_unstable();
    own.dedup();
    let mut added = form_urlencoded::Serializer::new(String::new());
    for (name, value) in extra {
        refuse_reserved("query parameter", name, &own, "this request")?;
        added.append_pair(name, value);
    }
    let added = added.finish();
    let joined = if query.is_empty() {
        format!("{}?{added}", uri.path())
    } else {
        format!("{}?{query}&{added}", uri.path())
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(joined.parse().map_err(|e: http::uri::InvalidUri| {
        ValidationError::new(
            "query parameters",
            e.to_string(),
            "could not be added to the URL",
        )
    })?);
    Uri::from_parts(parts).map_err(|e| {
        ValidationError::new(
            "query parameters",
            e.to_string(),
            "could not be added to the URL",
        )
        .into()
    })
}

/// The error of a driver that broke the protocol: a bug, reported rather than panicked on.
pub(super) fn out_of_order(what: &str) -> Error {
    TransportError::new(
        TransportErrorKind::Other,
        format!("the client's driver {what}; this is a bug in the driver"),
    )
    .into()
}

pub(super) fn polled_when_finished() -> Error {
    out_of_order("polled an operation that had finished")
}

impl Exchange<FileList> {
    /// One page of the listing.
    pub fn list_page(
        provider: &dyn Provider,
        params: &ListParams,
        options: &RequestOptions,
    ) -> Self {
        Exchange::json(
            "files.list",
            provider.dialect(),
            wire::build_list(provider, params),
            wire::decode_list,
            options,
        )
    }
}

impl Exchange<FileObject> {
    /// One file's metadata.
    pub fn retrieve(provider: &dyn Provider, id: &str, options: &RequestOptions) -> Self {
        Exchange::json(
            "files.retrieve",
            provider.dialect(),
            wire::build_retrieve(provider, id),
            decode_file,
            options,
        )
    }
}

/// Decodes a file object in the provider's dialect.
pub(crate) fn decode_file(
    dialect: &Dialect,
    head: &Parts,
    body: &[u8],
) -> Result<FileObject, Error> {
    wire::decode_file(dialect, head, body)
}

impl Exchange<DeletedFile> {
    /// Deletes a file.
    pub fn delete(provider: &dyn Provider, id: &str, options: &RequestOptions) -> Self {
        Exchange::json(
            "files.delete",
            provider.dialect(),
            wire::build_delete(provider, id),
            |_, head, body| finish_json(head, body, "a deleted-file object"),
            options,
        )
    }
}

impl Exchange<ContentInfo> {
    /// A file's content: the output is what the response head says about it, and the driver
    /// hands the body, unread, to the caller.
    pub fn content(provider: &dyn Provider, id: &str, options: &RequestOptions) -> Self {
        Exchange::new(
            "files.content",
            provider.dialect(),
            wire::build_content(provider, id),
            Decode::Streamed(ContentInfo::from_parts),
            options,
        )
    }

    /// The rest of a file's content, from a byte on (`Range: bytes=N-`, with `If-Range` when
    /// a validator is given), or all of it when `from` is `None`: the request that resumes a
    /// cut download (see [`FetchContent`](super::FetchContent)).
    pub fn content_from(
        provider: &dyn Provider,
        id: &str,
        from: Option<(u64, Option<&str>)>,
        options: &RequestOptions,
    ) -> Self {
        let request = match from {
            None => wire::build_content(provider, id),
            Some((offset, validator)) => wire::build_content_from(provider, id, offset, validator),
        };
        Exchange::new(
            "files.content",
            provider.dialect(),
            request,
            Decode::Streamed(ContentInfo::from_parts),
            options,
        )
    }
}

#[cfg(test)]
mod tests;
