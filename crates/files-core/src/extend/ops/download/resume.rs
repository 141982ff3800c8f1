//! [`Resumption`]: how a download cut mid-way goes on, as pure rules a driver follows.
//!
//! ```text
//!   body fails after N bytes ──after_failure──▶ Stop(error)            (not retryable, budget spent)
//!                                  │
//!                                  └──▶ (pause, exchange)  Range: bytes=N-, If-Range: validator
//!                                           │              (no Range unless the server said
//!                                           │               Accept-Ranges: bytes and sent a
//!                                           │               length and a strong validator)
//!        206 from N, same total ◀──continued──┤
//!          and validators → append            │
//!        200, same length and validators ◀────┘
//!          → skip the N bytes already delivered
//!        anything else → an error: the file changed
//! ```
//!
//! A validator the first response had and a continuation lacks counts as changed. With no
//! validator at all, a whole `200` of the same length is taken for the same file: a file's
//! content does not change under its id on these APIs.
//!
//! Every request counts against one retry budget: the first response's attempts, and each
//! continuation's.

use std::sync::Arc;

use crate::error::{Error, TransportError, TransportErrorKind};
use crate::observer::RetryNotice;
use crate::ops::retry::{self, Verdict};
use crate::ops::{Exchange, Pause, PauseCause};
use crate::options::RequestOptions;
use crate::provider::Provider;

use crate::content_info::ContentInfo;

/// The state of one download that may be resumed: what the first response promised, and how
/// much of the retry budget is spent.
pub(crate) struct Resumption {
    provider: Arc<dyn Provider>,
    id: String,
    options: RequestOptions,
    first: ContentInfo,
    attempts: u32,
    max_retries: u32,
}

impl std::fmt::Debug for Resumption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resumption")
            .field("id", &self.id)
            .field("first", &self.first)
            .field("attempts", &self.attempts)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

impl Resumption {
    /// The rules for the download of file `id` whose first response said `first` after
    /// `attempts` requests, under `options` (its retry budget, timeouts and observer).
    pub fn new(
        provider: Arc<dyn Provider>,
        id: &str,
        first: &ContentInfo,
        attempts: u32,
        options: &RequestOptions,
    ) -> Self {
        Resumption {
            provider,
            id: id.to_owned(),
            options: options.clone(),
            first: first.clone(),
            attempts: attempts.max(1),
            max_retries: options.max_retries_value(),
        }
    }

    /// Requests sent for this download so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The validator an `If-Range` may carry: a strong `ETag`, else `Last-Modified`.
    fn validator(&self) -> Option<&str> {
        let strong = self.first.etag.as_deref().filter(|e| !e.starts_with("W/"));
        strong.or(self.first.last_modified.as_deref())
    }

    /// The body failed with `error` after `received` bytes: the wait and the request for the
    /// rest (run it like any operation, then call [`Resumption::continued`] or
    /// [`Resumption::gave_up`]), or the final error when the failure is not retryable or the
    /// budget is spent. `random` is the driver's random number, for the backoff.
    pub fn after_failure(
        &mut self,
        error: Error,
        received: u64,
        random: u128,
    ) -> Result<(Pause, Exchange<ContentInfo>), Error> {
        let retries = self.attempts - 1;
        let wait = match retry::judge(&error, retries, self.max_retries, true, random) {
            Verdict::Retry { wait } => wait,
            Verdict::Stop { note } => return Err(self.annotated(error, note)),
        };
        let ranges = self.first.accept_ranges && self.first.len.is_some();
        let from = match self.validator() {
            Some(validator) if ranges && received > 0 => Some((received, Some(validator))),
            _ => None,
        };
        let remaining = self.max_retries - retries - 1;
        let options = self.options.clone().max_retries(remaining);
        let exchange = Exchange::content_from(&*self.provider, &self.id, from, &options);
        let pause = Pause {
            holds_client: retry::holds_client(&error),
            duration: wait,
            cause: PauseCause::Retry(RetryNotice {
                operation: "files.content",
                attempt: self.attempts.saturating_add(1),
                max_attempts: self.max_retries.saturating_add(1),
                wait,
                reason: format!("{} after {received} bytes; resuming", retry::reason(&error)),
            }),
        };
        Ok((pause, exchange))
    }

    /// A continuation answered `info` after `attempts` requests, `received` bytes having been
    /// delivered: how many of its first bytes to skip (0 for a `206` from `received`, all of
    /// `received` for a whole `200` of the same file), or an error when the answer does not
    /// continue this download.
    pub fn continued(
        &mut self,
        info: &ContentInfo,
        received: u64,
        attempts: u32,
    ) -> Result<u64, Error> {
        self.attempts = self.attempts.saturating_add(attempts);
        let total = self.first.len;
        // A validator that changed, or that the first answer had and this one lacks.
        let lost = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a != b,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if lost(&self.first.etag, &info.etag)
            || lost(&self.first.last_modified, &info.last_modified)
        {
            return Err(self.changed("its ETag or Last-Modified changed".to_owned()));
        }
        if info.status == 206 {
            let range = info.content_range.ok_or_else(|| {
                self.mismatch("answered 206 without a readable Content-Range".to_owned())
            })?;
            if range.first != received {
                return Err(self.mismatch(format!(
                    "resumed at byte {} instead of {received}",
                    range.first
                )));
            }
            if let (Some(total), Some(now)) = (total, range.total)
                && total != now
            {
                return Err(self.changed(format!("its length went from {total} to {now} bytes")));
            }
            return Ok(0);
        }
        if let (Some(total), Some(now)) = (total, info.len)
            && total != now
        {
            return Err(self.changed(format!("its length went from {total} to {now} bytes")));
        }
        Ok(received)
    }

    /// A continuation failed for good after `attempts` requests: its error, counting every
    /// request of the download.
    pub fn gave_up(&mut self, error: Error, attempts: u32) -> Error {
        self.attempts = self.attempts.saturating_add(attempts);
        let mut error = error;
        match &mut error {
            Error::Api(e) => e.attempts = self.attempts,
            Error::Transport(e) => e.attempts = self.attempts,
            _ => {}
        }
        error
    }

    fn annotated(&self, mut error: Error, note: Option<String>) -> Error {
        if let Error::Transport(e) = &mut error {
            e.attempts = self.attempts;
            e.not_retried = e.not_retried.take().or(note);
            e.request_id = e.request_id.take().or(self.first.request_id.clone());
        }
        error
    }

    fn mismatch(&self, what: String) -> Error {
        let mut e = TransportError::new(
            TransportErrorKind::Other,
            format!(
                "the server {what} when the download of {} was resumed; download it again",
                self.id
            ),
        );
        e.attempts = self.attempts;
        e.into()
    }

    fn changed(&self, what: String) -> Error {
        self.mismatch(format!(
            "sent a different file ({what}) while it downloaded, so the parts cannot be joined"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::scenario::Scenario;
    use crate::wire::tests::TestProvider;

    fn head(status: u16, headers: &[(&str, &str)]) -> ContentInfo {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        ContentInfo::from_parts(&builder.body(()).unwrap_or_default().into_parts().0)
    }

    fn first(headers: &[(&str, &str)]) -> ContentInfo {
        let mut all = vec![("content-length", "1000")];
        all.extend_from_slice(headers);
        head(200, &all)
    }

    fn resumption(first: &ContentInfo, retries: u32) -> Resumption {
        Resumption::new(
            Arc::new(TestProvider::openai_like()),
            "file-1",
            first,
            1,
            &RequestOptions::new().max_retries(retries),
        )
    }

    fn cut() -> Error {
        TransportError::new(TransportErrorKind::Io, "reset").into()
    }

    #[test]
    fn a_cut_asks_for_the_rest_with_the_strong_validator() {
        let first = first(&[
            ("accept-ranges", "bytes"),
            ("etag", "\"v1\""),
            ("last-modified", "Sun, 22 Nov 2026 10:00:00 GMT"),
        ]);
        let mut r = resumption(&first, 2);
        let (pause, exchange) = r
            .after_failure(cut(), 600, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let PauseCause::Retry(notice) = &pause.cause else {
            panic!("{pause:?}")
        };
        assert_eq!((notice.attempt, notice.max_attempts), (2, 3));
        assert!(
            notice.reason.contains("after 600 bytes"),
            "{}",
            notice.reason
        );
        let attempt = Scenario::new(exchange).expect_send();
        let headers = attempt.request.headers();
        assert_eq!(headers["range"], "bytes=600-");
        assert_eq!(headers["if-range"], "\"v1\"");
        assert_eq!(
            attempt.max_attempts, 2,
            "the continuation has the budget left"
        );

        // A weak ETag may not be used: Last-Modified is.
        let weak = self::first(&[
            ("accept-ranges", "bytes"),
            ("etag", "W/\"v1\""),
            ("last-modified", "Sun, 22 Nov 2026 10:00:00 GMT"),
        ]);
        let (_, exchange) = resumption(&weak, 2)
            .after_failure(cut(), 1, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let attempt = Scenario::new(exchange).expect_send();
        assert_eq!(
            attempt.request.headers()["if-range"],
            "Sun, 22 Nov 2026 10:00:00 GMT"
        );
    }

    #[test]
    fn without_ranges_everything_is_asked_for_again() {
        let no_range = |first: ContentInfo| {
            let (_, exchange) = resumption(&first, 2)
                .after_failure(cut(), 600, 0)
                .unwrap_or_else(|e| panic!("{e}"));
            let attempt = Scenario::new(exchange).expect_send();
            attempt.request.headers().get("range").is_none()
        };
        assert!(no_range(first(&[])), "no Accept-Ranges");
        assert!(
            no_range(first(&[("accept-ranges", "bytes")])),
            "no validator"
        );
        assert!(no_range(first(&[
            ("accept-ranges", "bytes"),
            ("etag", "W/\"weak\"")
        ])));
        let unknown_length = head(200, &[("accept-ranges", "bytes"), ("etag", "\"v1\"")]);
        assert!(
            no_range(unknown_length),
            "no length to check the range against"
        );
        // A cut before the first byte asks for the whole file, without a Range.
        let ranged = first(&[("accept-ranges", "bytes"), ("etag", "\"v1\"")]);
        let (_, exchange) = resumption(&ranged, 2)
            .after_failure(cut(), 0, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let headers = Scenario::new(exchange)
            .expect_send()
            .request
            .headers()
            .clone();
        assert!(headers.get("range").is_none(), "{headers:?}");
        assert!(headers.get("if-range").is_none(), "{headers:?}");
        // The whole file again: the 600 bytes delivered are skipped.
        let mut r = resumption(&first(&[]), 2);
        assert_eq!(r.continued(&first(&[]), 600, 1).ok(), Some(600));
    }

    /// The error of a continuation that does not continue the download: its exact words, and
    /// that it is not retried (the parts cannot be joined, so trying again does not help).
    fn refusal(result: Result<u64, Error>) -> (String, Option<u32>) {
        let err = match result {
            Err(err @ Error::Transport(_)) => err,
            other => panic!("expected a refusal of the continuation, got {other:?}"),
        };
        assert!(!err.is_retryable(), "{err}");
        (err.to_string(), err.attempts())
    }

    /// What [`Resumption::changed`] says of `file-1`, after `attempts` requests.
    fn changed_text(what: &str, attempts: u32) -> String {
        format!(
            "HTTP client error: the server sent a different file ({what}) while it downloaded, \
             so the parts cannot be joined when the download of file-1 was resumed; download it \
             again; gave up after {attempts} attempts"
        )
    }

    #[test]
    fn a_validator_that_goes_missing_is_a_change() {
        let first = first(&[("accept-ranges", "bytes"), ("etag", "\"v1\"")]);
        let mut r = resumption(&first, 5);
        let validator = "its ETag or Last-Modified changed";
        // A 206 that lacks the ETag the first answer had.
        let bare = head(206, &[("content-range", "bytes 600-999/1000")]);
        assert_eq!(
            refusal(r.continued(&bare, 600, 1)),
            (changed_text(validator, 2), Some(2))
        );
        // A 206 with another ETag.
        let other = head(
            206,
            &[("content-range", "bytes 600-999/1000"), ("etag", "\"v2\"")],
        );
        assert_eq!(
            refusal(r.continued(&other, 600, 1)),
            (changed_text(validator, 3), Some(3))
        );
        // A whole 200 of the same length, but without the ETag.
        let whole = head(200, &[("content-length", "1000")]);
        assert_eq!(
            refusal(r.continued(&whole, 600, 1)),
            (changed_text(validator, 4), Some(4))
        );
        // A Last-Modified that goes missing counts the same.
        let dated = self::first(&[("last-modified", "Sun, 22 Nov 2026 10:00:00 GMT")]);
        let mut r = resumption(&dated, 5);
        assert_eq!(
            refusal(r.continued(&whole, 600, 1)),
            (changed_text(validator, 2), Some(2))
        );
    }

    /// The notice and the continuation's own budget, for a cut the budget still covers.
    fn resumed(r: &mut Resumption, received: u64) -> (RetryNotice, u32) {
        let (pause, exchange) = r
            .after_failure(cut(), received, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let PauseCause::Retry(notice) = pause.cause else {
            panic!("{pause:?}")
        };
        let attempt = Scenario::new(exchange).expect_send();
        (notice, attempt.max_attempts)
    }

    #[test]
    fn the_last_retry_of_the_budget_is_taken_and_the_next_is_not() {
        // Three retries allowed; three requests sent: one retry is left, and it is taken
        // with no retries of its own.
        let mut r = Resumption::new(
            Arc::new(TestProvider::openai_like()),
            "file-1",
            &first(&[]),
            3,
            &RequestOptions::new().max_retries(3),
        );
        let (notice, continuation_budget) = resumed(&mut r, 10);
        assert_eq!(notice.operation, "files.content");
        assert_eq!((notice.attempt, notice.max_attempts), (4, 4));
        assert_eq!(
            notice.reason,
            "connection failed while transferring after 10 bytes; resuming"
        );
        assert_eq!(continuation_budget, 1, "the last attempt has no retries");
        // Four requests: the budget is spent, and the cut is the final error.
        let mut spent = Resumption::new(
            Arc::new(TestProvider::openai_like()),
            "file-1",
            &first(&[]),
            4,
            &RequestOptions::new().max_retries(3),
        );
        let err = spent.after_failure(cut(), 10, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "connection failed while transferring: reset; gave up after 4 attempts"
        );
        assert_eq!(err.attempts(), Some(4));
        // With no retries at all, the first cut ends the download.
        let mut none = resumption(&first(&[]), 0);
        let err = none.after_failure(cut(), 10, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "connection failed while transferring: reset"
        );
        assert_eq!(err.attempts(), Some(1));
    }

    #[test]
    fn attempts_count_every_request_of_the_download() {
        let mut r = resumption(&first(&[("accept-ranges", "bytes")]), 5);
        assert_eq!(r.attempts(), 1);
        let (notice, budget) = resumed(&mut r, 10);
        assert_eq!((notice.attempt, budget), (2, 5));
        assert_eq!(r.attempts(), 1, "a pause is no request");
        // The continuation took two requests (it was retried once itself).
        assert_eq!(r.continued(&first(&[]), 10, 2).ok(), Some(10));
        assert_eq!(r.attempts(), 3);
        let (notice, budget) = resumed(&mut r, 20);
        assert_eq!((notice.attempt, notice.max_attempts, budget), (4, 6, 3));
        assert_eq!(r.continued(&first(&[]), 20, 1).ok(), Some(20));
        assert_eq!(r.attempts(), 4);
        let e = r.gave_up(cut(), 2);
        assert_eq!(r.attempts(), 6);
        assert_eq!(e.attempts(), Some(6));
    }

    #[test]
    fn a_continuation_refused_by_the_api_gives_up_with_every_request_counted() {
        let first = first(&[("accept-ranges", "bytes"), ("etag", "\"v1\"")]);
        let mut r = resumption(&first, 2);
        let (_, exchange) = r
            .after_failure(cut(), 600, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut s = Scenario::new(exchange);
        s.expect_send();
        s.respond(
            404,
            &[("x-request-id", "req_2")],
            r#"{"error":{"message":"No such File object: file-1"}}"#,
        );
        let err = s.expect_done().unwrap_err();
        assert_eq!(err.attempts(), Some(1), "the continuation's own count");
        let err = r.gave_up(err, s.op.attempts());
        let Error::Api(api) = &err else {
            panic!("expected the API's refusal, got {err:?}")
        };
        assert_eq!((api.status, api.attempts), (404, 2));
        assert_eq!(api.request_id.as_deref(), Some("req_2"));
        assert!(!err.is_retryable());
        assert!(
            err.to_string()
                .starts_with("HTTP 404 Not Found: No such File object: file-1"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("gave up after 2 attempts"),
            "{err}"
        );
        assert_eq!(r.attempts(), 2);
        // An error that is neither an API nor a transport error passes through unchanged.
        let local = crate::LocalFileError::new(
            crate::LocalFileOp::Write,
            "/out.bin",
            std::io::ErrorKind::StorageFull.into(),
        );
        let err = r.gave_up(local.into(), 1);
        assert!(matches!(err, Error::LocalFile(_)), "{err:?}");
        assert_eq!(err.attempts(), None);
        assert_eq!(r.attempts(), 3);
    }

    #[test]
    fn a_huge_budget_does_not_overflow() {
        let mut r = Resumption::new(
            Arc::new(TestProvider::openai_like()),
            "file-1",
            &first(&[]),
            u32::MAX,
            &RequestOptions::new().max_retries(u32::MAX),
        );
        let (pause, _) = r
            .after_failure(cut(), 1, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let PauseCause::Retry(notice) = pause.cause else {
            panic!("{pause:?}")
        };
        assert_eq!((notice.attempt, notice.max_attempts), (u32::MAX, u32::MAX));
        assert_eq!(r.gave_up(cut(), u32::MAX).attempts(), Some(u32::MAX));
    }

    #[test]
    fn a_206_continues_only_from_the_byte_reached() {
        let first = first(&[("accept-ranges", "bytes"), ("etag", "\"v1\"")]);
        let partial = |range: &str| head(206, &[("content-range", range), ("etag", "\"v1\"")]);
        let mut r = resumption(&first, 5);
        assert_eq!(
            r.continued(&partial("bytes 600-999/1000"), 600, 1).ok(),
            Some(0)
        );
        let err = r
            .continued(&partial("bytes 500-999/1000"), 600, 1)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("resumed at byte 500 instead of 600"),
            "{err}"
        );
        assert!(!err.is_retryable());
        let err = r
            .continued(&partial("bytes 600-1999/2000"), 600, 1)
            .unwrap_err();
        assert!(err.to_string().contains("from 1000 to 2000 bytes"), "{err}");
        assert!(!err.is_retryable());
        // The same ETag, but no Content-Range to say where the bytes start.
        let unranged = head(206, &[("etag", "\"v1\"")]);
        assert_eq!(
            refusal(r.continued(&unranged, 600, 1)),
            (
                "HTTP client error: the server answered 206 without a readable Content-Range \
                 when the download of file-1 was resumed; download it again; gave up after 5 \
                 attempts"
                    .to_owned(),
                Some(5)
            )
        );
    }

    #[test]
    fn a_200_of_a_changed_file_is_refused() {
        let first = first(&[("accept-ranges", "bytes"), ("etag", "\"v1\"")]);
        let mut r = resumption(&first, 5);
        let other = head(200, &[("content-length", "1000"), ("etag", "\"v2\"")]);
        let err = r.continued(&other, 600, 1).unwrap_err();
        assert!(err.to_string().contains("sent a different file"), "{err}");
        assert!(!err.is_retryable());
        let longer = head(200, &[("content-length", "1200"), ("etag", "\"v1\"")]);
        assert_eq!(
            refusal(r.continued(&longer, 600, 1)),
            (
                changed_text("its length went from 1000 to 1200 bytes", 3),
                Some(3)
            )
        );
        let same = head(200, &[("content-length", "1000"), ("etag", "\"v1\"")]);
        assert_eq!(r.continued(&same, 600, 1).ok(), Some(600));
    }

    #[test]
    fn every_request_counts_against_one_budget() {
        let mut r = resumption(&first(&[("accept-ranges", "bytes")]), 2);
        assert!(r.after_failure(cut(), 10, 0).is_ok());
        assert_eq!(r.continued(&first(&[]), 10, 1).ok(), Some(10));
        assert!(r.after_failure(cut(), 20, 0).is_ok());
        // Two resumes have spent the two retries.
        assert_eq!(r.continued(&first(&[]), 20, 1).ok(), Some(20));
        let err = r.after_failure(cut(), 30, 0).unwrap_err();
        assert_eq!(err.attempts(), Some(3));
        // A failure that is no cut is not resumed at all.
        let mut fresh = resumption(&first(&[]), 2);
        let other = TransportError::new(TransportErrorKind::Other, "too long").into();
        let err = fresh.after_failure(other, 10, 0).unwrap_err();
        assert_eq!(err.to_string(), "HTTP client error: too long");
        assert_eq!(err.attempts(), Some(1));
        assert!(!err.is_retryable());
        // A continuation that failed counts its requests.
        let e = fresh.gave_up(cut(), 2);
        assert_eq!(e.attempts(), Some(3));
    }
}
