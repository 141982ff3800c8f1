//! [`ProviderRules::check`]: a provider's rules applied to one upload.

use super::content::check_content;
use super::media::{gif_image_count, wav_seconds};
use super::near_miss::near_miss;
use super::{
    FormatRule, Formats, ProviderRules, PurposeRule, RuleKind, SiteRule, UploadWarning,
    WarningKind, extension,
};
use crate::error::ValidationError;
use crate::provider::UploadCheck;

impl ProviderRules {
    /// Checks `upload` against these rules, at `site` (`None`: a base URL of no known site,
    /// which accepts what any site accepts). Returns the warnings of an accepted upload, or the
    /// first rule it breaks.
    ///
    /// What is checked depends on what `upload` carries: without a length, no size rule;
    /// without a prefix, no content rule (so a caller can check the metadata first and the
    /// bytes after); for a URL upload, no format rule (the provider fetches the bytes).
    pub fn check(
        &self,
        site: Option<&SiteRule>,
        upload: &UploadCheck<'_>,
    ) -> Result<Vec<UploadWarning>, ValidationError> {
        check_upload(self, site, upload)
    }
}

/// See [`ProviderRules::check`].
pub(crate) fn check_upload(
    rules: &ProviderRules,
    site: Option<&SiteRule>,
    upload: &UploadCheck<'_>,
) -> Result<Vec<UploadWarning>, ValidationError> {
    let mut warnings = Vec::new();
    let purpose = upload.purpose.as_str();
    let rule = rules.purpose(purpose);
    if rule.is_none() {
        let meant = near_miss(purpose, rules.purposes.iter().map(|p| p.name));
        if upload.strict_purpose || meant.is_some() {
            return Err(purpose_not_accepted(rules, site, purpose, meant));
        }
        warnings.push(UploadWarning {
            kind: WarningKind::UnknownPurpose,
            message: format!(
                "purpose `{purpose}` is not one {} documents for uploads ({}); it is sent as \
                 given, with no size or format check",
                rules.provider,
                purpose_list(&documented(rules, site))
            ),
        });
    }
    if let (Some(site), Some(_)) = (site, rule)
        && !site.purposes.contains(&purpose)
    {
        return Err(purpose_not_on_site(rules, site, purpose));
    }
    if let Some(instead) = rule.and_then(|r| r.deprecated) {
        warnings.push(UploadWarning {
            kind: WarningKind::DeprecatedPurpose,
            message: format!(
                "purpose `{purpose}` is deprecated on {}: use `{instead}` instead",
                rules.provider
            ),
        });
    }
    if let Some(url) = upload.url {
        if !rules.url_upload {
            return Err(ValidationError::new(
                "upload source",
                url,
                format!(
                    "{} does not upload from a URL; download the file and upload it",
                    rules.provider
                ),
            )
            .with_kind(RuleKind::Unsupported));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ValidationError::new(
                "upload URL",
                url,
                format!(
                    "{} fetches only http:// and https:// URLs; give the file's web address",
                    rules.provider
                ),
            )
            .with_kind(RuleKind::UrlScheme));
        }
    }
    if let (Some(seconds), Some(range)) = (upload.expires_after, rules.expires_after)
        && !(range.min_seconds..=range.max_seconds).contains(&seconds)
    {
        return Err(ValidationError::new(
            "expires_after",
            format!("{seconds} s"),
            format!(
                "{} accepts an expiry of {} to {} seconds ({} to {}); choose one in that range",
                rules.provider,
                range.min_seconds,
                range.max_seconds,
                duration_label(range.min_seconds),
                duration_label(range.max_seconds)
            ),
        )
        .with_limit(format!("{}..={}", range.min_seconds, range.max_seconds))
        .with_kind(RuleKind::ExpiresAfterOutOfRange));
    }
    let Some(rule) = rule else {
        return Ok(warnings);
    };
    let name = upload.filename.unwrap_or("the file");
    if let Some(len) = upload.len {
        if len == 0 {
            return Err(ValidationError::new(
                "file",
                format!("`{name}`"),
                "it is empty (0 bytes), so there is nothing to upload: check that it was \
                 written completely",
            )
            .with_kind(RuleKind::EmptyFile));
        }
        // The Uploads API lifts the `POST /files` cap, not a purpose's own smaller limit.
        let files_cap = rules.uploads.map_or(u64::MAX, |u| u.switch_above);
        let (max_bytes, limited_by) = match upload.size_limit {
            Some((bytes, by)) if rule.max_bytes >= files_cap => (bytes, by.to_owned()),
            _ => (rule.max_bytes, format!("purpose `{purpose}`")),
        };
        if len > max_bytes {
            return Err(ValidationError::new(
                "file",
                format!("`{name}` ({})", size_label(len)),
                format!(
                    "{limited_by} accepts at most {} ({} bytes) on {}; this file is {} \
                     bytes: compress or split it",
                    size_label(max_bytes),
                    max_bytes,
                    rules.provider,
                    len
                ),
            )
            .with_limit(max_bytes.to_string())
            .with_kind(RuleKind::FileTooLarge));
        }
    }
    if upload.url.is_some() {
        return Ok(warnings);
    }
    let Some(filename) = upload.filename else {
        return Ok(warnings);
    };
    let Some(format) = format_of(rules, site, rule, filename)? else {
        return Ok(warnings);
    };
    if let Some(prefix) = upload.prefix {
        let complete = upload.len.is_none_or(|len| prefix.len() as u64 >= len);
        warnings.extend(check_content(
            rules, rule, format, filename, prefix, complete,
        )?);
        if format.name == "gif" && rule.static_gif {
            let images = gif_image_count(prefix);
            if images > 1 {
                return Err(animated_gif(purpose, filename, images));
            }
        }
        if let (true, Some((low, high))) = (format.name == "wav", rule.wav_seconds)
            && let Some(seconds) = wav_seconds(prefix, upload.len)
            && !(f64::from(low)..=f64::from(high)).contains(&seconds)
        {
            warnings.push(UploadWarning {
                kind: WarningKind::AudioDuration,
                message: format!(
                    "`{filename}` lasts {seconds:.1} s; {} for purpose `{purpose}` should last \
                     {low} to {high} s: it is uploaded, but may not serve; trim or record it \
                     to {low}–{high} s",
                    rule.wav_note
                ),
            });
        }
    }
    Ok(warnings)
}

/// The refusal of an animated GIF of `images` images where `purpose` accepts only a static
/// one (the emulator gives it too, after walking the whole file).
pub fn animated_gif(purpose: &str, filename: &str, images: usize) -> ValidationError {
    ValidationError::new(
        "file",
        format!("`{filename}`"),
        format!(
            "it is an animated GIF of at least {images} images; purpose `{purpose}` accepts \
             only a static GIF, of 1 image: save one frame as its own GIF or PNG, or send the \
             animation as an MP4 video"
        ),
    )
    .with_limit("1 image")
    .with_kind(RuleKind::AnimatedGif)
}

/// The format `filename` claims by its extension: one the purpose accepts (else an error), or,
/// when the purpose takes any format, the catalogue's entry if there is one.
fn format_of(
    rules: &ProviderRules,
    site: Option<&SiteRule>,
    rule: &PurposeRule,
    filename: &str,
) -> Result<Option<&'static FormatRule>, ValidationError> {
    let Formats::Only(names) = rule.formats else {
        return Ok(FormatRule::of_file_name(filename));
    };
    let accepted: Vec<&'static FormatRule> =
        names.iter().filter_map(|n| FormatRule::named(n)).collect();
    let ext = extension(filename);
    if let Some(ext) = ext
        && let Some(format) = accepted
            .iter()
            .find(|f| f.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)))
    {
        return Ok(Some(format));
    }
    let list: Vec<String> = accepted.iter().map(|f| f.describe()).collect();
    let value = match ext {
        Some(ext) => format!("`{filename}` (.{ext})"),
        None => format!("`{filename}` (no extension)"),
    };
    // Another purpose that takes this extension, if there is one here.
    let elsewhere = FormatRule::of_file_name(filename).and_then(|format| {
        rules
            .purposes
            .iter()
            .filter(|p| p.deprecated.is_none())
            .filter(|p| site.is_none_or(|s| s.purposes.contains(&p.name)))
            .find(|p| matches!(p.formats, Formats::Only(f) if f.contains(&format.name)))
    });
    let hint = match elsewhere {
        Some(other) => format!("; purpose `{}` takes this format", other.name),
        None => String::new(),
    };
    Err(ValidationError::new(
        "file",
        value,
        format!(
            "purpose `{}` on {} accepts only {}; the file name's extension must name one of \
             them (convert the file, or rename it if it already is one){hint}",
            rule.name,
            rules.provider,
            list.join(", ")
        ),
    )
    .with_kind(RuleKind::FormatNotAccepted))
}

fn purpose_list(purposes: &[&str]) -> String {
    let list: Vec<String> = purposes.iter().map(|p| format!("`{p}`")).collect();
    list.join(", ")
}

/// The purposes the rules document for uploads at `site` (any site: all), deprecated ones
/// left out.
fn documented<'a>(rules: &'a ProviderRules, site: Option<&SiteRule>) -> Vec<&'a str> {
    rules
        .purposes
        .iter()
        .filter(|p| p.deprecated.is_none())
        .filter(|p| site.is_none_or(|s| s.purposes.contains(&p.name)))
        .map(|p| p.name)
        .collect()
}

/// The refusal of a purpose the rules do not know: a near miss of `meant`, or, checking
/// strictly, any.
fn purpose_not_accepted(
    rules: &ProviderRules,
    site: Option<&SiteRule>,
    purpose: &str,
    meant: Option<&str>,
) -> ValidationError {
    let names = documented(rules, site);
    let rule = match meant {
        Some(meant) => format!(
            "did you mean `{meant}`? {} documents no purpose `{purpose}` (it documents {}); \
             to send it as given anyway, turn validation off",
            rules.provider,
            purpose_list(&names)
        ),
        None => format!(
            "{} does not document it for uploads, and unknown purposes are refused (strict \
             checking); use one of {}",
            rules.provider,
            purpose_list(&names)
        ),
    };
    ValidationError::new("purpose", format!("`{purpose}`"), rule)
        .with_kind(RuleKind::PurposeNotAccepted)
}

fn purpose_not_on_site(rules: &ProviderRules, site: &SiteRule, purpose: &str) -> ValidationError {
    let elsewhere: Vec<String> = rules
        .sites
        .iter()
        .filter(|s| s.purposes.contains(&purpose))
        .map(|s| format!("the {} site ({})", s.name, s.base_url))
        .collect();
    let fix = if elsewhere.is_empty() {
        String::new()
    } else {
        format!("; it is accepted by {}", elsewhere.join(" and "))
    };
    ValidationError::new(
        "purpose",
        format!("`{purpose}`"),
        format!(
            "{}'s {} site ({}) accepts only {}{fix}",
            rules.provider,
            site.name,
            site.base_url,
            purpose_list(site.purposes)
        ),
    )
    .with_kind(RuleKind::PurposeNotOnSite)
}

/// A whole number of days, hours, minutes or seconds, for messages.
fn duration_label(seconds: u64) -> String {
    let unit = |n: u64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => unit(s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => unit(s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => unit(s / 60, "minute"),
        s => unit(s, "second"),
    }
}

/// A size for people, in the units the providers' documents use (1 MB = 2^20 bytes).
///
/// ```
/// assert_eq!(files_core::extend::rules::size_label(134_217_728), "128 MB");
/// assert_eq!(files_core::extend::rules::size_label(146_800_640), "140 MB");
/// assert_eq!(files_core::extend::rules::size_label(1_500), "1.5 KB");
/// ```
pub fn size_label(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "KB"),
    ];
    for (size, unit) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else {
                format!("{:.1} {unit}", bytes as f64 / size as f64)
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Purpose;
    use crate::rules::{ExpiresAfterRule, SiteRule};
    use proptest::prelude::*;

    static RULES: ProviderRules = ProviderRules {
        provider: "Example",
        sites: &[
            SiteRule {
                name: "small",
                base_url: "https://small.example/v1",
                purposes: &["media"],
            },
            SiteRule {
                name: "big",
                base_url: "https://big.example/v1",
                purposes: &["media", "docs"],
            },
        ],
        purposes: &[
            PurposeRule {
                name: "media",
                max_bytes: 1000,
                formats: Formats::Only(&["png", "gif", "wav"]),
                static_gif: true,
                wav_seconds: Some((5, 10)),
                ..PurposeRule::EMPTY
            },
            PurposeRule {
                name: "docs",
                max_bytes: 100,
                formats: Formats::Only(&["txt", "jsonl"]),
                ..PurposeRule::EMPTY
            },
            PurposeRule {
                name: "anything",
                formats: Formats::Any,
                ..PurposeRule::EMPTY
            },
        ],
        expires_after: Some(ExpiresAfterRule {
            anchor: "created_at",
            min_seconds: 10,
            max_seconds: 20,
        }),
        ..ProviderRules::EMPTY
    };

    fn kind_of(purpose: &str, name: &str, bytes: &[u8], site: Option<&str>) -> Option<RuleKind> {
        let purpose = Purpose::new(purpose);
        let check =
            UploadCheck::new(&purpose, Some(name), Some(bytes.len() as u64)).with_prefix(bytes);
        let site = site.and_then(|s| RULES.site(s));
        check_upload(&RULES, site, &check).err().map(|e| e.kind)
    }

    /// The outcome of an upload of 200 bytes (over every purpose's limit) named `a.bin`, for
    /// `purpose`, at the small site, strictly or not.
    fn unknown(purpose: &str, strict: bool) -> Result<Vec<UploadWarning>, ValidationError> {
        let purpose = Purpose::new(purpose);
        let check = UploadCheck::new(&purpose, Some("a.bin"), Some(200))
            .with_prefix(b"\0\x01")
            .with_strict_purpose(strict);
        check_upload(&RULES, RULES.site("small"), &check)
    }

    #[test]
    fn an_unknown_purpose_is_sent_with_a_warning_and_no_size_or_format_check() {
        let warnings = unknown("responses", false).unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].kind, WarningKind::UnknownPurpose);
        assert_eq!(
            warnings[0].message,
            "purpose `responses` is not one Example documents for uploads (`media`); it is sent as \
             given, with no size or format check"
        );
        let err = unknown("responses", true).unwrap_err();
        assert_eq!(err.kind, RuleKind::PurposeNotAccepted);
        assert_eq!(
            err.to_string(),
            "purpose `responses`: Example does not document it for uploads, and unknown purposes \
             are refused (strict \
             checking); use one of `media`"
        );
        // Its expiry is still checked: the range is the provider's, whatever the purpose.
        let purpose = Purpose::new("responses");
        let check = UploadCheck::new(&purpose, Some("a.bin"), Some(2)).with_expires_after(Some(5));
        assert_eq!(
            check_upload(&RULES, None, &check).unwrap_err().kind,
            RuleKind::ExpiresAfterOutOfRange
        );
    }

    #[test]
    fn a_near_miss_is_refused_naming_the_purpose_meant_strict_or_not() {
        for strict in [false, true] {
            let err = unknown("MEDIA", strict).unwrap_err();
            assert_eq!(err.kind, RuleKind::PurposeNotAccepted);
            assert_eq!(
                err.to_string(),
                "purpose `MEDIA`: did you mean `media`? Example documents no purpose `MEDIA` (it \
                 documents `media`); to send it as given anyway, turn validation off"
            );
            // A slip of a purpose of another site names that one.
            let err = unknown("doc", strict).unwrap_err();
            assert!(err.rule.starts_with("did you mean `docs`?"), "{err}");
        }
    }

    #[test]
    fn each_rule_refuses_with_its_kind() {
        let png = b"\x89PNG\r\n\x1a\n....";
        assert_eq!(kind_of("media", "a.png", png, Some("small")), None);
        assert_eq!(
            kind_of("Media", "a.png", png, None),
            Some(RuleKind::PurposeNotAccepted),
            "a near miss"
        );
        assert_eq!(
            kind_of("docs", "a.txt", b"t", Some("small")),
            Some(RuleKind::PurposeNotOnSite)
        );
        assert_eq!(kind_of("docs", "a.txt", b"t", Some("big")), None);
        assert_eq!(
            kind_of("docs", "a.txt", b"", None),
            Some(RuleKind::EmptyFile)
        );
        assert_eq!(
            kind_of("docs", "a.txt", &[b'a'; 101], None),
            Some(RuleKind::FileTooLarge)
        );
        assert_eq!(
            kind_of("docs", "a.md", b"t", None),
            Some(RuleKind::FormatNotAccepted)
        );
        assert_eq!(
            kind_of("docs", "a.txt", png, None),
            Some(RuleKind::ContentMismatch)
        );
        assert_eq!(
            kind_of("docs", "a.jsonl", b"{}\n1\n", None),
            Some(RuleKind::NotJsonLines)
        );
        assert_eq!(
            kind_of("docs", "a.jsonl", b"{}\r\n\n{\"a\":[1]}", None),
            None
        );
        assert_eq!(
            kind_of("anything", "a.png", b"GIF89a", None),
            Some(RuleKind::ContentMismatch)
        );
        assert_eq!(kind_of("anything", "a.weird", b"\0\x01", None), None);
        let mut animated = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
        for _ in 0..2 {
            animated.extend_from_slice(b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0");
        }
        assert_eq!(
            kind_of("media", "a.gif", &animated, None),
            Some(RuleKind::AnimatedGif)
        );
        animated.truncate(13 + 15);
        assert_eq!(
            kind_of("media", "a.gif", &animated, None),
            None,
            "one image is static"
        );
    }

    #[test]
    fn a_prefix_that_ends_mid_file_is_judged_only_on_what_it_holds() {
        let purpose = Purpose::new("docs");
        // A cut UTF-8 character and a cut last line, with more of the file to come.
        let check =
            UploadCheck::new(&purpose, Some("a.jsonl"), Some(90)).with_prefix(b"{\"a\":\"\xc3");
        assert!(check_upload(&RULES, None, &check).is_ok());
        let whole =
            UploadCheck::new(&purpose, Some("a.jsonl"), Some(7)).with_prefix(b"{\"a\":\"\xc3");
        assert!(check_upload(&RULES, None, &whole).is_err());
        // Without a prefix, only what the metadata says is checked.
        let no_bytes = UploadCheck::new(&purpose, Some("a.txt"), Some(50));
        assert!(check_upload(&RULES, None, &no_bytes).is_ok());
    }

    #[test]
    fn sizes_read_like_the_documents() {
        assert_eq!(size_label(0), "0 bytes");
        assert_eq!(size_label(1024), "1 KB");
        assert_eq!(size_label(64 << 20), "64 MB");
        assert_eq!(size_label((64 << 20) + 1), "64.0 MB");
        assert_eq!(size_label(8 << 30), "8 GB");
    }

    proptest! {
        /// Any name and any bytes, for any purpose: a verdict, never a panic, and a refusal
        /// always says which file it is about.
        #[test]
        fn any_name_and_bytes_get_a_verdict(
            name in "\\PC{0,30}(\\.(png|gif|wav|txt|jsonl|md|bin))?",
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            purpose in prop::sample::select(vec!["media", "docs", "anything", "other"]),
            len_extra in 0u64..3,
        ) {
            let purpose = Purpose::new(purpose);
            let check = UploadCheck::new(&purpose, Some(&name), Some(bytes.len() as u64 + len_extra))
                .with_prefix(&bytes);
            if let Err(e) = check_upload(&RULES, None, &check) {
                prop_assert!(!e.rule.is_empty());
                prop_assert!(e.kind != RuleKind::Input);
                if e.what == "file" {
                    prop_assert!(e.value.contains(&format!("`{name}`")), "{}", e);
                }
            }
        }
    }
}
