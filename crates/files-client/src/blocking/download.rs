//! [`Download`]: a file's content as a blocking reader that resumes after a cut.

use std::io::{self, Read};

use files_core::extend::ops::{Event, FetchContent, Operation};
use files_core::{ContentInfo, Error, Result};
use files_io::ContentBody;

use super::driver::{Driver, driver_bug};
use crate::attempt::Streamed;
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
    fetch: FetchContent,
    driver: Driver,
    /// Set once the download has failed for good: later reads fail too.
    failed: bool,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("body", &self.body)
            .field("fetch", &self.fetch)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Runs `fetch` to its first answer and reads that.
    pub(crate) fn start(mut fetch: FetchContent, driver: Driver) -> Result<Self> {
        let (delivery, streamed) = driver.run(&mut fetch)?;
        let Streamed { body, observer } = streamed.ok_or_else(trace::missing_body)?;
        Ok(Download {
            body: ContentBody::new(delivery.info, body, observer),
            fetch,
            driver,
            failed: false,
        })
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
        self.fetch.attempts()
    }

    /// Reads the next chunk into `buf`; 0 at the end. A cut is resumed before this returns;
    /// once a read has failed for good, every later one fails too.
    pub fn read_chunk(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            if self.failed {
                // The machine says why, and sends nothing.
                let again = self.driver.run(&mut self.fetch).err();
                return Err(again.unwrap_or_else(|| driver_bug("went on after failing")));
            }
            match self.body.read_chunk(buf) {
                Ok(n) => return Ok(n),
                Err(error) => {
                    if let Err(e) = self.go_on(error) {
                        self.failed = true;
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Tells the machine the body was cut, and reads its next answer, or returns the final
    /// error.
    fn go_on(&mut self, error: Error) -> Result<()> {
        let received = self.body.received();
        let now = self.driver.env.now();
        self.fetch.handle(Event::Cut { error, received }, now);
        let (delivery, streamed) = self.driver.run(&mut self.fetch)?;
        let Streamed { body, .. } = streamed.ok_or_else(trace::missing_body)?;
        self.body.continue_with(body, delivery.skip);
        Ok(())
    }
}

impl Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_chunk(buf).map_err(io::Error::from)
    }
}
