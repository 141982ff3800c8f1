//! [`DecodeError`] and [`ProcessingTimeout`]: an answer that is not what the API documents, and a
//! wait that ran out.

use std::time::Duration;

/// A success response whose body is not what the API documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} (HTTP {status}), but the body {problem}: {snippet:?}{}", request_id_suffix(.request_id))]
#[non_exhaustive]
pub struct DecodeError {
    /// What the body should have been, e.g. `a file object`.
    pub expected: String,
    /// What was wrong with it, e.g. the JSON parser's message.
    pub problem: String,
    /// The first bytes of what came, as text.
    pub snippet: String,
    /// The HTTP status of the response.
    pub status: u16,
    /// The `x-request-id` response header, if any.
    pub request_id: Option<String>,
}

fn request_id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" [request id {id}]"))
        .unwrap_or_default()
}

/// A file that was still being processed when [`wait_for_processing`] ran out of time.
///
/// [`wait_for_processing`]: crate::ops::WaitForProcessing
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file_id} was still {} after waiting {}s ({checks} checks); wait longer, or check it again later",
    status_text(.status), .waited.as_secs()
)]
#[non_exhaustive]
pub struct ProcessingTimeout {
    /// The file waited for.
    pub file_id: String,
    /// Its status at the last check.
    pub status: Option<crate::FileStatus>,
    /// How long the client waited.
    pub waited: Duration,
    /// How many times it asked.
    pub checks: u32,
}

fn status_text(status: &Option<crate::FileStatus>) -> String {
    match status {
        Some(s) => format!("'{s}'"),
        None => "unprocessed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decode_error_names_its_request_id_when_there_is_one() {
        let mut e = DecodeError {
            expected: "a file object".into(),
            problem: "is not JSON".into(),
            snippet: "<html>".into(),
            status: 200,
            request_id: None,
        };
        assert_eq!(
            e.to_string(),
            "expected a file object (HTTP 200), but the body is not JSON: \"<html>\""
        );
        e.request_id = Some("req_1".into());
        assert!(
            e.to_string().ends_with("\"<html>\" [request id req_1]"),
            "{e}"
        );
    }
}
