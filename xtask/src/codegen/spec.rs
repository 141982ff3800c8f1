//! The shape of `spec/*.toml`, read and cross-checked.

use std::path::Path;

use serde::Deserialize;

/// Everything in `spec/`.
#[derive(Debug)]
pub struct Spec {
    pub prefix_bytes: usize,
    pub formats: Vec<Format>,
    pub kinds: Vec<Kind>,
    pub providers: Vec<ProviderSpec>,
    /// Each provider file's name and text, for the bundled copies.
    pub texts: Vec<(String, String)>,
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

pub use files_spec::model::{FormatsSpec, SpecFile as ProviderSpec};

/// The provider files, in the order the outputs list them.
pub const PROVIDER_FILES: [&str; 8] = [
    "openai.toml",
    "stepfun.toml",
    "azure.toml",
    "moonshot.toml",
    "dashscope.toml",
    "mistral.toml",
    "groq.toml",
    "zhipu.toml",
];

/// The providers whose crates hold their generated rules (`crates/provider-<id>/src/rules.rs`).
pub const RULE_CRATES: [&str; 2] = ["openai", "stepfun"];

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
        let mut providers = Vec::new();
        let mut texts = Vec::new();
        for name in PROVIDER_FILES {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("could not read {}: {e}", path.display()))?;
            let origin = format!("spec/{name}");
            providers.push(files_spec::read(&origin, &text).map_err(|e| e.to_string())?);
            texts.push((name.to_owned(), text));
        }
        let spec = Spec {
            texts,
            prefix_bytes: formats.prefix_bytes,
            formats: formats.format,
            kinds: errors.kind,
            providers,
        };
        spec.cross_check()?;
        Ok(spec)
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
        let formats: Vec<&str> = self.formats.iter().map(|f| f.name.as_str()).collect();
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.name.as_str()).collect();
        let catalogue = files_spec::Catalogue {
            formats: &formats,
            kinds: &kinds,
        };
        for (p, (name, _)) in self.providers.iter().zip(&self.texts) {
            if let Err(e) = files_spec::check(&format!("spec/{name}"), p, catalogue) {
                problems.push(e.to_string());
            }
            if format!("{}.toml", p.provider.id) != *name {
                problems.push(format!(
                    "spec/{name}: [provider] id is {:?}; the file is named for it",
                    p.provider.id
                ));
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
