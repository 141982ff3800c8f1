//! The shape of `spec/*.toml`, read and cross-checked.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// Everything in `spec/`.
#[derive(Debug)]
pub struct Spec {
    pub prefix_bytes: usize,
    pub formats: Vec<Format>,
    pub kinds: Vec<Kind>,
    pub providers: Vec<ProviderSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatsFile {
    prefix_bytes: usize,
    format: Vec<Format>,
}

/// One file format of `formats.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Format {
    pub name: String,
    pub label: String,
    pub extensions: Vec<String>,
    pub mime_types: Vec<String>,
    pub content: String,
    #[serde(default)]
    pub signatures: Vec<SignatureSpec>,
}

/// Leading bytes: hex, `??` for any byte, from `offset`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    #[serde(default)]
    pub offset: usize,
    pub hex: String,
}

impl SignatureSpec {
    /// The bytes, `None` for a wildcard.
    pub fn bytes(&self) -> Result<Vec<Option<u8>>, String> {
        let hex = self.hex.replace(' ', "");
        if !hex.len().is_multiple_of(2) || hex.is_empty() {
            return Err(format!("signature {:?} is not whole bytes", self.hex));
        }
        (0..hex.len())
            .step_by(2)
            .map(|i| match &hex[i..i + 2] {
                "??" => Ok(None),
                pair => u8::from_str_radix(pair, 16)
                    .map(Some)
                    .map_err(|_| format!("signature {:?} has a bad byte {pair:?}", self.hex)),
            })
            .collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorsFile {
    kind: Vec<Kind>,
}

/// One kind of API error, from `errors.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub name: String,
    pub doc: String,
    pub hint: String,
    pub statuses: Vec<u16>,
    pub when_code: Option<String>,
    pub when_status: Option<u16>,
}

/// One provider's file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub provider: ProviderInfo,
    pub site: Vec<Site>,
    pub endpoints: BTreeMap<String, String>,
    pub list: ListSpec,
    pub expires_after: Option<ExpiresAfter>,
    pub account: Account,
    pub uploads: Option<Uploads>,
    pub purpose: Vec<PurposeSpec>,
    pub error: Vec<ErrorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderInfo {
    pub name: String,
    pub id: String,
    pub api_key_env: String,
    pub auth: String,
    pub url_upload: bool,
    pub content: String,
    pub file_statuses: Vec<String>,
    pub response_only_purposes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub name: String,
    pub base_url: String,
    pub purposes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpec {
    pub parameters: Vec<String>,
    pub limit: Option<[u64; 2]>,
    pub default_limit: Option<u64>,
    #[serde(default)]
    pub orders: Vec<String>,
    pub default_order: Option<String>,
    pub pagination: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiresAfter {
    pub anchor: String,
    pub min_seconds: u64,
    pub max_seconds: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub max_files: u64,
    pub max_total_bytes: u64,
    pub total_label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uploads {
    pub max_bytes: u64,
    pub max_part_bytes: u64,
    pub switch_above: u64,
    pub expires_after_seconds: u64,
    pub purposes: Vec<String>,
    pub statuses: Vec<String>,
}

/// `"any"` or a list of format names.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FormatsSpec {
    Any(String),
    Only(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurposeSpec {
    pub name: String,
    pub doc: String,
    pub max_bytes: u64,
    pub formats: FormatsSpec,
    #[serde(default)]
    pub static_gif: bool,
    pub wav_seconds: Option<[u32; 2]>,
    #[serde(default)]
    pub wav_note: String,
    pub deprecated: Option<String>,
    pub default_expires_after: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    pub status: u16,
    pub code: Option<String>,
    pub kind: String,
    pub meaning: String,
}

/// The provider files, in the order the outputs list them.
pub const PROVIDER_FILES: [&str; 2] = ["openai.toml", "stepfun.toml"];

fn read<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Result<T, String> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("could not read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("spec/{name} is not valid: {e}"))
}

impl Spec {
    /// Reads `spec/` under `root` and checks that its parts agree.
    pub fn load(root: &Path) -> Result<Spec, String> {
        let dir = root.join("spec");
        let formats: FormatsFile = read(&dir, "formats.toml")?;
        let errors: ErrorsFile = read(&dir, "errors.toml")?;
        let providers = PROVIDER_FILES
            .iter()
            .map(|name| read(&dir, name))
            .collect::<Result<Vec<ProviderSpec>, String>>()?;
        let spec = Spec {
            prefix_bytes: formats.prefix_bytes,
            formats: formats.format,
            kinds: errors.kind,
            providers,
        };
        spec.cross_check()?;
        Ok(spec)
    }

    /// The kind a status means for any server, from `errors.toml`.
    pub fn kind_of_status(&self, status: u16) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.statuses.contains(&status))
    }

    fn cross_check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for format in &self.formats {
            for signature in &format.signatures {
                if let Err(e) = signature.bytes() {
                    problems.push(format!("format {}: {e}", format.name));
                }
            }
            match format.content.as_str() {
                "signature" if format.signatures.is_empty() => problems.push(format!(
                    "format {} is matched by signature but has none",
                    format.name
                )),
                "signature" | "text" | "jsonl" => {}
                other => {
                    problems.push(format!("format {}: unknown content {other:?}", format.name))
                }
            }
            if format.mime_types.is_empty() || format.extensions.is_empty() {
                problems.push(format!(
                    "format {} needs extensions and MIME types",
                    format.name
                ));
            }
        }
        for kind in &self.kinds {
            for status in &kind.statuses {
                let owners: Vec<&str> = self
                    .kinds
                    .iter()
                    .filter(|k| k.statuses.contains(status))
                    .map(|k| k.name.as_str())
                    .collect();
                if owners.len() > 1 {
                    problems.push(format!("status {status} has two kinds: {owners:?}"));
                }
            }
        }
        for p in &self.providers {
            let name = &p.provider.name;
            let purposes: Vec<&str> = p.purpose.iter().map(|x| x.name.as_str()).collect();
            for purpose in &p.purpose {
                if let FormatsSpec::Only(list) = &purpose.formats {
                    for f in list {
                        if !self.formats.iter().any(|x| &x.name == f) {
                            problems.push(format!(
                                "{name} purpose {}: unknown format {f}",
                                purpose.name
                            ));
                        }
                    }
                }
                if let FormatsSpec::Any(word) = &purpose.formats
                    && word != "any"
                {
                    problems.push(format!(
                        "{name} purpose {}: formats is \"any\" or a list",
                        purpose.name
                    ));
                }
                if purpose.wav_seconds.is_some() && purpose.wav_note.is_empty() {
                    problems.push(format!(
                        "{name} purpose {}: wav_seconds needs a wav_note (what the audio is for)",
                        purpose.name
                    ));
                }
                if let Some(instead) = &purpose.deprecated
                    && !purposes.contains(&instead.as_str())
                {
                    problems.push(format!(
                        "{name} purpose {}: replaced by unknown {instead}",
                        purpose.name
                    ));
                }
            }
            let uploads = p.uploads.iter().flat_map(|u| &u.purposes);
            for purpose in p.site.iter().flat_map(|s| &s.purposes).chain(uploads) {
                if !purposes.contains(&purpose.as_str()) {
                    problems.push(format!(
                        "{name}: {purpose} is listed but has no [[purpose]]"
                    ));
                }
            }
            if !matches!(
                p.provider.content.as_str(),
                "original_bytes" | "extracted_text"
            ) {
                problems.push(format!(
                    "{name}: content is \"original_bytes\" or \"extracted_text\", not {:?}",
                    p.provider.content
                ));
            }
            if p.site.is_empty() {
                problems.push(format!("{name} needs at least one [[site]]"));
            }
            for error in &p.error {
                if !self.kinds.iter().any(|k| k.name == error.kind) {
                    problems.push(format!(
                        "{name} status {}: unknown kind {}",
                        error.status, error.kind
                    ));
                    continue;
                }
                let generic = match &error.code {
                    Some(code) => self.kinds.iter().find(|k| {
                        k.when_code.as_ref() == Some(code) && k.when_status == Some(error.status)
                    }),
                    None => self.kind_of_status(error.status),
                };
                if generic.map(|k| k.name.as_str()) != Some(error.kind.as_str()) {
                    problems.push(format!(
                        "{name} says status {} is {}, but errors.toml gives it {}; the client \
                         sorts errors by errors.toml, so change one of them",
                        error.status,
                        error.kind,
                        generic.map_or("no kind", |k| k.name.as_str())
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "spec/ is inconsistent:\n  {}",
                problems.join("\n  ")
            ))
        }
    }
}
