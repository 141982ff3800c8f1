//! The objects the Uploads API answers with: [`Upload`] and [`UploadPart`].

use serde::{Deserialize, Serialize};

use crate::file_objects::{optional_whole_number, whole_number};
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
    use crate::file_objects::tests::{
        Drawn, any_json, broken, defaulted_text, file_object_json, optional_whole, text,
        unknown_fields, whole,
    };
    use proptest::prelude::*;
    use serde_json::Value;

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

    /// The `file` of an Upload: left out or `null` (none), a file object as drawn, or (broken)
    /// a value that is no object.
    fn file_field(broken: bool) -> BoxedStrategy<Drawn<Option<FileObject>>> {
        let shaped = file_object_json()
            .prop_map(|(json, file)| Drawn::Sent(json, file.map(Some)))
            .boxed();
        let good = prop_oneof![
            1 => Just(Drawn::Missing),
            1 => Just(Drawn::Sent(Value::Null, Some(None))),
            2 => shaped,
        ];
        if broken {
            let bad = any_json()
                .prop_filter("no object", |v| !v.is_object() && !v.is_null())
                .prop_map(|v| Drawn::Sent(v, None));
            prop_oneof![3 => good, 1 => bad].boxed()
        } else {
            good.boxed()
        }
    }

    /// An Upload's JSON, its fields drawn one by one, with unknown fields (which it ignores);
    /// and the Upload it must decode to, or `None` when it must be refused.
    fn upload_json() -> impl Strategy<Value = (Value, Option<Upload>)> {
        broken().prop_flat_map(|b| {
            (
                (
                    text(b),
                    defaulted_text(b),
                    whole(b),
                    whole(b),
                    optional_whole(b),
                ),
                (text(b), text(b), text(b), file_field(b), unknown_fields()),
            )
                .prop_map(
                    |(
                        (id, object, bytes, created_at, expires_at),
                        (filename, purpose, status, file, extra),
                    )| {
                        let mut json = extra;
                        id.put(&mut json, "id");
                        object.put(&mut json, "object");
                        bytes.put(&mut json, "bytes");
                        created_at.put(&mut json, "created_at");
                        expires_at.put(&mut json, "expires_at");
                        filename.put(&mut json, "filename");
                        purpose.put(&mut json, "purpose");
                        status.put(&mut json, "status");
                        file.put(&mut json, "file");
                        let decoded = (|| {
                            Some(Upload {
                                id: id.required()?,
                                object: object.or("upload".to_owned())?,
                                bytes: bytes.required()?,
                                created_at: created_at.required()?,
                                expires_at: expires_at.optional()?,
                                filename: filename.required()?,
                                purpose: Purpose::new(purpose.required()?),
                                status: UploadStatus::new(status.required()?),
                                file: file.optional()?,
                            })
                        })();
                        (Value::Object(json), decoded)
                    },
                )
        })
    }

    /// An Upload part's JSON, drawn the same way; a part left without `created_at` was
    /// received at time 0.
    fn part_json() -> impl Strategy<Value = (Value, Option<UploadPart>)> {
        broken().prop_flat_map(|b| {
            (
                text(b),
                defaulted_text(b),
                prop_oneof![1 => Just(Drawn::Missing), 3 => whole(b)],
                text(b),
                unknown_fields(),
            )
                .prop_map(|(id, object, created_at, upload_id, extra)| {
                    let mut json = extra;
                    id.put(&mut json, "id");
                    object.put(&mut json, "object");
                    created_at.put(&mut json, "created_at");
                    upload_id.put(&mut json, "upload_id");
                    let decoded = (|| {
                        Some(UploadPart {
                            id: id.required()?,
                            object: object.or("upload.part".to_owned())?,
                            created_at: created_at.or(0)?,
                            upload_id: upload_id.required()?,
                        })
                    })();
                    (Value::Object(json), decoded)
                })
        })
    }

    /// Decodes `json` as `T`: what was put in, or a refusal when `expected` is `None`; and
    /// pieces of its text cut at `cuts` are refused — for their text, when the whole is valid.
    fn holds<T>(
        json: &Value,
        expected: Option<T>,
        cuts: &[prop::sample::Index],
    ) -> Result<(), TestCaseError>
    where
        T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let text = serde_json::to_vec(json).unwrap_or_default();
        let decoded = serde_json::from_slice::<T>(&text);
        match (&decoded, &expected) {
            (Ok(got), Some(expected)) => prop_assert_eq!(got, expected),
            (Err(_), None) => {}
            _ => prop_assert!(false, "{json}: got {decoded:?}, expected {expected:?}"),
        }
        for cut in cuts {
            let piece = &text[..cut.index(text.len())];
            match serde_json::from_slice::<T>(piece) {
                // A piece of a valid object is refused for its text, never for its shape:
                // cut short, or a malformed number (serde_json says so of a number cut in a
                // field the type ignores). A piece of a refused object may fail on the value
                // refused first.
                Err(e) => prop_assert!(
                    e.is_eof() || e.is_syntax() || expected.is_none(),
                    "{}: {e}",
                    String::from_utf8_lossy(piece)
                ),
                Ok(got) => {
                    prop_assert!(false, "{} decoded: {got:?}", String::from_utf8_lossy(piece))
                }
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = serde_json::from_slice::<Upload>(&bytes);
            let _ = serde_json::from_slice::<UploadPart>(&bytes);
        }

        /// An Upload of any drawn shape decodes to the values put in (unknown fields
        /// ignored), or is refused; cut anywhere, it is refused as cut short.
        #[test]
        fn a_drawn_upload_decodes_to_what_was_put_in(
            (json, expected) in upload_json(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 1..4),
        ) {
            holds(&json, expected, &cuts)?;
        }

        /// The same for an Upload part.
        #[test]
        fn a_drawn_part_decodes_to_what_was_put_in(
            (json, expected) in part_json(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 1..4),
        ) {
            holds(&json, expected, &cuts)?;
        }
    }
}
