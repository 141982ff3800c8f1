//! [`AsyncDownload`]: a file's content as a stream of chunks that resumes after a cut.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use files_core::extend::ops::{Delivery, Event, FetchContent, Operation};
use files_core::{ContentInfo, Error, Result};
use files_io::AsyncContentBody;
use files_io::transport::AsyncResponseBody;
use futures_util::Stream;

use super::async_driver::AsyncDriver;
use crate::attempt::Streamed;
use crate::blocking::driver_bug;
use crate::trace;

/// The machine, given back, and what running it to its next answer came to.
type Next = (
    FetchContent,
    Result<(Delivery, Option<Streamed<AsyncResponseBody>>)>,
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
    /// The machine; out in `resuming` while it runs.
    fetch: Option<FetchContent>,
    /// The machine's request count when it went out, for [`AsyncDownload::attempts`].
    attempts_before: u32,
    driver: AsyncDriver,
    resuming: Option<Pin<Box<dyn Future<Output = Next> + Send>>>,
    done: bool,
}

impl std::fmt::Debug for AsyncDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncDownload")
            .field("body", &self.body)
            .field("fetch", &self.fetch)
            .field("resuming", &self.resuming.is_some())
            .finish_non_exhaustive()
    }
}

impl AsyncDownload {
    /// Runs `fetch` to its first answer and streams that.
    pub(crate) async fn start(mut fetch: FetchContent, driver: AsyncDriver) -> Result<Self> {
        let (delivery, streamed) = driver.run(&mut fetch).await?;
        let Streamed { body, observer } = streamed.ok_or_else(trace::missing_body)?;
        Ok(AsyncDownload {
            body: AsyncContentBody::new(delivery.info, body, observer),
            attempts_before: fetch.attempts(),
            fetch: Some(fetch),
            driver,
            resuming: None,
            done: false,
        })
    }

    /// What the first response's head said.
    pub fn info(&self) -> &ContentInfo {
        self.body.info()
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.body.received()
    }

    /// Requests sent for this download so far (more than one after a retry or a resume;
    /// while a resume is under way, those before it).
    pub fn attempts(&self) -> u32 {
        self.fetch
            .as_ref()
            .map_or(self.attempts_before, FetchContent::attempts)
    }

    /// Tells the machine the body was cut, and starts running it to its next answer.
    fn start_resume(&mut self, error: Error) -> Result<()> {
        let mut fetch = self
            .fetch
            .take()
            .ok_or_else(|| driver_bug("resumed a download twice at once"))?;
        self.attempts_before = fetch.attempts();
        let received = self.body.received();
        fetch.handle(Event::Cut { error, received }, self.driver.env.now());
        let driver = self.driver.clone();
        self.resuming = Some(Box::pin(async move {
            let outcome = driver.run(&mut fetch).await;
            (fetch, outcome)
        }));
        Ok(())
    }

    /// Takes the machine's next answer over, or returns its error.
    fn finish_resume(&mut self, (fetch, outcome): Next) -> Result<()> {
        self.fetch = Some(fetch);
        let (delivery, streamed) = outcome?;
        let Streamed { body, .. } = streamed.ok_or_else(trace::missing_body)?;
        self.body.continue_with(body, delivery.skip);
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
