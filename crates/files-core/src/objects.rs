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
mod tests {
    use super::*;

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
