//! The Uploads API's four requests as exchanges of their own, for callers who drive the
//! steps themselves ([`UploadInParts`](super::UploadInParts) runs them all).

use std::sync::Arc;

use bytes::Bytes;

use super::exchange::Exchange;
use super::upload_parts::decode_upload;
use super::{Event, Next, Notice, Now, Operation};
use crate::body::{Body, PathRange};
use crate::error::Error;
use crate::options::RequestOptions;
use crate::provider::Provider;
use crate::uploads::{NewUpload, Upload, UploadPart};
use crate::wire::{
    Boundary, build_add_part, build_add_part_bytes, build_cancel_upload, build_complete_upload,
    build_create_upload, finish_json,
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
            provider.dialect(),
            build_create_upload(provider, upload, options.extra_json_fields()),
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
            provider.dialect(),
            build_complete_upload(
                provider,
                upload_id,
                part_ids,
                md5,
                options.extra_json_fields(),
            ),
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
            provider.dialect(),
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
        Self::part(
            provider,
            build_add_part(provider, upload_id, range, boundary),
            options,
        )
    }

    /// Adds `data`, in memory, to an Upload as one part; `boundary` frames the form.
    pub fn add_part_bytes(
        provider: &dyn Provider,
        upload_id: &str,
        data: Bytes,
        boundary: Boundary,
        options: &RequestOptions,
    ) -> Self {
        Self::part(
            provider,
            build_add_part_bytes(provider, upload_id, data, boundary),
            options,
        )
    }

    /// The exchange of a part's request, whichever source it was built from.
    fn part(
        provider: &dyn Provider,
        request: Result<http::Request<Body>, Error>,
        options: &RequestOptions,
    ) -> Self {
        Exchange::json(
            "uploads.add_part",
            provider.dialect(),
            request,
            |_, head, body| finish_json(head, body, "an Upload part"),
            options,
        )
    }
}

/// Adds a range of a local file to an Upload as one part ([`Exchange::add_part`]), drawing the
/// form's boundary from the random number of its first poll, as every machine draws its
/// random numbers from the driver.
pub struct AddPart {
    provider: Arc<dyn Provider>,
    upload_id: String,
    range: PathRange,
    options: RequestOptions,
    exchange: Option<Exchange<UploadPart>>,
}

impl std::fmt::Debug for AddPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddPart")
            .field("upload_id", &self.upload_id)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl AddPart {
    /// Adds `range` to the Upload `upload_id`.
    pub fn new(
        provider: Arc<dyn Provider>,
        upload_id: impl Into<String>,
        range: PathRange,
        options: RequestOptions,
    ) -> Self {
        AddPart {
            provider,
            upload_id: upload_id.into(),
            range,
            options,
            exchange: None,
        }
    }
}

impl Operation for AddPart {
    type Output = UploadPart;

    fn name(&self) -> &'static str {
        "uploads.add_part"
    }

    fn poll(&mut self, now: Now, random: u128) -> Next<UploadPart> {
        let exchange = self.exchange.get_or_insert_with(|| {
            Exchange::add_part(
                &*self.provider,
                &self.upload_id,
                self.range.clone(),
                Boundary::from_random(random),
                &self.options,
            )
        });
        exchange.poll(now, random)
    }

    fn handle(&mut self, event: Event, now: Now) {
        if let Some(exchange) = &mut self.exchange {
            exchange.handle(event, now);
        }
    }

    fn poll_notice(&mut self) -> Option<Notice> {
        self.exchange.as_mut()?.poll_notice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::scenario::Scenario;
    use crate::wire::tests::TestProvider;

    #[test]
    fn a_part_s_boundary_comes_from_the_driver_s_random_number() {
        let range = PathRange::whole("/data/big.bin", 10);
        let provider: Arc<dyn Provider> = Arc::new(TestProvider::openai_like());
        let mut s = Scenario::new(AddPart::new(
            provider,
            "upload_1",
            range,
            RequestOptions::new(),
        ));
        let expected = Boundary::from_random(s.random());
        let attempt = s.expect_send();
        let content_type = attempt.request.headers()["content-type"].to_str().unwrap();
        assert_eq!(
            content_type,
            format!("multipart/form-data; boundary={}", expected.as_str())
        );
        s.respond(
            200,
            &[],
            r#"{"id":"part_1","object":"upload.part","upload_id":"upload_1","created_at":1}"#,
        );
        assert_eq!(s.expect_done().unwrap().id, "part_1");
        assert_eq!(s.op.name(), "uploads.add_part");
    }

    #[test]
    fn a_part_s_retry_is_queued_for_the_observer() {
        struct Anyone;
        impl crate::Observer for Anyone {}
        let provider: Arc<dyn Provider> = Arc::new(TestProvider::openai_like());
        let options = RequestOptions::new().observer(Arc::new(Anyone));
        let range = PathRange::whole("/data/big.bin", 10);
        let mut s = Scenario::new(AddPart::new(provider, "upload_1", range, options));
        s.expect_send();
        s.respond(503, &[], "");
        s.expect_sleep();
        let queued = s.notices();
        let [crate::ops::News::Retrying(notice)] = &queued[..] else {
            panic!("expected the retry to be queued, got {queued:?}")
        };
        assert_eq!(notice.operation, "uploads.add_part");
    }
}
