//! [`Download`]: a file's content as a blocking reader that resumes after a cut.

use std::io::{self, Read};

use files_core::download::Resumption;
use files_core::{ContentInfo, Error, Result, TransportError, TransportErrorKind};
use files_io::ContentBody;

use super::driver::Driver;
use crate::attempt;
use crate::trace;

/// A file's content being downloaded, as a blocking reader (from [`Files::content`]).
///
/// It checks the byte count against the length the server announced, so a short body is an
/// error, never a short file. When the connection is cut mid-way it resumes, under the retry
/// budget of the call: it asks for the rest with `Range: bytes=N-` (and `If-Range`) when the
/// server said it serves ranges, or for everything again, dropping the bytes already read, when
/// it did not; a server that sends a different file meanwhile is an error.
///
/// [`Files::content`]: crate::Files::content
pub struct Download {
    body: ContentBody,
    resumption: Resumption,
    driver: Driver,
    /// Set once the download has failed for good: later reads fail too.
    failed: bool,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("body", &self.body)
            .field("resumption", &self.resumption)
            .finish_non_exhaustive()
    }
}

impl Download {
    pub(crate) fn new(body: ContentBody, resumption: Resumption, driver: Driver) -> Self {
        Download {
            body,
            resumption,
            driver,
            failed: false,
        }
    }

    /// What the first response's head said.
    pub fn info(&self) -> &ContentInfo {
        self.body.info()
    }

    /// Bytes read so far.
    pub fn received(&self) -> u64 {
        self.body.received()
    }

    /// Requests sent for this download so far (more than one after a retry or a resume).
    pub fn attempts(&self) -> u32 {
        self.resumption.attempts()
    }

    /// Reads the next chunk into `buf`; 0 at the end. A cut is resumed before this returns;
    /// once a read has failed for good, every later one fails too.
    pub fn read_chunk(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.failed {
            return Err(TransportError::new(
                TransportErrorKind::Other,
                "this download failed earlier; start it again with content()",
            )
            .into());
        }
        loop {
            match self.body.read_chunk(buf) {
                Ok(n) => return Ok(n),
                Err(error) => {
                    if let Err(e) = self.resume(error) {
                        self.failed = true;
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Resumes after `error`, or returns the final error.
    fn resume(&mut self, error: Error) -> Result<()> {
        let received = self.body.received();
        let (pause, mut exchange) =
            self.resumption
                .after_failure(error, received, self.driver.env.random())?;
        trace::pausing(&pause);
        self.driver.env.sleep(pause.duration);
        let outcome = self.driver.run(&mut exchange);
        let (body, skip) =
            attempt::continuation(&mut self.resumption, received, exchange.attempts(), outcome)?;
        self.body.continue_with(body, skip);
        Ok(())
    }
}

impl Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_chunk(buf).map_err(io::Error::from)
    }
}
