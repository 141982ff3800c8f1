//! [`check`]: that the parts of a spec agree and name only what exists, refused with the
//! field and what is allowed.

use crate::error::SpecError;
use crate::model::{FormatsSpec, SpecFile};
use crate::spec::{API_VERSION, ENDPOINT};

/// What is allowed where a spec names formats and error kinds: the catalogue this build
/// knows (`spec/formats.toml` and `spec/errors.toml`), or, for the code generator, the one it
/// is about to write.
#[derive(Debug, Clone, Copy)]
pub struct Catalogue<'a> {
    /// The format names.
    pub formats: &'a [&'a str],
    /// The error kind names.
    pub kinds: &'a [&'a str],
}

/// Checks that the parts of a spec agree and name only what exists.
pub fn check(origin: &str, file: &SpecFile, catalogue: Catalogue<'_>) -> Result<(), SpecError> {
    check_provider(origin, file)?;
    check_auth(origin, file)?;
    check_sites(origin, file)?;
    check_endpoints(origin, file)?;
    check_list(origin, file)?;
    check_purposes(origin, file, catalogue)?;
    check_errors(origin, file, catalogue)
}

type Checked = Result<(), SpecError>;

fn failure(origin: &str, location: &str, problem: String) -> Checked {
    Err(SpecError::new(origin, location, problem))
}

/// Checks the `[provider]` table.
fn check_provider(origin: &str, file: &SpecFile) -> Checked {
    let fail = |location: &str, problem: String| failure(origin, location, problem);
    let p = &file.provider;
    if p.id.is_empty()
        || !p
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return fail(
            "[provider] id",
            format!(
                "{:?} is not an id: use lower-case letters, digits and `-`",
                p.id
            ),
        );
    }
    if p.name.trim().is_empty() {
        return fail("[provider] name", "must not be empty".to_owned());
    }
    if p.api_key_env.trim().is_empty() {
        return fail(
            "[provider] api_key_env",
            "must name the variable holding the key".to_owned(),
        );
    }
    if !matches!(
        p.content.as_str(),
        "original_bytes" | "extracted_text" | "unknown"
    ) {
        return fail(
            "[provider] content",
            format!(
                "{:?}: allowed are \"original_bytes\", \"extracted_text\", \"unknown\"",
                p.content
            ),
        );
    }
    if !matches!(p.error_envelope.as_str(), "full" | "short") {
        return fail(
            "[provider] error_envelope",
            format!(
                "{:?}: allowed are \"full\" (message, type, param, code) and \"short\" (message, type)",
                p.error_envelope
            ),
        );
    }
    for name in &p.request_id_headers {
        header_name(origin, "[provider] request_id_headers", name)?;
    }
    Ok(())
}

/// Checks the `[auth]` table.
fn check_auth(origin: &str, file: &SpecFile) -> Checked {
    let fail = |location: &str, problem: String| failure(origin, location, problem);
    match (file.auth.style.as_str(), &file.auth.header) {
        ("bearer", None) => {}
        ("bearer", Some(_)) => {
            return fail(
                "[auth] header",
                "is for style = \"header\"; a Bearer key goes in Authorization".to_owned(),
            );
        }
        ("header", Some(name)) => header_name(origin, "[auth] header", name)?,
        ("header", None) => {
            return fail(
                "[auth] header",
                "style = \"header\" needs the header's name, e.g. header = \"api-key\"".to_owned(),
            );
        }
        ("query", _) => {
            return fail(
                "[auth] style",
                "\"query\" (the key in the URL) is not supported: the client keeps keys out of \
                 URLs, which land in logs and error messages; allowed are \"bearer\" and \
                 \"header\""
                    .to_owned(),
            );
        }
        (other, _) => {
            return fail(
                "[auth] style",
                format!("{other:?}: allowed are \"bearer\" and \"header\""),
            );
        }
    }
    if let Some(site) = file
        .auth
        .bearer_too
        .iter()
        .find(|name| !file.site.iter().any(|s| &s.name == *name))
    {
        return fail(
            "[auth] bearer_too",
            format!("{site:?} is not a site of this spec"),
        );
    }
    for (name, value) in &file.auth.headers {
        header_name(origin, "[auth] headers", name)?;
        if http::HeaderValue::from_str(value).is_err() {
            return fail(
                &format!("[auth] headers.{name}"),
                "must be printable ASCII without line breaks".to_owned(),
            );
        }
    }
    Ok(())
}

/// Checks the sites, their base URLs, query and purposes.
fn check_sites(origin: &str, file: &SpecFile) -> Checked {
    let fail = |location: &str, problem: String| failure(origin, location, problem);
    if file.site.is_empty() {
        return fail(
            "[[site]]",
            "a spec needs at least one site with its base_url".to_owned(),
        );
    }
    let purposes: Vec<&str> = file.purpose.iter().map(|x| x.name.as_str()).collect();
    for site in &file.site {
        let at = format!("[[site]] {}", site.name);
        let probe = site.base_url.replace(ENDPOINT, "https://endpoint.invalid");
        if let Err(e) = files_core::extend::provider::BaseUrl::parse(&probe) {
            return fail(&format!("{at}: base_url"), e.rule.clone());
        }
        if site.base_url.contains(ENDPOINT) && !site.base_url.starts_with(ENDPOINT) {
            return fail(
                &format!("{at}: base_url"),
                format!("{ENDPOINT} stands for the scheme and host, so it must come first"),
            );
        }
        for (name, value) in &site.query {
            if name.is_empty() || value.contains('{') && value != API_VERSION {
                return fail(
                    &format!("{at}: query.{name}"),
                    format!(
                        "a query value is fixed text, or {API_VERSION} (filled from --api-version)"
                    ),
                );
            }
        }
        for purpose in &site.purposes {
            if !purposes.contains(&purpose.as_str()) {
                return fail(
                    &format!("{at}: purposes"),
                    format!("{purpose} is listed but has no [[purpose]] of that name"),
                );
            }
        }
    }
    Ok(())
}

/// Checks the paths, and that the Uploads API and URL uploads have what they need.
fn check_endpoints(origin: &str, file: &SpecFile) -> Checked {
    let fail = |location: &str, problem: String| failure(origin, location, problem);
    let p = &file.provider;
    let e = &file.endpoints;
    for (field, path, needs_id) in [
        ("files", Some(&e.files), false),
        ("file", Some(&e.file), true),
        ("content", e.content.as_ref(), true),
        ("uploads", e.uploads.as_ref(), false),
    ] {
        let Some(path) = path else { continue };
        if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
            return fail(
                &format!("[endpoints] {field}"),
                format!("{path:?} must be a path starting with `/`, without a query"),
            );
        }
        if needs_id != path.contains("{id}") {
            return fail(
                &format!("[endpoints] {field}"),
                if needs_id {
                    format!("{path:?} must hold {{id}}, where the file id goes")
                } else {
                    format!("{path:?} takes no {{id}}")
                },
            );
        }
    }
    if e.uploads.is_some() != file.uploads.is_some() {
        return fail(
            "[endpoints] uploads",
            "the Uploads API needs both its path here and an [uploads] table of limits".to_owned(),
        );
    }
    if p.url_upload && file.form.url.is_none() {
        return fail(
            "[form] url",
            "url_upload = true needs the form field that carries the URL, e.g. url = \"url\""
                .to_owned(),
        );
    }
    Ok(())
}

/// Checks the listing and the object forms.
fn check_list(origin: &str, file: &SpecFile) -> Checked {
    let fail = |location: &str, problem: String| failure(origin, location, problem);
    let list = &file.list;
    match (list.paging.as_str(), &list.cursor, &list.pages) {
        ("none", None, None) | ("cursor", Some(_), None) | ("pages", None, Some(_)) => {}
        ("cursor", None, _) => {
            return fail(
                "[list] cursor",
                "paging = \"cursor\" needs cursor = { param = \"after\", has_more = \"has_more\", last_id = \"last_id\" }".to_owned(),
            );
        }
        ("pages", _, None) => {
            return fail(
                "[list] pages",
                "paging = \"pages\" needs pages = { page = \"page\", size = \"page_size\", first = 0, total = \"total\" }".to_owned(),
            );
        }
        ("none" | "cursor" | "pages", _, _) => {
            return fail(
                "[list] paging",
                format!(
                    "paging = {:?} takes only its own table (cursor or pages)",
                    list.paging
                ),
            );
        }
        (other, _, _) => {
            return fail(
                "[list] paging",
                format!("{other:?}: allowed are \"none\", \"cursor\", \"pages\""),
            );
        }
    }
    if let Some(limit) = &list.limit
        && (limit.min == 0 || limit.min > limit.max)
    {
        return fail(
            "[list] limit",
            format!(
                "min {} and max {}: need 1 <= min <= max",
                limit.min, limit.max
            ),
        );
    }
    if !matches!(file.object.time.as_str(), "unix" | "rfc3339") {
        return fail(
            "[object] time",
            format!(
                "{:?}: allowed are \"unix\" and \"rfc3339\"",
                file.object.time
            ),
        );
    }
    Ok(())
}

/// Checks the purposes and the Uploads API's purposes.
fn check_purposes(origin: &str, file: &SpecFile, catalogue: Catalogue<'_>) -> Checked {
    let fail = |location: &str, problem: String| failure(origin, location, problem);
    let purposes: Vec<&str> = file.purpose.iter().map(|x| x.name.as_str()).collect();
    for purpose in &file.purpose {
        let at = format!("[[purpose]] {}", purpose.name);
        match &purpose.formats {
            FormatsSpec::Word(w) if w == "any" || w == "unknown" => {}
            FormatsSpec::Word(w) => {
                return fail(
                    &format!("{at}: formats"),
                    format!("{w:?}: allowed are \"any\", \"unknown\", or a list of format names"),
                );
            }
            FormatsSpec::Only(list) => {
                if let Some(f) = list
                    .iter()
                    .find(|f| !catalogue.formats.contains(&f.as_str()))
                {
                    return fail(
                        &format!("{at}: formats"),
                        format!(
                            "unknown format {f:?}; known are {}",
                            catalogue.formats.join(", ")
                        ),
                    );
                }
            }
        }
        if purpose.wav_seconds.is_some() && purpose.wav_note.is_empty() {
            return fail(
                &format!("{at}: wav_note"),
                "wav_seconds needs a wav_note (what the audio is for)".to_owned(),
            );
        }
        if let Some(instead) = &purpose.deprecated
            && !purposes.contains(&instead.as_str())
        {
            return fail(
                &format!("{at}: deprecated"),
                format!("replaced by {instead:?}, which has no [[purpose]]"),
            );
        }
    }
    if let Some(uploads) = &file.uploads
        && let Some(purpose) = uploads
            .purposes
            .iter()
            .find(|x| !purposes.contains(&x.as_str()))
    {
        return fail(
            "[uploads] purposes",
            format!("{purpose} is listed but has no [[purpose]] of that name"),
        );
    }
    Ok(())
}

/// Checks the error table.
fn check_errors(origin: &str, file: &SpecFile, catalogue: Catalogue<'_>) -> Checked {
    let fail = |location: &str, problem: String| failure(origin, location, problem);
    for error in &file.error {
        if !catalogue.kinds.contains(&error.kind.as_str()) {
            return fail(
                &format!("[[error]] {}", error.status),
                format!(
                    "unknown kind {:?}; known are {}",
                    error.kind,
                    catalogue.kinds.join(", ")
                ),
            );
        }
        if !(100..=599).contains(&error.status) {
            return fail(
                &format!("[[error]] {}", error.status),
                "is not an HTTP status".to_owned(),
            );
        }
    }
    Ok(())
}

fn header_name(origin: &str, location: &str, name: &str) -> Result<(), SpecError> {
    http::HeaderName::from_bytes(name.as_bytes())
        .map(drop)
        .map_err(|_| {
            SpecError::new(
                origin,
                location,
                format!("{name:?} is not a header name (letters, digits and `-`)"),
            )
        })
}

#[cfg(test)]
mod tests {
    use crate::ProviderSpec;
    use proptest::prelude::*;

    /// A small valid spec; each case below breaks one thing in it.
    const BASE: &str = r#"
[provider]
name = "Gateway"
id = "gateway"
api_key_env = "GATEWAY_KEY"

[[site]]
name = "default"
base_url = "https://files.example.com/v2"
purposes = ["docs"]

[endpoints]
files = "/files"
file = "/files/{id}"

[list]
paging = "cursor"
cursor = { param = "after" }

[[purpose]]
name = "docs"
formats = ["txt"]
"#;

    fn refusal(from: &str, to: &str) -> (String, String) {
        assert!(BASE.contains(from), "{from}");
        let err = ProviderSpec::parse("g.toml", &BASE.replacen(from, to, 1)).unwrap_err();
        assert_eq!(err.origin, "g.toml");
        (err.location, err.problem)
    }

    #[test]
    fn the_base_spec_is_valid() {
        let spec = ProviderSpec::parse("g.toml", BASE).unwrap();
        assert_eq!(
            spec.dialect.paths.content, None,
            "a table without content has none"
        );
        assert!(spec.rules.purpose("docs").is_some());
    }

    #[test]
    fn each_broken_part_is_named_with_what_is_allowed() {
        let cases = [
            (
                "id = \"gateway\"",
                "id = \"Gate Way\"",
                "[provider] id",
                "lower-case",
            ),
            (
                "name = \"Gateway\"",
                "name = \" \"",
                "[provider] name",
                "empty",
            ),
            (
                "api_key_env = \"GATEWAY_KEY\"",
                "api_key_env = \"\"",
                "[provider] api_key_env",
                "variable",
            ),
            (
                "[[site]]",
                "[auth]\nstyle = \"header\"\n\n[[site]]",
                "[auth] header",
                "needs the header's name",
            ),
            (
                "[[site]]",
                "[auth]\nheader = \"x-key\"\n\n[[site]]",
                "[auth] header",
                "is for style = \"header\"",
            ),
            (
                "[[site]]",
                "[auth]\nstyle = \"header\"\nheader = \"x key\"\n\n[[site]]",
                "[auth] header",
                "not a header name",
            ),
            (
                "https://files.example.com/v2",
                "files.example.com",
                "[[site]] default: base_url",
                "http",
            ),
            (
                "https://files.example.com/v2",
                "https://x/{endpoint}/v2",
                "[[site]] default: base_url",
                "must come first",
            ),
            (
                "purposes = [\"docs\"]",
                "purposes = [\"docs\", \"other\"]",
                "[[site]] default: purposes",
                "no [[purpose]]",
            ),
            (
                "purposes = [\"docs\"]",
                "purposes = [\"docs\"]\nquery = { v = \"{oops}\" }",
                "[[site]] default: query.v",
                "{api_version}",
            ),
            (
                "file = \"/files/{id}\"",
                "file = \"/files\"",
                "[endpoints] file",
                "must hold {id}",
            ),
            (
                "files = \"/files\"",
                "files = \"/files/{id}\"",
                "[endpoints] files",
                "takes no {id}",
            ),
            (
                "files = \"/files\"",
                "files = \"files\"",
                "[endpoints] files",
                "starting with `/`",
            ),
            (
                "file = \"/files/{id}\"",
                "file = \"/files/{id}\"\nuploads = \"/uploads\"",
                "[endpoints] uploads",
                "[uploads] table",
            ),
            (
                "paging = \"cursor\"",
                "paging = \"pages\"",
                "[list] pages",
                "needs pages",
            ),
            (
                "cursor = { param = \"after\" }",
                "",
                "[list] cursor",
                "needs cursor",
            ),
            (
                "paging = \"cursor\"",
                "paging = \"none\"",
                "[list] paging",
                "only its own table",
            ),
            (
                "paging = \"cursor\"",
                "paging = \"sideways\"",
                "[list] paging",
                "allowed are",
            ),
            (
                "paging = \"cursor\"",
                "paging = \"cursor\"\nlimit = { name = \"n\", min = 5, max = 2 }",
                "[list] limit",
                "min <= max",
            ),
            (
                "formats = [\"txt\"]",
                "formats = [\"txt\", \"mp5\"]",
                "[[purpose]] docs: formats",
                "unknown format \"mp5\"",
            ),
            (
                "formats = [\"txt\"]",
                "formats = \"all\"",
                "[[purpose]] docs: formats",
                "\"any\", \"unknown\"",
            ),
            (
                "formats = [\"txt\"]",
                "formats = \"any\"\ndeprecated = \"nope\"",
                "[[purpose]] docs: deprecated",
                "no [[purpose]]",
            ),
            (
                "formats = [\"txt\"]",
                "formats = \"any\"\nwav_seconds = [5, 10]",
                "[[purpose]] docs: wav_note",
                "wav_note",
            ),
        ];
        for (from, to, location, says) in cases {
            let (at, problem) = refusal(from, to);
            assert_eq!(at, location, "{to}: {problem}");
            assert!(problem.contains(says), "{to}: {problem}");
        }
    }

    #[test]
    fn what_is_allowed_is_read() {
        for (from, to) in [
            ("id = \"gateway\"", "id = \"gate-2\""),
            ("[[site]]", "[auth]\nbearer_too = [\"default\"]\n\n[[site]]"),
            (
                "paging = \"cursor\"",
                "paging = \"cursor\"\nlimit = { name = \"n\", min = 5, max = 5 }",
            ),
        ] {
            let text = BASE.replacen(from, to, 1);
            assert!(ProviderSpec::parse("g.toml", &text).is_ok(), "{to}");
        }
    }

    #[test]
    fn the_provider_table_is_checked_word_by_word() {
        let with = |line: &str| {
            BASE.replacen(
                "api_key_env = \"GATEWAY_KEY\"",
                &format!("api_key_env = \"GATEWAY_KEY\"\n{line}"),
                1,
            )
        };
        for (line, location) in [
            ("content = \"pdf\"", "[provider] content"),
            ("error_envelope = \"tiny\"", "[provider] error_envelope"),
            (
                "request_id_headers = [\"bad header\"]",
                "[provider] request_id_headers",
            ),
            ("url_upload = true", "[form] url"),
        ] {
            let err = ProviderSpec::parse("g.toml", &with(line)).unwrap_err();
            assert_eq!(err.location, location, "{line}: {err}");
        }
        let errors = BASE.to_owned() + "\n[[error]]\nstatus = 429\nkind = \"sleepy\"\n";
        let err = ProviderSpec::parse("g.toml", &errors).unwrap_err();
        assert_eq!(err.location, "[[error]] 429");
        assert!(
            err.problem.contains("rate_limited"),
            "lists the known kinds: {err}"
        );
        let status = BASE.to_owned() + "\n[[error]]\nstatus = 99\nkind = \"rate_limited\"\n";
        assert!(ProviderSpec::parse("g.toml", &status).is_err());
    }

    proptest! {
        /// Any text is read without a panic, and a refusal always says where.
        #[test]
        fn any_text_is_refused_or_read_without_a_panic(text in "\\PC{0,200}") {
            if let Err(e) = ProviderSpec::parse("x.toml", &text) {
                prop_assert!(!e.location.is_empty());
            }
        }

        /// The valid spec with any one line dropped or any one character changed is read or
        /// refused with a location, never a panic.
        #[test]
        fn a_spec_damaged_anywhere_is_refused_or_read(cut in 0usize..400, byte in any::<char>()) {
            let mut lines: Vec<&str> = BASE.lines().collect();
            let dropped = cut % lines.len();
            lines.remove(dropped);
            let damaged = lines.join("\n");
            let _ = ProviderSpec::parse("x.toml", &damaged);
            let mut chars: Vec<char> = BASE.chars().collect();
            let at = cut % chars.len();
            chars[at] = byte;
            let changed: String = chars.into_iter().collect();
            if let Err(e) = ProviderSpec::parse("x.toml", &changed) {
                prop_assert!(!e.location.is_empty() && !e.problem.is_empty());
            }
        }
    }
}
