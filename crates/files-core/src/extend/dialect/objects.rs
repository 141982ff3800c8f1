//! The names and value forms of a file object's fields, and the rewrite of a provider's
//! object into the form [`FileObject`](crate::FileObject) reads.

use serde_json::{Map, Value};

/// How a time is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeForm {
    /// Unix seconds, as a number or a string of digits.
    Unix,
    /// An RFC 3339 date and time, e.g. `2025-04-14T12:00:00Z`; Unix seconds are still read.
    Rfc3339,
}

/// A file object's field names and value forms. Sizes and Unix times are read from a
/// number, a fraction or a string of digits whatever the dialect says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectFields {
    /// The size field: `bytes`, `size_bytes`.
    pub bytes: String,
    /// The creation time field: `created_at`.
    pub created_at: String,
    /// How times are written.
    pub time_form: TimeForm,
    /// The file name field: `filename`.
    pub filename: String,
}

impl ObjectFields {
    /// OpenAI's: `bytes`, `filename`, and `created_at` in Unix seconds.
    pub fn openai() -> Self {
        ObjectFields {
            bytes: "bytes".to_owned(),
            created_at: "created_at".to_owned(),
            time_form: TimeForm::Unix,
            filename: "filename".to_owned(),
        }
    }

    /// Whether objects need no rewrite: the names and forms are OpenAI's.
    pub fn is_openai(&self) -> bool {
        *self == ObjectFields::openai()
    }

    /// Rewrites one file object into OpenAI's names and forms: the size, time and name
    /// fields renamed, and RFC 3339 times turned into Unix seconds. A value that is not a
    /// time is left as it is, for the decoder to refuse with the field's name.
    pub(crate) fn normalize(&self, object: &mut Map<String, Value>) {
        for (from, to) in [
            (&self.bytes, "bytes"),
            (&self.created_at, "created_at"),
            (&self.filename, "filename"),
        ] {
            if from != to
                && !object.contains_key(to)
                && let Some(value) = object.remove(from.as_str())
            {
                object.insert(to.to_owned(), value);
            }
        }
        if self.time_form == TimeForm::Rfc3339 {
            for field in ["created_at", "expires_at"] {
                if let Some(Value::String(text)) = object.get(field)
                    && let Some(seconds) = unix_seconds(text)
                {
                    object.insert(field.to_owned(), Value::from(seconds));
                }
            }
        }
    }
}

/// The Unix seconds of an RFC 3339 time (a fraction dropped); `None` when it is not one or
/// lies before 1970.
pub(crate) fn unix_seconds(text: &str) -> Option<u64> {
    let time =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    u64::try_from(time.unix_timestamp()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gateway() -> ObjectFields {
        ObjectFields {
            bytes: "size_bytes".to_owned(),
            created_at: "created".to_owned(),
            time_form: TimeForm::Rfc3339,
            filename: "name".to_owned(),
        }
    }

    #[test]
    fn a_gateway_object_is_read_as_openai_s() {
        let mut object = serde_json::json!({
            "id": "f1", "size_bytes": "42", "created": "2025-04-14T12:00:00.5+02:00",
            "name": "a.txt", "purpose": "batch", "expires_at": "2025-04-15T10:00:00Z",
        });
        gateway().normalize(object.as_object_mut().unwrap());
        let file: crate::FileObject = serde_json::from_value(object).unwrap();
        assert_eq!(file.bytes, 42);
        assert_eq!(file.created_at, 1_744_624_800);
        assert_eq!(file.expires_at, Some(1_744_711_200));
        assert_eq!(file.filename, "a.txt");
    }

    #[test]
    fn a_time_that_is_not_rfc_3339_is_left_for_the_decoder() {
        let mut object = serde_json::json!({"created": "yesterday", "size_bytes": 1});
        gateway().normalize(object.as_object_mut().unwrap());
        assert_eq!(object["created_at"], "yesterday");
        let mut unix = serde_json::json!({"created": 1_700_000_000});
        gateway().normalize(unix.as_object_mut().unwrap());
        assert_eq!(unix["created_at"], 1_700_000_000);
    }

    #[test]
    fn openai_names_are_not_moved() {
        assert!(ObjectFields::openai().is_openai());
        assert!(!gateway().is_openai());
        let mut object = serde_json::json!({"bytes": 1, "size_bytes": 2});
        let mut fields = gateway();
        fields.time_form = TimeForm::Unix;
        fields.normalize(object.as_object_mut().unwrap());
        assert_eq!(object["bytes"], 1, "a canonical field present wins");
    }

    proptest! {
        #[test]
        fn every_rfc_3339_second_since_1970_round_trips(seconds in 0i64..4_102_444_800) {
            let time = time::OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            let text = time.format(&time::format_description::well_known::Rfc3339).unwrap();
            prop_assert_eq!(unix_seconds(&text), Some(seconds as u64));
        }

        #[test]
        fn any_text_is_read_without_a_panic(text in "\\PC{0,40}") {
            let _ = unix_seconds(&text);
        }
    }
}
