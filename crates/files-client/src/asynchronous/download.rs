//! [`AsyncDownload`]: a file's content as a stream of chunks that resumes after a cut.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use files_core::download::Resumption;
use files_core::ops::Exchange;
use files_core::{ContentInfo, Error, Result};
use files_io::AsyncContentBody;
use files_io::transport::AsyncResponseBody;
use futures_util::Stream;

use super::driver::AsyncDriver;
use crate::attempt::{self, Streamed};
use crate::trace;

/// What a continuation produced: the exchange (for its attempt count) and its outcome.
type Continuation = (
    Exchange<ContentInfo>,
    Result<(ContentInfo, Option<Streamed<AsyncResponseBody>>)>,
);

/// A file's content being downloaded, as a stream of chunks (from [`AsyncFiles::content`]).
///
/// It checks the byte count against the length the server announced, so a short body is an
/// error, never a short file. When the connection is cut mid-way it resumes, under the retry
/// budget of the call: it asks for the rest with `Range: bytes=N-` (and `If-Range`) when the
/// server said it serves ranges, or for everything again, dropping the bytes already
/// delivered, when it did not; a server that sends a different file meanwhile is an error.
///
/// [`AsyncFiles::content`]: crate::AsyncFiles::content
pub struct AsyncDownload {
    body: AsyncContentBody,
    resumption: Resumption,
    driver: AsyncDriver,
    resuming: Option<Pin<Box<dyn Future<Output = Continuation> + Send>>>,
    done: bool,
}

impl std::fmt::Debug for AsyncDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncDownload")
            .field("body", &self.body)
            .field("resumption", &self.resumption)
            .field("resuming", &self.resuming.is_some())
            .finish_non_exhaustive()
    }
}

impl AsyncDownload {
    pub(crate) fn new(body: AsyncContentBody, resumption: Resumption, driver: AsyncDriver) -> Self {
        AsyncDownload {
            body,
            resumption,
            driver,
            resuming: None,
            done: false,
        }
    }

    /// What the first response's head said.
    pub fn info(&self) -> &ContentInfo {
        self.body.info()
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.body.received()
    }

    /// Requests sent for this download so far (more than one after a retry or a resume).
    pub fn attempts(&self) -> u32 {
        self.resumption.attempts()
    }

    /// Starts resuming after `error`, or returns the final error.
    fn start_resume(&mut self, error: Error) -> Result<()> {
        let received = self.body.received();
        let (pause, mut exchange) =
            self.resumption
                .after_failure(error, received, self.driver.env.random())?;
        let driver = self.driver.clone();
        self.resuming = Some(Box::pin(async move {
            trace::pausing(&pause);
            driver.env.sleep(pause.duration).await;
            let outcome = driver.run(&mut exchange).await;
            (exchange, outcome)
        }));
        Ok(())
    }

    /// Takes a finished continuation over, or returns its error.
    fn finish_resume(&mut self, (exchange, outcome): Continuation) -> Result<()> {
        let received = self.body.received();
        let (body, skip) =
            attempt::continuation(&mut self.resumption, received, exchange.attempts(), outcome)?;
        self.body.continue_with(body, skip);
        Ok(())
    }
}

impl Stream for AsyncDownload {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(resuming) = &mut this.resuming {
                let continuation = match resuming.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(continuation) => continuation,
                };
                this.resuming = None;
                if let Err(e) = this.finish_resume(continuation) {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
            match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Ready(Some(Err(error))) => {
                    if let Err(e) = this.start_resume(error) {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                other => return other,
            }
        }
    }
}
