//! What transport, provider and driver authors need, and most callers never touch: the pure
//! request builders, the multipart layout, and the response decoders.
//!
//! Each builder checks its request against the provider before a byte is sent and returns an
//! `http::Request` whose body is a [`Body`](crate::body::Body) description; each decoder takes
//! a response's head and body bytes and gives a typed object or an error a person can act on.

mod file_form;
mod multipart;
mod objects;
mod request;
mod response;
mod uploads_api;

pub use file_form::build_upload;
pub(crate) use file_form::check_upload;
pub use multipart::{Boundary, MultipartBody, escape_quoted};
pub(crate) use multipart::{file_name_of, guess_content_type};
pub(crate) use objects::total_of;
pub use objects::{decode_file, decode_list};
pub use request::USER_AGENT;
pub(crate) use request::{
    build_content, build_content_from, build_delete, build_list, build_retrieve,
};
#[cfg(test)]
pub(crate) use response::requested_wait;
pub(crate) use response::{MAX_ERROR_BODY, MAX_JSON_BODY, finish_json, snippet};
pub use response::{REQUEST_ID_HEADERS, api_error, request_id};
pub(crate) use uploads_api::{
    build_add_part, build_add_part_bytes, build_cancel_upload, build_complete_upload,
    build_create_upload,
};

#[cfg(test)]
pub(crate) mod tests;
