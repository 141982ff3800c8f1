//! The Uploads API's four requests as exchanges of their own, for callers who drive the
//! steps themselves ([`UploadInParts`](super::UploadInParts) runs them all).

use super::exchange::Exchange;
use super::upload_parts::decode_upload;
use crate::body::PathRange;
use crate::options::RequestOptions;
use crate::provider::Provider;
use crate::uploads::{NewUpload, Upload, UploadPart};
use crate::wire::{
    Boundary, build_add_part, build_cancel_upload, build_complete_upload, build_create_upload,
    finish_json,
};

impl Exchange<Upload> {
    /// Creates an Upload (`POST /uploads`).
    pub fn create_upload(
        provider: &dyn Provider,
        upload: &NewUpload,
        options: &RequestOptions,
    ) -> Self {
        Exchange::json(
            "uploads.create",
            build_create_upload(provider, upload),
            decode_upload,
            options,
        )
    }

    /// Completes an Upload with its part ids in file order and, optionally, the file's MD5.
    pub fn complete_upload(
        provider: &dyn Provider,
        upload_id: &str,
        part_ids: &[String],
        md5: Option<&str>,
        options: &RequestOptions,
    ) -> Self {
        Exchange::json(
            "uploads.complete",
            build_complete_upload(provider, upload_id, part_ids, md5),
            decode_upload,
            options,
        )
    }

    /// Cancels an Upload.
    pub fn cancel_upload(
        provider: &dyn Provider,
        upload_id: &str,
        options: &RequestOptions,
    ) -> Self {
        Exchange::json(
            "uploads.cancel",
            build_cancel_upload(provider, upload_id),
            decode_upload,
            options,
        )
    }
}

impl Exchange<UploadPart> {
    /// Adds `range` of a local file to an Upload as one part; `boundary` frames the form.
    pub fn add_part(
        provider: &dyn Provider,
        upload_id: &str,
        range: PathRange,
        boundary: Boundary,
        options: &RequestOptions,
    ) -> Self {
        Exchange::json(
            "uploads.add_part",
            build_add_part(provider, upload_id, range, boundary),
            |head, body| finish_json(head, body, "an Upload part"),
            options,
        )
    }
}
