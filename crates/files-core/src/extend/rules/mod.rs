//! Provider rules as data, and the pure checks that apply them before a byte is sent.
//!
//! The tables come from `spec/` at the workspace root: `cargo xtask codegen` writes the format
//! catalogue here ([`FORMATS`]) and each provider's [`ProviderRules`] into its crate, whose
//! table the emulator uses too, so client and emulator enforce the same rules. [`ProviderRules::check`] applies a
//! provider's rules to an [`UploadCheck`](crate::provider::UploadCheck): the purpose (and the site's purposes), the size, the
//! format by extension and by leading bytes, and the expiry. It refuses with a
//! [`ValidationError`](crate::ValidationError) whose [`RuleKind`] says which rule failed, and
//! returns the
//! [`UploadWarning`]s of what it accepted with a caveat.
//!
//! ```
//! use files_core::extend::rules::{FORMATS, ProviderRules, PurposeRule, Formats};
//! use files_core::extend::provider::UploadCheck;
//! use files_core::{Purpose, RuleKind};
//!
//! static RULES: ProviderRules = ProviderRules {
//!     provider: "Example",
//!     purposes: &[PurposeRule {
//!         name: "batch",
//!         max_bytes: 1024,
//!         formats: Formats::Only(&["jsonl"]),
//!         ..PurposeRule::EMPTY
//!     }],
//!     ..ProviderRules::EMPTY
//! };
//! let purpose = Purpose::BATCH;
//! let ok = UploadCheck::new(&purpose, Some("a.jsonl"), Some(14)).with_prefix(b"{\"a\":1}\n{\"b\":2}");
//! assert!(RULES.check(None, &ok).is_ok());
//! let csv = UploadCheck::new(&purpose, Some("a.csv"), Some(5)).with_prefix(b"a,b\n1");
//! assert_eq!(RULES.check(None, &csv).unwrap_err().kind, RuleKind::FormatNotAccepted);
//! # let _ = FORMATS;
//! ```

mod check;
mod content;
#[rustfmt::skip]
mod formats;
mod media;
mod near_miss;
mod sniff;

pub use check::{animated_gif, size_label};
pub use formats::FORMATS;
pub(crate) use formats::PREFIX_BYTES;
pub use media::GifImages;

use std::fmt;

/// How a format's leading bytes are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentRule {
    /// The file starts with one of these signatures.
    Signatures(&'static [Signature]),
    /// UTF-8 text without NUL bytes.
    Text,
    /// Text whose complete lines are each a JSON object (blank lines allowed).
    JsonLines,
}

/// Leading bytes that identify a format: `bytes` read from `offset`, where `None` matches any
/// byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// Where the bytes start.
    pub offset: usize,
    /// The bytes; `None` is a wildcard.
    pub bytes: &'static [Option<u8>],
}

impl Signature {
    /// Whether `prefix` starts with this signature (a prefix too short never matches).
    pub fn matches(&self, prefix: &[u8]) -> bool {
        let Some(window) = prefix.get(self.offset..self.offset + self.bytes.len()) else {
            return false;
        };
        window
            .iter()
            .zip(self.bytes)
            .all(|(byte, want)| want.is_none_or(|w| w == *byte))
    }

    /// How many leading bytes it takes to decide.
    pub fn end(&self) -> usize {
        self.offset + self.bytes.len()
    }
}

/// A file format: its names, extensions, MIME types and how its bytes are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatRule {
    /// The short name the specs use, e.g. `jpeg`.
    pub name: &'static str,
    /// What people call it, e.g. `JPEG image`.
    pub label: &'static str,
    /// The file name extensions, lower case, without the dot.
    pub extensions: &'static [&'static str],
    /// The MIME types; the first is sent as the file part's Content-Type.
    pub mime_types: &'static [&'static str],
    /// How its bytes are recognised.
    pub content: ContentRule,
}

impl FormatRule {
    /// The catalogue entry named `name`.
    pub fn named(name: &str) -> Option<&'static FormatRule> {
        FORMATS.iter().find(|f| f.name == name)
    }

    /// The catalogue entry for the extension of `filename` (case ignored).
    pub fn of_file_name(filename: &str) -> Option<&'static FormatRule> {
        let ext = extension(filename)?;
        FORMATS
            .iter()
            .find(|f| f.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)))
    }

    /// `label (.ext1, .ext2)`, for messages.
    pub fn describe(&self) -> String {
        let exts: Vec<String> = self.extensions.iter().map(|e| format!(".{e}")).collect();
        format!("{} ({})", self.label, exts.join(", "))
    }
}

/// The extension of `filename` (after its last dot), if it has one.
pub(crate) fn extension(filename: &str) -> Option<&str> {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Some(ext),
        _ => None,
    }
}

/// Which formats a purpose accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formats {
    /// Any format (a file whose bytes contradict a known extension is still refused).
    Any,
    /// Only these, by [`FormatRule::name`].
    Only(&'static [&'static str]),
}

/// One purpose's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurposeRule {
    /// The purpose's wire value.
    pub name: &'static str,
    /// What it is for.
    pub doc: &'static str,
    /// The largest accepted file, in bytes.
    pub max_bytes: u64,
    /// The accepted formats.
    pub formats: Formats,
    /// A GIF must hold one image (StepFun `storage`).
    pub static_gif: bool,
    /// A WAV should last this many seconds, inclusive (a warning otherwise).
    pub wav_seconds: Option<(u32, u32)>,
    /// What such audio is for, in the warning (e.g. `voice-cloning audio`).
    pub wav_note: &'static str,
    /// Deprecated in favour of this purpose: accepted with a warning.
    pub deprecated: Option<&'static str>,
    /// Seconds after which the provider expires such a file when no expiry is given.
    pub default_expires_after: Option<u64>,
}

impl PurposeRule {
    /// A rule with nothing set, for `..PurposeRule::EMPTY` in tables.
    pub const EMPTY: PurposeRule = PurposeRule {
        name: "",
        doc: "",
        max_bytes: u64::MAX,
        formats: Formats::Any,
        static_gif: false,
        wav_seconds: None,
        wav_note: "",
        deprecated: None,
        default_expires_after: None,
    };
}

/// One site of a provider (StepFun has two) and the purposes it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteRule {
    /// The site's name, e.g. `china`.
    pub name: &'static str,
    /// Its API base URL.
    pub base_url: &'static str,
    /// The purposes it accepts on upload.
    pub purposes: &'static [&'static str],
}

/// The allowed range of an upload's expiry, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiresAfterRule {
    /// The anchor the expiry counts from (`created_at`).
    pub anchor: &'static str,
    /// The shortest expiry.
    pub min_seconds: u64,
    /// The longest expiry.
    pub max_seconds: u64,
}

/// The page sizes a list takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLimitRule {
    /// The smallest `limit`.
    pub min: u32,
    /// The largest `limit`.
    pub max: u32,
    /// The page size when no `limit` is given.
    pub default: u32,
}

/// Per-account caps; 0 means none documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountCaps {
    /// The most files an account may hold.
    pub max_files: u64,
    /// The most bytes an account (or project) may hold.
    pub max_total_bytes: u64,
}

/// The limits of OpenAI's Uploads API (large files in parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadsRule {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// The largest part, in bytes.
    pub max_part_bytes: u64,
    /// A local file larger than this goes through the Uploads API instead of `POST /files`.
    pub switch_above: u64,
    /// How long an Upload stays open after it is created, in seconds.
    pub expires_after_seconds: u64,
    /// The purposes an Upload may have.
    pub purposes: &'static [&'static str],
}

/// Everything a provider's upload rules say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderRules {
    /// The provider's name, for messages.
    pub provider: &'static str,
    /// Its sites; a client at another base URL accepts what any of them accepts.
    pub sites: &'static [SiteRule],
    /// The purposes accepted on upload.
    pub purposes: &'static [PurposeRule],
    /// Whether it uploads from a remote URL.
    pub url_upload: bool,
    /// The expiry range, if uploads may carry one.
    pub expires_after: Option<ExpiresAfterRule>,
    /// The page sizes a list takes, if it takes a `limit`.
    pub list_limit: Option<ListLimitRule>,
    /// Per-account caps.
    pub account: AccountCaps,
    /// The Uploads API limits, if it has one.
    pub uploads: Option<UploadsRule>,
}

impl ProviderRules {
    /// Rules with nothing set, for `..ProviderRules::EMPTY` in tables.
    pub const EMPTY: ProviderRules = ProviderRules {
        provider: "",
        sites: &[],
        purposes: &[],
        url_upload: false,
        expires_after: None,
        list_limit: None,
        account: AccountCaps {
            max_files: 0,
            max_total_bytes: 0,
        },
        uploads: None,
    };

    /// The rule for `purpose`, if it is accepted on upload.
    pub fn purpose(&self, purpose: &str) -> Option<&'static PurposeRule> {
        self.purposes.iter().find(|p| p.name == purpose)
    }

    /// The site named `name`.
    pub fn site(&self, name: &str) -> Option<&'static SiteRule> {
        self.sites.iter().find(|s| s.name == name)
    }

    /// The site whose base URL is `base_url` (a trailing `/` ignored).
    pub fn site_at(&self, base_url: &str) -> Option<&'static SiteRule> {
        let url = base_url.trim_end_matches('/');
        self.sites.iter().find(|s| s.base_url == url)
    }
}

/// Which upload rule a [`ValidationError`] is about, for callers that match on it.
///
/// [`ValidationError`]: crate::ValidationError
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleKind {
    /// A malformed input: a base URL, a header, a missing name. Not a provider rule.
    Input,
    /// The provider does not accept this purpose on upload.
    PurposeNotAccepted,
    /// The provider accepts this purpose, but not on this site.
    PurposeNotOnSite,
    /// The file is empty.
    EmptyFile,
    /// The file is larger than the purpose accepts.
    FileTooLarge,
    /// The file's extension is not one of the purpose's formats (or it has none).
    FormatNotAccepted,
    /// The file's bytes contradict its extension.
    ContentMismatch,
    /// A JSON Lines file has a line that is not a JSON object.
    NotJsonLines,
    /// An animated GIF where only a static one is accepted.
    AnimatedGif,
    /// The expiry is outside the accepted range.
    ExpiresAfterOutOfRange,
    /// A remote URL that is not `http://` or `https://`.
    UrlScheme,
    /// The provider lacks the feature the request needs (a URL upload, an expiry).
    Unsupported,
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleKind::Input => "input",
            RuleKind::PurposeNotAccepted => "purpose not accepted",
            RuleKind::PurposeNotOnSite => "purpose not on this site",
            RuleKind::EmptyFile => "empty file",
            RuleKind::FileTooLarge => "file too large",
            RuleKind::FormatNotAccepted => "format not accepted",
            RuleKind::ContentMismatch => "content does not match the extension",
            RuleKind::NotJsonLines => "not JSON Lines",
            RuleKind::AnimatedGif => "animated GIF",
            RuleKind::ExpiresAfterOutOfRange => "expiry out of range",
            RuleKind::UrlScheme => "URL scheme",
            RuleKind::Unsupported => "unsupported by the provider",
        })
    }
}

/// Something an accepted upload should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadWarning {
    /// Which caveat.
    pub kind: WarningKind,
    /// What it means and what to do, in words.
    pub message: String,
}

/// Which caveat an [`UploadWarning`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// The purpose is deprecated; another replaces it.
    DeprecatedPurpose,
    /// Audio whose length is outside what its use wants (StepFun voice cloning: 5–10 s).
    AudioDuration,
    /// Text that is not UTF-8 (another encoding): the provider may misread it.
    TextEncoding,
    /// A purpose the provider's rules do not know: sent as given, with no size or format
    /// check (none is known for it).
    UnknownPurpose,
}

impl fmt::Display for UploadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_shows_its_message() {
        let warning = UploadWarning {
            kind: WarningKind::DeprecatedPurpose,
            message: "`assistants` is deprecated; use `user_data`".to_owned(),
        };
        assert_eq!(
            warning.to_string(),
            "`assistants` is deprecated; use `user_data`"
        );
    }

    #[test]
    fn a_signature_decides_after_its_offset_and_bytes() {
        let sig = Signature {
            offset: 4,
            bytes: &[Some(b'f'), None, Some(b'p')],
        };
        assert_eq!(sig.end(), 7);
        assert!(sig.matches(b"....fxp"));
        assert!(!sig.matches(b"....fx"), "a prefix too short never matches");
    }

    #[test]
    fn a_format_describes_itself_with_its_extensions() {
        let jpeg = FormatRule::named("jpeg").unwrap();
        assert_eq!(jpeg.describe(), "JPEG image (.jpg, .jpeg)");
    }

    #[test]
    fn a_site_is_found_by_its_base_url_with_or_without_a_trailing_slash() {
        static SITES: [SiteRule; 2] = [
            SiteRule {
                name: "global",
                base_url: "https://api.example.com/v1",
                purposes: &["a"],
            },
            SiteRule {
                name: "china",
                base_url: "https://api.example.cn/v1",
                purposes: &["b"],
            },
        ];
        let rules = ProviderRules {
            sites: &SITES,
            ..ProviderRules::EMPTY
        };
        let name = |url| rules.site_at(url).map(|s| s.name);
        assert_eq!(name("https://api.example.cn/v1"), Some("china"));
        assert_eq!(name("https://api.example.com/v1/"), Some("global"));
        assert_eq!(name("https://api.example.com/v2"), None);
        assert_eq!(
            rules.site("china").map(|s| s.base_url),
            Some(SITES[1].base_url)
        );
    }
}
