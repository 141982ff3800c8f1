//! The shape of a provider spec file, field by field, as TOML holds it. [`SpecFile`] is what
//! `toml` reads; [`ProviderSpec`](crate::ProviderSpec) is the checked result the client and
//! the emulator use. `cargo xtask codegen` reads the bundled files through the same types.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One provider's file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SpecFile {
    pub provider: ProviderInfo,
    #[serde(default)]
    pub auth: AuthSpec,
    pub site: Vec<Site>,
    #[serde(default)]
    pub endpoints: Endpoints,
    #[serde(default)]
    pub form: FormSpec,
    #[serde(default)]
    pub list: ListSpec,
    #[serde(default)]
    pub object: ObjectSpec,
    pub expires_after: Option<ExpiresAfter>,
    #[serde(default)]
    pub account: Account,
    pub uploads: Option<Uploads>,
    #[serde(default)]
    pub purpose: Vec<PurposeSpec>,
    #[serde(default)]
    pub error: Vec<ErrorSpec>,
}

/// `[provider]`: names, variables and features.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ProviderInfo {
    pub name: String,
    pub id: String,
    pub api_key_env: String,
    pub base_url_env: Option<String>,
    pub api_version_env: Option<String>,
    #[serde(default)]
    pub auth_note: String,
    /// `"full"`: errors carry `message`, `type`, `param` and `code` (OpenAI); `"short"`:
    /// only `message` and `type` (StepFun, Moonshot).
    #[serde(default = "default_envelope")]
    pub error_envelope: String,
    #[serde(default = "default_request_ids")]
    pub request_id_headers: Vec<String>,
    #[serde(default)]
    pub url_upload: bool,
    #[serde(default = "default_content")]
    pub content: String,
    #[serde(default)]
    pub file_statuses: Vec<String>,
    #[serde(default)]
    pub response_only_purposes: Vec<String>,
}

fn default_request_ids() -> Vec<String> {
    vec!["x-request-id".to_owned()]
}

fn default_envelope() -> String {
    "full".to_owned()
}

fn default_content() -> String {
    "unknown".to_owned()
}

/// `[auth]`: how the key is sent, and fixed headers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct AuthSpec {
    pub style: String,
    pub header: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// The sites that take `Authorization: Bearer KEY` as well as the header (Azure's v1
    /// API); the client still sends the header, the emulator accepts either there.
    pub bearer_too: Vec<String>,
}

impl Default for AuthSpec {
    fn default() -> Self {
        AuthSpec {
            style: "bearer".to_owned(),
            header: None,
            headers: BTreeMap::new(),
            bearer_too: Vec::new(),
        }
    }
}

/// `[[site]]`: a base URL (which may hold `{endpoint}`), its purposes, its fixed query.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Site {
    pub name: String,
    pub base_url: String,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

/// `[endpoints]`: each operation's path; `{id}` is the file id. Without the table, OpenAI's
/// paths (content included, no Uploads API); in a table, a missing `content` or `uploads`
/// means the API has none.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Endpoints {
    #[serde(default = "default_files")]
    pub files: String,
    #[serde(default = "default_file")]
    pub file: String,
    pub content: Option<String>,
    pub uploads: Option<String>,
}

fn default_files() -> String {
    "/files".to_owned()
}

fn default_file() -> String {
    "/files/{id}".to_owned()
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            files: default_files(),
            file: default_file(),
            content: Some("/files/{id}/content".to_owned()),
            uploads: None,
        }
    }
}

/// `[form]`: the upload form's field names.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct FormSpec {
    pub file: String,
    pub purpose: String,
    pub purpose_required: bool,
    pub url: Option<String>,
}

impl Default for FormSpec {
    fn default() -> Self {
        FormSpec {
            file: "file".to_owned(),
            purpose: "purpose".to_owned(),
            purpose_required: true,
            url: None,
        }
    }
}

/// `[list]`: the listing's parameters and paging.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ListSpec {
    pub purpose: Option<String>,
    pub limit: Option<LimitSpec>,
    pub order: Option<OrderSpec>,
    pub paging: String,
    pub cursor: Option<CursorSpec>,
    pub pages: Option<PagesSpec>,
    pub documented: bool,
}

impl Default for ListSpec {
    fn default() -> Self {
        ListSpec {
            purpose: None,
            limit: None,
            order: None,
            paging: "none".to_owned(),
            cursor: None,
            pages: None,
            documented: true,
        }
    }
}

/// `limit = { name, min, max, default }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct LimitSpec {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub default: Option<u32>,
}

/// `order = { name, values, default }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OrderSpec {
    pub name: String,
    pub values: Vec<String>,
    pub default: Option<String>,
}

/// `cursor = { param, has_more, last_id }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CursorSpec {
    pub param: String,
    #[serde(default = "default_has_more")]
    pub has_more: String,
    pub last_id: Option<String>,
}

fn default_has_more() -> String {
    "has_more".to_owned()
}

/// `pages = { page, size, first, total }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PagesSpec {
    pub page: String,
    pub size: String,
    #[serde(default)]
    pub first: u64,
    pub total: Option<String>,
}

/// `[object]`: a file object's field names and time form.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ObjectSpec {
    pub bytes: String,
    pub created_at: String,
    pub time: String,
    pub filename: String,
}

impl Default for ObjectSpec {
    fn default() -> Self {
        ObjectSpec {
            bytes: "bytes".to_owned(),
            created_at: "created_at".to_owned(),
            time: "unix".to_owned(),
            filename: "filename".to_owned(),
        }
    }
}

/// `[expires_after]`: the range of an upload's expiry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpiresAfter {
    pub anchor: String,
    pub min_seconds: u64,
    pub max_seconds: u64,
}

/// `[account]`: caps; 0 is "not documented".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Account {
    #[serde(default)]
    pub max_files: u64,
    #[serde(default)]
    pub max_total_bytes: u64,
    #[serde(default)]
    pub total_label: String,
}

/// `[uploads]`: the Uploads API's limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Uploads {
    pub max_bytes: u64,
    pub max_part_bytes: u64,
    pub switch_above: u64,
    pub expires_after_seconds: u64,
    pub purposes: Vec<String>,
    pub statuses: Vec<String>,
}

/// `"any"`, `"unknown"`, or a list of format names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
#[allow(missing_docs)]
pub enum FormatsSpec {
    Word(String),
    Only(Vec<String>),
}

/// `[[purpose]]`: one purpose's limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PurposeSpec {
    pub name: String,
    #[serde(default)]
    pub doc: String,
    /// `None`: not documented (nothing is refused for its size).
    pub max_bytes: Option<u64>,
    #[serde(default = "unknown_formats")]
    pub formats: FormatsSpec,
    #[serde(default)]
    pub static_gif: bool,
    pub wav_seconds: Option<[u32; 2]>,
    #[serde(default)]
    pub wav_note: String,
    pub deprecated: Option<String>,
    pub default_expires_after: Option<u64>,
}

fn unknown_formats() -> FormatsSpec {
    FormatsSpec::Word("unknown".to_owned())
}

/// `[[error]]`: a status (with a code) and the kind it means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ErrorSpec {
    pub status: u16,
    pub code: Option<String>,
    pub kind: String,
    #[serde(default)]
    pub meaning: String,
    pub retry: Option<bool>,
}
