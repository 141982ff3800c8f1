//! The objects the Files API answers with: [`FileObject`], [`FileList`], [`DeletedFile`].
//!
//! Fields a provider may leave out are `Option`s, and unknown fields are ignored, so a newer
//! server does not break an older client.

use serde::{Deserialize, Serialize};

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
    pub bytes: u64,
    /// When it was created, in Unix seconds.
    pub created_at: u64,
    /// The file name the server recorded.
    pub filename: String,
    /// What the file is for.
    pub purpose: Purpose,
    /// Processing status, when the provider sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FileStatus>,
    /// When the file expires, in Unix seconds (OpenAI, when an expiry is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// Why processing failed (OpenAI, deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
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
