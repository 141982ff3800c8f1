//! The objects the Files API answers with: [`FileObject`], [`FileList`], [`DeletedFile`].
//!
//! Fields a provider may leave out are `Option`s, and unknown fields are kept as JSON values
//! (`extra`), so a newer server does not break an older client and the object serializes back
//! as received. Being kept, an unknown field must be valid JSON that `serde_json` can hold (a
//! number beyond `f64`, a lone surrogate escape, fail the object as they would anywhere). Sizes and times are read from an integer, a float
//! (as some compatible servers send) or a string of digits.

use serde::{Deserialize, Deserializer, Serialize};

use crate::{FileStatus, Purpose};

/// A file stored by the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileObject {
    /// The file's id, e.g. `file-abc123`.
    pub id: String,
    /// The object type; always `file`.
    #[serde(default = "file_object_type")]
    pub object: String,
    /// The size in bytes.
    #[serde(deserialize_with = "whole_number")]
    pub bytes: u64,
    /// When it was created, in Unix seconds.
    #[serde(deserialize_with = "whole_number")]
    pub created_at: u64,
    /// The file name the server recorded.
    pub filename: String,
    /// What the file is for.
    pub purpose: Purpose,
    /// Processing status, when the provider sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FileStatus>,
    /// When the file expires, in Unix seconds (OpenAI, when an expiry is set).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_whole_number"
    )]
    pub expires_at: Option<u64>,
    /// Why processing failed (OpenAI, deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// The fields the provider sent that the ones above do not name, kept as received, so
    /// the object serializes back to what the server said.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A count or a time in seconds as servers write it: `1700000000`, `1700000000.25` (the
/// fraction is dropped), or `"1700000000"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Whole(u64),
    Fraction(f64),
    Text(String),
}

impl Number {
    fn whole<E: serde::de::Error>(self) -> Result<u64, E> {
        let fraction = |f: f64| {
            (f.is_finite() && f >= 0.0 && f < u64::MAX as f64)
                .then_some(f as u64)
                .ok_or_else(|| E::custom(format!("{f} is not a size or a time in seconds")))
        };
        match self {
            Number::Whole(n) => Ok(n),
            Number::Fraction(f) => fraction(f),
            Number::Text(t) => match t.trim().parse::<u64>() {
                Ok(n) => Ok(n),
                Err(_) => match t.trim().parse::<f64>() {
                    Ok(f) => fraction(f),
                    Err(_) => Err(E::custom(format!(
                        "{t:?} is not a size or a time in seconds"
                    ))),
                },
            },
        }
    }
}

pub(crate) fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Number::deserialize(deserializer)?.whole()
}

pub(crate) fn optional_whole_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    Option::<Number>::deserialize(deserializer)?
        .map(Number::whole)
        .transpose()
}

fn file_object_type() -> String {
    "file".to_owned()
}

/// One page of a file listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileList {
    /// The files on this page.
    pub data: Vec<FileObject>,
    /// Whether more files follow (OpenAI); `None` when the provider does not paginate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// The first file id on this page (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_id: Option<String>,
    /// The last file id on this page: pass it as `after` for the next page (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<String>,
    /// The fields the provider sent that the ones above do not name (`object`, say), kept
    /// as received.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl FileList {
    /// The cursor for the next page, when the server says there is one.
    pub fn next_cursor(&self) -> Option<&str> {
        if self.has_more != Some(true) {
            return None;
        }
        self.last_id
            .as_deref()
            .or_else(|| self.data.last().map(|f| f.id.as_str()))
    }
}

/// The answer to a delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedFile {
    /// The id of the deleted file.
    pub id: String,
    /// The object type; `file`.
    #[serde(default = "file_object_type")]
    pub object: String,
    /// Whether the server deleted it.
    pub deleted: bool,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    /// A field of a JSON object as a property test draws it: left out, or sent as a value
    /// with what it must decode to (`None`: the value must be refused).
    #[derive(Debug, Clone)]
    pub(crate) enum Drawn<T> {
        /// Not in the object.
        Missing,
        /// In the object as this value, decoding to this (or refused).
        Sent(Value, Option<T>),
    }

    impl<T: Clone> Drawn<T> {
        /// What a required field decodes to: nothing when it is left out or refused.
        pub(crate) fn required(&self) -> Option<T> {
            match self {
                Drawn::Missing => None,
                Drawn::Sent(_, decoded) => decoded.clone(),
            }
        }

        /// What a field with a default decodes to: `default` when it is left out.
        pub(crate) fn or(&self, default: T) -> Option<T> {
            match self {
                Drawn::Missing => Some(default),
                Drawn::Sent(_, decoded) => decoded.clone(),
            }
        }

        /// Puts the field into `object` as `key`, unless it is left out.
        pub(crate) fn put(&self, object: &mut Map<String, Value>, key: &str) {
            if let Drawn::Sent(value, _) = self {
                object.insert(key.to_owned(), value.clone());
            }
        }
    }

    impl<T: Clone> Drawn<Option<T>> {
        /// What an optional field decodes to: `None` when it is left out.
        pub(crate) fn optional(&self) -> Option<Option<T>> {
            self.or(None)
        }
    }

    /// Any JSON value, nested a little: null, booleans, numbers, strings, arrays, objects.
    pub(crate) fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            // Quarters, which JSON text carries exactly: serde_json's default parser may
            // read a float with many digits one unit in the last place off.
            (-1_000_000_000i64..1_000_000_000, 0u8..4)
                .prop_map(|(n, q)| Value::from(n as f64 + f64::from(q) / 4.0)),
            "\\PC{0,10}".prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z]{1,5}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Any JSON value but a string.
    pub(crate) fn not_a_string() -> impl Strategy<Value = Value> {
        any_json().prop_filter("not a string", |v| !v.is_string())
    }

    /// A field as a server that follows the API sends it (`broken` false), or also left out
    /// and of the wrong type (`broken` true).
    fn field<T: Clone + std::fmt::Debug + 'static>(
        good: BoxedStrategy<Drawn<T>>,
        bad: BoxedStrategy<Drawn<T>>,
        broken: bool,
    ) -> BoxedStrategy<Drawn<T>> {
        if broken {
            prop_oneof![3 => good, 1 => bad, 1 => Just(Drawn::Missing)].boxed()
        } else {
            good
        }
    }

    /// A text field: a string; broken, also left out or a value of another type.
    pub(crate) fn text(broken: bool) -> BoxedStrategy<Drawn<String>> {
        field(
            "\\PC{0,12}"
                .prop_map(|s| Drawn::Sent(Value::String(s.clone()), Some(s)))
                .boxed(),
            not_a_string().prop_map(|v| Drawn::Sent(v, None)).boxed(),
            broken,
        )
    }

    /// A text field with a default: as [`text`], and left out even when not broken.
    pub(crate) fn defaulted_text(broken: bool) -> BoxedStrategy<Drawn<String>> {
        prop_oneof![1 => Just(Drawn::Missing), 3 => text(broken)].boxed()
    }

    /// A size or a time in seconds as servers write it: an integer, a float whose fraction is
    /// dropped, a string of digits or of a fraction, blanks around it. Broken, also as no
    /// server should (negative, too large, words, other types), or left out.
    pub(crate) fn whole(broken: bool) -> BoxedStrategy<Drawn<u64>> {
        let sent = |v: Value, n: Option<u64>| Drawn::Sent(v, n);
        let good = prop_oneof![
            3 => any::<u64>().prop_map(move |n| sent(Value::from(n), Some(n))),
            1 => (0u64..1 << 40, 0u8..4).prop_map(move |(n, quarters)| {
                sent(Value::from(n as f64 + f64::from(quarters) / 4.0), Some(n))
            }),
            1 => (any::<u64>(), "[ ]{0,2}", "[ ]{0,2}")
                .prop_map(move |(n, l, r)| sent(Value::String(format!("{l}{n}{r}")), Some(n))),
            1 => (0u64..1 << 40).prop_map(move |n| sent(Value::String(format!("{n}.5")), Some(n))),
        ];
        let bad = prop_oneof![
            (i64::MIN..0).prop_map(move |n| sent(Value::from(n), None)),
            (-1e12..-0.01f64).prop_map(move |f| sent(Value::from(f), None)),
            (1e20..1e300f64).prop_map(move |f| sent(Value::from(f), None)),
            "[a-z]{1,8}".prop_map(move |s| sent(Value::String(s), None)),
            not_a_string()
                .prop_filter("not a number", |v| !v.is_number())
                .prop_map(move |v| sent(v, None)),
        ];
        field(good.boxed(), bad.boxed(), broken)
    }

    /// Wraps what a field decodes to in `Some`, for an optional field.
    fn some<T: Clone>(drawn: Drawn<T>) -> Drawn<Option<T>> {
        match drawn {
            Drawn::Missing => Drawn::Missing,
            Drawn::Sent(v, decoded) => Drawn::Sent(v, decoded.map(Some)),
        }
    }

    /// An optional size or time: as [`whole`], or `null` or left out (none).
    pub(crate) fn optional_whole(broken: bool) -> BoxedStrategy<Drawn<Option<u64>>> {
        prop_oneof![
            1 => Just(Drawn::Sent(Value::Null, Some(None))),
            1 => Just(Drawn::Missing),
            3 => whole(broken).prop_map(|d| match d {
                // `null` is a value of another type for a number, but none for an optional one.
                Drawn::Sent(Value::Null, _) => Drawn::Sent(Value::Null, Some(None)),
                other => some(other),
            }),
        ]
        .boxed()
    }

    /// An optional text: as [`text`], or `null` or left out (none).
    pub(crate) fn optional_text(broken: bool) -> BoxedStrategy<Drawn<Option<String>>> {
        prop_oneof![
            1 => Just(Drawn::Sent(Value::Null, Some(None))),
            1 => Just(Drawn::Missing),
            3 => text(broken).prop_map(|d| match d {
                // `null` is a value of another type for a text, but none for an optional one.
                Drawn::Sent(Value::Null, _) => Drawn::Sent(Value::Null, Some(None)),
                other => some(other),
            }),
        ]
        .boxed()
    }

    /// Either every field as the API documents it, or each one possibly broken.
    pub(crate) fn broken() -> impl Strategy<Value = bool> {
        prop_oneof![Just(false), Just(true)]
    }

    /// Fields no version of the API names (`x_…`), with any values.
    pub(crate) fn unknown_fields() -> impl Strategy<Value = Map<String, Value>> {
        proptest::collection::btree_map("x_[a-z]{1,6}", any_json(), 0..3)
            .prop_map(|m| m.into_iter().collect())
    }

    /// A file object's JSON, its fields drawn one by one (left out, of a wrong type, in the
    /// shapes compatible servers send), with unknown fields added; and the file it must
    /// decode to, or `None` when it must be refused.
    pub(crate) fn file_object_json() -> impl Strategy<Value = (Value, Option<FileObject>)> {
        broken().prop_flat_map(file_object_fields)
    }

    fn file_object_fields(b: bool) -> impl Strategy<Value = (Value, Option<FileObject>)> {
        (
            (text(b), defaulted_text(b), whole(b), whole(b), text(b)),
            (
                text(b),
                optional_text(b),
                optional_whole(b),
                optional_text(b),
            ),
            unknown_fields(),
        )
            .prop_map(
                |(
                    (id, object, bytes, created_at, filename),
                    (purpose, status, expires_at, status_details),
                    extra,
                )| {
                    let mut json = extra.clone();
                    id.put(&mut json, "id");
                    object.put(&mut json, "object");
                    bytes.put(&mut json, "bytes");
                    created_at.put(&mut json, "created_at");
                    filename.put(&mut json, "filename");
                    purpose.put(&mut json, "purpose");
                    status.put(&mut json, "status");
                    expires_at.put(&mut json, "expires_at");
                    status_details.put(&mut json, "status_details");
                    let decoded = (|| {
                        Some(FileObject {
                            id: id.required()?,
                            object: object.or("file".to_owned())?,
                            bytes: bytes.required()?,
                            created_at: created_at.required()?,
                            filename: filename.required()?,
                            purpose: Purpose::new(purpose.required()?),
                            status: status.optional()?.map(FileStatus::new),
                            expires_at: expires_at.optional()?,
                            status_details: status_details.optional()?,
                            extra,
                        })
                    })();
                    (Value::Object(json), decoded)
                },
            )
    }

    proptest! {
        /// A file object of any drawn shape decodes to the values put in, or is refused; and
        /// what decodes serializes back to the object that came.
        #[test]
        fn a_drawn_file_object_decodes_to_what_was_put_in((json, expected) in file_object_json()) {
            let text = serde_json::to_vec(&json).unwrap_or_default();
            let decoded = serde_json::from_slice::<FileObject>(&text);
            match (&decoded, &expected) {
                (Ok(file), Some(expected)) => prop_assert_eq!(file, expected),
                (Err(_), None) => {}
                _ => prop_assert!(false, "{json}: got {decoded:?}, expected {expected:?}"),
            }
            if let Ok(file) = decoded {
                let again = serde_json::to_value(&file).unwrap_or_default();
                prop_assert_eq!(again["id"].as_str(), Some(file.id.as_str()));
                prop_assert_eq!(again["bytes"].as_u64(), Some(file.bytes));
                for (key, value) in &file.extra {
                    prop_assert_eq!(&again[key], value);
                }
            }
        }
    }

    #[test]
    fn stepfun_file_without_optional_fields_decodes() {
        let f: FileObject = serde_json::from_str(
            r#"{"id":"file-abc123","object":"file","bytes":140,"created_at":1613779121,
                "filename":"productImage.png","purpose":"storage"}"#,
        )
        .unwrap();
        assert_eq!(f.purpose, Purpose::STORAGE);
        assert_eq!(f.status, None);
        assert_eq!(f.expires_at, None);
    }

    #[test]
    fn openai_file_with_nulls_and_unknown_fields_decodes() {
        let f: FileObject = serde_json::from_str(
            r#"{"id":"file-1","object":"file","bytes":3,"created_at":1,"filename":"a.jsonl",
                "purpose":"batch_output","status":"processed","expires_at":null,
                "status_details":null,"some_future_field":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(f.purpose, Purpose::BATCH_OUTPUT);
        assert_eq!(f.status, Some(FileStatus::PROCESSED));
        // Kept as received, and written back out.
        assert_eq!(f.extra["some_future_field"], serde_json::json!({"x": 1}));
        let again = serde_json::to_value(&f).unwrap();
        assert_eq!(again["some_future_field"], serde_json::json!({"x": 1}));
        assert_eq!(again["id"], "file-1");
    }

    #[test]
    fn compatible_servers_numbers_and_statuses_decode() {
        let f: FileObject = serde_json::from_str(
            r#"{"id":"f","bytes":"12","created_at":1700000000.75,"filename":"a",
                "purpose":"batch","status":"running","expires_at":"1800000000"}"#,
        )
        .unwrap();
        assert_eq!(
            (f.bytes, f.created_at, f.expires_at),
            (12, 1_700_000_000, Some(1_800_000_000))
        );
        assert_eq!(f.status.as_ref().map(|s| s.as_str()), Some("running"));
        assert_eq!(f.object, "file", "a missing object type defaults");
        for status in ["pending", "running", "success", "deleting", "uploaded"] {
            let f: FileObject = serde_json::from_str(&format!(
                r#"{{"id":"f","bytes":1,"created_at":1,"filename":"a","purpose":"x","status":"{status}"}}"#
            ))
            .unwrap();
            assert_eq!(
                f.status.map(|s| s.as_str().to_owned()),
                Some(status.to_owned())
            );
        }
        for bad in [r#""soon""#, "-1", "1e30", "null"] {
            let text = format!(
                r#"{{"id":"f","bytes":1,"created_at":{bad},"filename":"a","purpose":"x"}}"#
            );
            assert!(serde_json::from_str::<FileObject>(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_cursor_follows_has_more() {
        let page: FileList = serde_json::from_str(
            r#"{"object":"list","data":[],"first_id":"a","last_id":"b","has_more":true}"#,
        )
        .unwrap();
        assert_eq!(page.next_cursor(), Some("b"));
        let stepfun: FileList = serde_json::from_str(r#"{"object":"list","data":[]}"#).unwrap();
        assert_eq!(stepfun.next_cursor(), None);
        assert_eq!(stepfun.has_more, None);
    }
}
