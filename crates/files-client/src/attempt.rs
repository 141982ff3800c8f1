//! What both drivers do with one attempt's outcome, apart from the waiting: make the
//! transport's answer into the event the machine is fed, keep a download's body for the
//! caller, and log it. A driver only pumps the body out and, when asked, reads a response
//! body in — blocking or async.

use std::sync::Arc;

use files_core::Observer;
use files_core::extend::ops::{Attempt, Event, Now, ReadPlan};
use files_core::{Error, TransportError};
use files_io::SendFailure;
use http::response::Parts;

use crate::trace::AttemptLog;

/// A response body a machine asked to stream, and who hears about its bytes.
pub(crate) struct Streamed<B> {
    pub(crate) body: B,
    pub(crate) observer: Option<Arc<dyn Observer>>,
}

/// What to do after the transport returned.
pub(crate) enum Received<B> {
    /// Feed the machine this event.
    Event(Event),
    /// Read up to `limit` bytes of the body first, then feed the machine a response.
    Read { head: Parts, body: B, limit: usize },
}

/// The transport's answer to `attempt`, as the driver must take it. A body the plan streams
/// is kept in `kept`; a failure the body's pump recorded in `failure` is reported as the
/// local failure it is.
pub(crate) fn received<B>(
    attempt: &mut Attempt,
    answer: Result<http::Response<B>, TransportError>,
    failure: &SendFailure,
    kept: &mut Option<Streamed<B>>,
    log: &AttemptLog,
    now: Now,
) -> Received<B> {
    let response = match answer {
        Ok(response) => response,
        Err(mut error) => {
            let error = match failure.take() {
                Some(local) => Error::LocalFile(local),
                None => {
                    // The server may have acted on a request it received whole.
                    error.body_sent = failure.whole_body_taken();
                    Error::Transport(error)
                }
            };
            return Received::Event(Event::Failed(error));
        }
    };
    let (head, body) = response.into_parts();
    log.answered(&head, now);
    match attempt.read_plan(&head) {
        ReadPlan::Stream => {
            let observer = attempt.observer.take();
            *kept = Some(Streamed { body, observer });
            Received::Event(Event::Streaming { head })
        }
        ReadPlan::Buffer { limit } => Received::Read { head, body, limit },
    }
}

/// The event for a response whose body was read (or failed to be: an answer had begun, so
/// the request had reached the server).
pub(crate) fn read(head: Parts, body: Result<bytes::Bytes, TransportError>) -> Event {
    match body {
        Ok(body) => Event::Response { head, body },
        Err(mut error) => {
            error.body_sent = true;
            Event::Failed(error.into())
        }
    }
}

/// Logs a failed attempt, and passes the event on.
pub(crate) fn finished(event: Event, log: &AttemptLog, now: Now) -> Event {
    if let Event::Failed(error) = &event {
        log.failed(error, now);
    }
    event
}
