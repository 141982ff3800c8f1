//! The objects the Uploads API answers with: [`Upload`] and [`UploadPart`].

use serde::{Deserialize, Serialize};

use crate::objects::{optional_whole_number, whole_number};
use crate::open_string::open_string;
use crate::{FileObject, Purpose};

open_string! {
    /// The status of an [`Upload`].
    UploadStatus {
        /// Open: parts may be added.
        PENDING = "pending",
        /// Completed: its `file` is the File made of the parts.
        COMPLETED = "completed",
        /// Cancelled: no more parts are taken.
        CANCELLED = "cancelled",
        /// Expired an hour after it was created, before it was completed.
        EXPIRED = "expired",
    }
}

/// An Upload: a file that is sent in parts and becomes a [`FileObject`] when completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Upload {
    /// The Upload's id, e.g. `upload_abc123`.
    pub id: String,
    /// The object type; always `upload`.
    #[serde(default = "upload_object_type")]
    pub object: String,
    /// The size the file will have, in bytes, as declared at creation.
    #[serde(deserialize_with = "whole_number")]
    pub bytes: u64,
    /// When it was created, in Unix seconds.
    #[serde(deserialize_with = "whole_number")]
    pub created_at: u64,
    /// When it expires, in Unix seconds (an hour after creation on OpenAI).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_whole_number"
    )]
    pub expires_at: Option<u64>,
    /// The file's name.
    pub filename: String,
    /// What the file is for.
    pub purpose: Purpose,
    /// Where the Upload stands.
    pub status: UploadStatus,
    /// The file made of the parts, once the Upload is completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileObject>,
}

fn upload_object_type() -> String {
    "upload".to_owned()
}

/// One part of an [`Upload`], as the server recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadPart {
    /// The part's id, e.g. `part_abc123`: what completing the Upload lists, in file order.
    pub id: String,
    /// The object type; always `upload.part`.
    #[serde(default = "part_object_type")]
    pub object: String,
    /// When it was received, in Unix seconds.
    #[serde(default, deserialize_with = "whole_number")]
    pub created_at: u64,
    /// The Upload it belongs to.
    pub upload_id: String,
}

fn part_object_type() -> String {
    "upload.part".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_upload_and_its_part_decode_as_documented() {
        let upload: Upload = serde_json::from_str(
            r#"{"id":"upload_1","object":"upload","bytes":10,"created_at":1700000000,
                "expires_at":1700003600,"filename":"a.jsonl","purpose":"batch",
                "status":"pending","file":null}"#,
        )
        .unwrap();
        assert_eq!(upload.status, UploadStatus::PENDING);
        assert_eq!(upload.expires_at, Some(1_700_003_600));
        assert!(upload.file.is_none());
        let part: UploadPart = serde_json::from_str(
            r#"{"id":"part_1","object":"upload.part","created_at":1700000001,"upload_id":"upload_1"}"#,
        )
        .unwrap();
        assert_eq!(part.upload_id, "upload_1");
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = serde_json::from_slice::<Upload>(&bytes);
            let _ = serde_json::from_slice::<UploadPart>(&bytes);
        }
    }
}
