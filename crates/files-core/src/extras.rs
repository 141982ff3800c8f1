//! [`Extras`]: what a caller adds to requests beyond the documented API — query parameters
//! on every request, fields on the upload form, fields on the Uploads API's JSON bodies —
//! for a server that wants more than the API it copies (a gateway's `tenant`, LiteLLM's
//! `target_model_names`).
//!
//! Each is checked twice. When it is set: a name must not be empty, and neither a name nor a
//! text value may hold a line break or another control character (refused, never altered).
//! When a request is built: a name the client sends itself on that request (`purpose`,
//! `file`, the listing's `after`, a provider's `api-version`…) is refused, so an extra can
//! add to a request but never silently replace what the client decided. Either refusal comes
//! before anything is sent.

use crate::error::ValidationError;

/// Extra query parameters, form fields and JSON fields, in the order they were set (a name
/// set again replaces its value in place).
#[derive(Clone, Default, PartialEq)]
pub(crate) struct Extras {
    pub(crate) query: Vec<(String, String)>,
    pub(crate) form: Vec<(String, String)>,
    pub(crate) json: Vec<(String, serde_json::Value)>,
}

impl Extras {
    /// `self`'s extras over `base`'s: `self` wins for a name both have.
    pub(crate) fn over(&self, base: &Extras) -> Extras {
        let mut merged = base.clone();
        for (name, value) in &self.query {
            set(&mut merged.query, name, value.clone());
        }
        for (name, value) in &self.form {
            set(&mut merged.form, name, value.clone());
        }
        for (name, value) in &self.json {
            set(&mut merged.json, name, value.clone());
        }
        merged
    }
}

/// Sets `name` to `value` in `list`: replaced in place, or added at the end.
pub(crate) fn set<V>(list: &mut Vec<(String, V)>, name: &str, value: V) {
    match list.iter_mut().find(|(n, _)| n == name) {
        Some((_, old)) => *old = value,
        None => list.push((name.to_owned(), value)),
    }
}

/// Checks an extra's name: not empty, no control character.
pub(crate) fn check_name(what: &str, name: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::new(
            format!("{what} name"),
            "\"\"",
            "must not be empty",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new(
            format!("{what} name"),
            format!("{name:?}"),
            "must not contain line breaks or other control characters",
        ));
    }
    Ok(())
}

/// Checks an extra's text value: no control character. The value is not shown (it may be a
/// token).
pub(crate) fn check_value(what: &str, name: &str, value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(
            format!("{what} value"),
            format!("of {name} (not shown)"),
            "must not contain line breaks or other control characters",
        ));
    }
    Ok(())
}

/// Refuses the extra `name` when the client sends it itself on this request (`reserved`,
/// compared without regard to case).
pub(crate) fn refuse_reserved(
    what: &str,
    name: &str,
    reserved: &[&str],
    request: &str,
) -> Result<(), ValidationError> {
    if reserved.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(ValidationError::new(
            what,
            name,
            format!(
                "is sent by the client itself on {request}; an extra may add to a request but \
                 not replace what the client sends (the client's own is {})",
                reserved.join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_name_set_again_is_replaced_in_place() {
        let mut list = vec![("a".to_owned(), 1), ("b".to_owned(), 2)];
        set(&mut list, "a", 3);
        set(&mut list, "c", 4);
        assert_eq!(
            list,
            [
                ("a".to_owned(), 3),
                ("b".to_owned(), 2),
                ("c".to_owned(), 4)
            ]
        );
    }

    #[test]
    fn the_call_wins_over_the_client_by_name() {
        let client = Extras {
            query: vec![("tenant".into(), "a".into()), ("x".into(), "1".into())],
            form: vec![("f".into(), "client".into())],
            json: vec![("j".into(), json!(1))],
        };
        let call = Extras {
            query: vec![("tenant".into(), "b".into())],
            form: Vec::new(),
            json: vec![("j".into(), json!(2)), ("k".into(), json!("v"))],
        };
        let merged = call.over(&client);
        assert_eq!(
            merged.query,
            [
                ("tenant".to_owned(), "b".to_owned()),
                ("x".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(merged.form, [("f".to_owned(), "client".to_owned())]);
        assert_eq!(
            merged.json,
            [("j".to_owned(), json!(2)), ("k".to_owned(), json!("v"))]
        );
    }

    #[test]
    fn names_and_values_are_checked() {
        assert!(check_name("query parameter", "tenant").is_ok());
        let err = check_name("query parameter", " ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "query parameter name \"\": must not be empty"
        );
        let err = check_name("form field", "a\r\nb").unwrap_err();
        assert!(err.to_string().contains("line breaks"), "{err}");
        assert!(check_value("form field", "a", "gpt-4o, gpt-4o-mini").is_ok());
        let err = check_value("form field", "a", "x\r\nContent-Type: evil").unwrap_err();
        assert!(!err.to_string().contains("evil"), "not shown: {err}");
        assert!(err.to_string().contains("line breaks"), "{err}");
    }

    #[test]
    fn a_reserved_name_is_refused_whatever_its_case() {
        let err = refuse_reserved("form field", "Purpose", &["file", "purpose"], "the upload")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "form field Purpose: is sent by the client itself on the upload; an extra may add \
             to a request but not replace what the client sends (the client's own is file, \
             purpose)"
        );
        assert!(refuse_reserved("form field", "target_model_names", &["file"], "x").is_ok());
    }
}
