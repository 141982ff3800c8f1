//! Faults: misbehaviour injected in place of (or on top of) normal handling, queued from
//! code or loaded from a JSON fault plan.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

/// The longest a stalled response stays silent before the emulator drops its connection.
pub const MAX_STALL: Duration = Duration::from_secs(30);

/// What a fault does to a request it fires for.
///
/// In a JSON fault plan each action is an object with one key: `{"respond": {"status": 503,
/// "body": …}}`, `{"delay_ms": 500}`, `{"cut_after_request_bytes": 1024}`,
/// `{"stall_after_response_bytes": 0}`, `{"cut_after_response_bytes": 4096}`, and the word
/// `"lose_answer"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer with this response instead of handling the request.
    Respond {
        /// The HTTP status code; an invalid code (outside 100..=999) is answered as 500.
        status: u16,
        /// The `Content-Type` header of the response (`application/json` when left out of
        /// a plan).
        #[serde(default = "json_content_type")]
        content_type: String,
        /// The response body, sent as is. In a plan, a JSON string is sent as its text and
        /// any other JSON value as its serialization.
        #[serde(default, deserialize_with = "body_text")]
        body: String,
        /// Extra response headers; pairs that are not valid HTTP headers are skipped.
        #[serde(default)]
        headers: Vec<(String, String)>,
    },
    /// Wait this long, then handle the request normally (`delay_ms` in a plan).
    #[serde(rename = "delay_ms", with = "millis")]
    Delay(Duration),
    /// Read this many bytes of the request body (all of it, if it is shorter), then close the
    /// connection without answering: a connection cut mid-upload.
    CutAfterRequestBytes(u64),
    /// Handle the request normally, but send only this many bytes of the response body, then
    /// go silent with the connection open — until the client gives up, the emulator stops, or
    /// [`MAX_STALL`] has passed (then the connection is dropped, so a client without an idle
    /// limit fails instead of hanging): a stalled server.
    StallAfterResponseBytes(u64),
    /// Handle the request normally, but send only this many bytes of the response body, then
    /// close the connection: a download cut mid-way by a proxy or a reset.
    CutAfterResponseBytes(u64),
    /// Handle the request normally — an upload is stored — then close the connection
    /// without answering: the answer lost on its way back.
    LoseAnswer,
}

fn json_content_type() -> String {
    "application/json".to_owned()
}

/// A plan's `body`: a string as its text, any other JSON value serialized.
fn body_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// A [`Duration`] as whole milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// A fault: which requests it matches, how many times it fires, and what it does.
///
/// Queue faults with [`Emulator::inject`](crate::Emulator::inject), or start an emulator with
/// a plan ([`EmulatorConfig::with_faults`](crate::EmulatorConfig::with_faults), `files serve
/// --faults PLAN.json`; see [`Fault::plan_from_json`]). Each request under the path prefix
/// takes the first queued fault that matches it and is due (every `every`-th matching
/// request); a fault fires `times` times and is then used up. Responses still carry an
/// `x-request-id` header unless the fault sets its own, and every request is recorded,
/// faulted or not.
///
/// ```
/// use std::time::Duration;
/// use files_emulator::{Fault, FaultAction};
/// use serde_json::json;
///
/// // The next two uploads get a 503 asking for a 10 ms wait.
/// let busy = Fault::status(503, json!({"error": {"message": "Overloaded", "type": "server_error"}}))
///     .with_header("retry-after-ms", "10")
///     .on("POST", "/files")
///     .times(2);
/// assert_eq!(busy.times, 2);
///
/// // The next download stops after 1 KiB and hangs.
/// let stall = Fault::stall_after_response_bytes(1024).on("GET", "/files/*/content");
/// assert_eq!(stall.action, FaultAction::StallAfterResponseBytes(1024));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Fault {
    /// The method it matches (any, when `None`).
    #[serde(default)]
    pub method: Option<String>,
    /// The path it matches, below the prefix: `/files`, `/files/*`, `/files/*/content`; a
    /// `*` matches any one segment (any path, when `None`).
    #[serde(default)]
    pub path: Option<String>,
    /// How many times it fires (1 when left out of a plan).
    #[serde(default = "one")]
    pub times: u32,
    /// It fires for every `every`-th matching request: 1 (the default) for each one, 3 for
    /// the third, sixth, ninth…
    #[serde(default = "one")]
    pub every: u32,
    /// What it does.
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

/// Why a fault plan could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaultPlanError {
    /// The plan is not a JSON array of faults.
    #[error(
        "the fault plan is not valid: {0} (expected a JSON array of faults such as \
         [{{\"method\": \"GET\", \"path\": \"/files/*/content\", \"times\": 1, \
         \"action\": {{\"cut_after_response_bytes\": 1024}}}}])"
    )]
    Json(#[from] serde_json::Error),
    /// A fault with `times` or `every` of zero.
    #[error("fault {index} of the plan has {field} = 0; it must be at least 1")]
    Zero {
        /// The fault's position in the plan, from 0.
        index: usize,
        /// `times` or `every`.
        field: &'static str,
    },
}

/// The page nginx serves when its upstream fails.
const NGINX_BAD_GATEWAY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";

impl Fault {
    /// A fault doing `action` once, for any request.
    pub fn new(action: FaultAction) -> Fault {
        Fault {
            method: None,
            path: None,
            times: 1,
            every: 1,
            action,
        }
    }

    /// Reads a fault plan: a JSON array of faults, in the order they are queued.
    ///
    /// ```
    /// use files_emulator::{Fault, FaultAction};
    ///
    /// let plan = Fault::plan_from_json(r#"[
    ///   {"method": "POST", "path": "/files", "times": 2,
    ///    "action": {"respond": {"status": 503, "headers": [["retry-after-ms", "10"]],
    ///                           "body": {"error": {"message": "Overloaded"}}}}},
    ///   {"path": "/files/*/content", "every": 3,
    ///    "action": {"cut_after_response_bytes": 65536}}
    /// ]"#)?;
    /// assert_eq!(plan[0].times, 2);
    /// assert_eq!(plan[1].action, FaultAction::CutAfterResponseBytes(65536));
    /// # Ok::<(), files_emulator::FaultPlanError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`FaultPlanError`] when the text is not such an array, or a `times` or `every` is 0.
    pub fn plan_from_json(text: &str) -> Result<Vec<Fault>, FaultPlanError> {
        let mut plan: Vec<Fault> = serde_json::from_str(text)?;
        for (index, fault) in plan.iter_mut().enumerate() {
            for (field, value) in [("times", fault.times), ("every", fault.every)] {
                if value == 0 {
                    return Err(FaultPlanError::Zero { index, field });
                }
            }
            if let Some(method) = &mut fault.method {
                method.make_ascii_uppercase();
            }
        }
        Ok(plan)
    }

    /// A `502` with nginx's `text/html` "502 Bad Gateway" page, as a failing proxy sends it.
    pub fn html_bad_gateway() -> Fault {
        Fault::respond(502, "text/html", NGINX_BAD_GATEWAY)
    }

    /// A response with `status` and `json_body` as an `application/json` body.
    pub fn status(status: u16, json_body: serde_json::Value) -> Fault {
        Fault::respond(status, "application/json", json_body.to_string())
    }

    /// A response with `status`, a content type and a body of any kind (text, HTML, empty,
    /// truncated JSON).
    pub fn respond(status: u16, content_type: &str, body: impl Into<String>) -> Fault {
        Fault::new(FaultAction::Respond {
            status,
            content_type: content_type.to_owned(),
            body: body.into(),
            headers: Vec::new(),
        })
    }

    /// Holds the answer back for `delay`, then handles the request normally.
    pub fn delay(delay: Duration) -> Fault {
        Fault::new(FaultAction::Delay(delay))
    }

    /// Cuts the connection after `bytes` of the request body.
    pub fn cut_after_request_bytes(bytes: u64) -> Fault {
        Fault::new(FaultAction::CutAfterRequestBytes(bytes))
    }

    /// Sends `bytes` of the response body, then stalls.
    pub fn stall_after_response_bytes(bytes: u64) -> Fault {
        Fault::new(FaultAction::StallAfterResponseBytes(bytes))
    }

    /// Sends `bytes` of the response body, then closes the connection.
    pub fn cut_after_response_bytes(bytes: u64) -> Fault {
        Fault::new(FaultAction::CutAfterResponseBytes(bytes))
    }

    /// Handles the request, then closes the connection without answering.
    pub fn lose_answer() -> Fault {
        Fault::new(FaultAction::LoseAnswer)
    }

    /// Adds a response header, such as `retry-after` or `x-should-retry` (responses only).
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Fault {
        if let FaultAction::Respond { headers, .. } = &mut self.action {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Fires only for requests with this method and path (below the prefix; `*` matches
    /// one segment).
    #[must_use]
    pub fn on(mut self, method: &str, path: &str) -> Fault {
        self.method = Some(method.to_ascii_uppercase());
        self.path = Some(path.to_owned());
        self
    }

    /// Fires for this many matching requests (at least one).
    #[must_use]
    pub fn times(mut self, times: u32) -> Fault {
        self.times = times.max(1);
        self
    }

    /// Fires for every `every`-th matching request only (at least 1).
    #[must_use]
    pub fn every(mut self, every: u32) -> Fault {
        self.every = every.max(1);
        self
    }

    /// Whether the fault fires for `method` on `path` (below the prefix).
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = self.path.as_deref().is_none_or(|pattern| {
            let wanted: Vec<&str> = pattern.trim_matches('/').split('/').collect();
            let got: Vec<&str> = path.trim_matches('/').split('/').collect();
            wanted.len() == got.len() && wanted.iter().zip(&got).all(|(w, g)| *w == "*" || w == g)
        });
        method_ok && path_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_read_every_action_and_refuse_mistakes() {
        let plan = Fault::plan_from_json(
            r#"[
              {"method": "get", "path": "/files/*/content",
               "action": {"stall_after_response_bytes": 10}},
              {"action": {"delay_ms": 250}, "times": 4, "every": 2},
              {"action": {"cut_after_request_bytes": 7}},
              {"action": {"respond": {"status": 500, "content_type": "text/plain",
                                      "body": "oops"}}},
              {"action": {"respond": {"status": 400, "body": {"detail": "bad"}}}}
            ]"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan[0].method.as_deref(), Some("GET"));
        assert_eq!(
            plan[1].action,
            FaultAction::Delay(Duration::from_millis(250))
        );
        assert_eq!((plan[1].times, plan[1].every), (4, 2));
        assert_eq!(plan[2].action, FaultAction::CutAfterRequestBytes(7));
        assert_eq!(
            plan[4].action,
            FaultAction::Respond {
                status: 400,
                content_type: "application/json".into(),
                body: r#"{"detail":"bad"}"#.into(),
                headers: vec![],
            }
        );
        let round_trip = serde_json::to_string(&plan).unwrap_or_default();
        assert_eq!(Fault::plan_from_json(&round_trip).ok(), Some(plan));

        let zero = Fault::plan_from_json(r#"[{"times": 0, "action": {"delay_ms": 1}}]"#);
        assert!(zero.unwrap_err().to_string().contains("times = 0"));
        let typo = Fault::plan_from_json(r#"[{"action": {"dealy_ms": 1}}]"#);
        let message = typo.unwrap_err().to_string();
        assert!(
            message.contains("dealy_ms") && message.contains("expected a JSON array"),
            "{message}"
        );
    }

    #[test]
    fn patterns_match_whole_segments() {
        let content = Fault::delay(Duration::ZERO).on("get", "/files/*/content");
        assert!(content.matches("GET", "/files/file-1/content"));
        assert!(!content.matches("GET", "/files/file-1"));
        assert!(!content.matches("POST", "/files/file-1/content"));
        let any = Fault::delay(Duration::ZERO);
        assert!(any.matches("DELETE", "/anything/at/all"));
        let upload = Fault::delay(Duration::ZERO).on("POST", "/files");
        assert!(upload.matches("POST", "/files"));
        assert!(!upload.matches("POST", "/files/x"));
    }
}
