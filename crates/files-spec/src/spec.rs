//! [`ProviderSpec`]: a provider file read, checked, and turned into what the client and the
//! emulator use — a [`Dialect`], [`ProviderRules`] and [`Features`].

use std::sync::Arc;

use files_core::ApiErrorKind;
use files_core::extend::dialect::{
    Auth, Dialect, ErrorRule, FormFields, LimitParam, ListStyle, ObjectFields, Paging, Paths,
    TimeForm,
};
use files_core::extend::provider::{ContentKind, Features};
use files_core::extend::rules::{
    AccountCaps, ExpiresAfterRule, FORMATS, Formats, ListLimitRule, ProviderRules, PurposeRule,
    SiteRule, UploadsRule,
};

use crate::error::SpecError;
use crate::model::{FormatsSpec, SpecFile};

/// The placeholder of a site's base URL that the endpoint fills (Azure's resource URL).
pub const ENDPOINT: &str = "{endpoint}";
/// The placeholder of a query value that the API version fills.
pub const API_VERSION: &str = "{api_version}";

/// A checked provider spec: the file as written ([`ProviderSpec::file`]) and what it means.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderSpec {
    /// The file or name it was read from.
    pub origin: String,
    /// The file's fields as written.
    pub file: SpecFile,
    /// The dialect, without a site's query parameters (a provider adds its site's).
    pub dialect: Dialect,
    /// The upload rules. A spec read at run time keeps its tables for the rest of the process
    /// (a few kilobytes; read a spec once and share it).
    pub rules: &'static ProviderRules,
    /// The features that change how requests are built.
    pub features: Features,
}

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

impl ProviderSpec {
    /// Reads a spec from TOML `text`; `origin` names it in errors (a path, say).
    ///
    /// ```
    /// let spec = files_spec::ProviderSpec::parse(
    ///     "gateway.toml",
    ///     r#"
    ///     [provider]
    ///     name = "Gateway"
    ///     id = "gateway"
    ///     api_key_env = "GATEWAY_KEY"
    ///
    ///     [auth]
    ///     style = "header"
    ///     header = "x-api-key"
    ///
    ///     [[site]]
    ///     name = "default"
    ///     base_url = "https://files.example.com/v2"
    ///     purposes = ["batch"]
    ///
    ///     [[purpose]]
    ///     name = "batch"
    ///     "#,
    /// )?;
    /// assert_eq!(spec.dialect.auth.header_name(), "x-api-key");
    /// let bad = files_spec::ProviderSpec::parse("bad.toml", "[provider]\nname = 1\n").unwrap_err();
    /// assert_eq!(bad.location, "line 2, column 8");
    /// # Ok::<(), files_spec::SpecError>(())
    /// ```
    pub fn parse(origin: &str, text: &str) -> Result<ProviderSpec, SpecError> {
        let file = read(origin, text)?;
        let formats: Vec<&str> = FORMATS.iter().map(|f| f.name).collect();
        let kinds: Vec<&str> = ApiErrorKind::ALL.iter().map(|k| k.name()).collect();
        check(
            origin,
            &file,
            Catalogue {
                formats: &formats,
                kinds: &kinds,
            },
        )?;
        Ok(ProviderSpec::build(origin, file))
    }

    fn build(origin: &str, file: SpecFile) -> ProviderSpec {
        let dialect = dialect_of(&file);
        let rules: &'static ProviderRules = Box::leak(Box::new(rules_of(&file)));
        let features = Features::new()
            .with_url_upload(file.provider.url_upload)
            .with_expires_after(file.expires_after.is_some())
            .with_list_parameters(file.list.paging != "none" || file.list.purpose.is_some())
            .with_content(content_of(&file.provider.content));
        ProviderSpec {
            origin: origin.to_owned(),
            file,
            dialect,
            rules,
            features,
        }
    }

    /// The provider's display name.
    pub fn name(&self) -> &str {
        &self.file.provider.name
    }

    /// The provider's id, its CLI name.
    pub fn id(&self) -> &str {
        &self.file.provider.id
    }

    /// Shared, for providers built from it.
    pub fn shared(self) -> Arc<ProviderSpec> {
        Arc::new(self)
    }
}

/// Reads the TOML into the file's fields, with the line of the first problem.
pub fn read(origin: &str, text: &str) -> Result<SpecFile, SpecError> {
    toml::from_str(text).map_err(|e| SpecError::from_toml(origin, text, &e))
}

fn content_of(word: &str) -> ContentKind {
    match word {
        "original_bytes" => ContentKind::OriginalBytes,
        "extracted_text" => ContentKind::ExtractedText,
        _ => ContentKind::Unknown,
    }
}

/// Checks that the parts of a spec agree and name only what exists.
pub fn check(origin: &str, file: &SpecFile, catalogue: Catalogue<'_>) -> Result<(), SpecError> {
    let fail = |location: &str, problem: String| Err(SpecError::new(origin, location, problem));
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
        (other, _) => {
            return fail(
                "[auth] style",
                format!("{other:?}: allowed are \"bearer\" and \"header\""),
            );
        }
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

fn dialect_of(file: &SpecFile) -> Dialect {
    let mut dialect = Dialect::openai();
    dialect.auth = match &file.auth.header {
        Some(name) if file.auth.style == "header" => Auth::Header(name.to_ascii_lowercase()),
        _ => Auth::Bearer,
    };
    dialect.headers = file
        .auth
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut paths = Paths::clone(&dialect.paths);
    paths.files = file.endpoints.files.clone();
    paths.file = file.endpoints.file.clone();
    paths.content = file.endpoints.content.clone();
    paths.uploads = file.endpoints.uploads.clone();
    dialect.paths = paths;
    let mut form = FormFields::clone(&dialect.form);
    form.file = file.form.file.clone();
    form.purpose = file.form.purpose.clone();
    form.purpose_required = file.form.purpose_required;
    if let Some(url) = &file.form.url {
        form.url = url.clone();
    }
    dialect.form = form;
    let list = &file.list;
    let mut style = ListStyle::single_page();
    style.purpose = list.purpose.clone();
    style.limit = list
        .limit
        .as_ref()
        .map(|l| LimitParam::new(l.name.clone(), l.min, l.max));
    style.order = list
        .order
        .as_ref()
        .map(|o| (o.name.clone(), o.values.clone()));
    style.paging = match (&list.cursor, &list.pages) {
        (Some(c), _) if list.paging == "cursor" => Paging::Cursor {
            param: c.param.clone(),
            has_more: c.has_more.clone(),
            last_id: c.last_id.clone(),
        },
        (_, Some(p)) if list.paging == "pages" => Paging::Pages {
            page: p.page.clone(),
            size: p.size.clone(),
            first: p.first,
            total: p.total.clone(),
        },
        _ => Paging::None,
    };
    dialect.list = style;
    let mut object = ObjectFields::openai();
    object.bytes = file.object.bytes.clone();
    object.created_at = file.object.created_at.clone();
    object.filename = file.object.filename.clone();
    object.time_form = match file.object.time.as_str() {
        "rfc3339" => TimeForm::Rfc3339,
        _ => TimeForm::Unix,
    };
    dialect.object = object;
    dialect.errors = file
        .error
        .iter()
        .filter_map(|e| {
            let kind = ApiErrorKind::ALL
                .iter()
                .find(|k| k.name() == e.kind)
                .copied()?;
            let mut rule = ErrorRule::new(e.status, kind);
            if let Some(code) = &e.code {
                rule = rule.with_code(code.clone());
            }
            if let Some(retry) = e.retry {
                rule = rule.with_retry(retry);
            }
            Some(rule)
        })
        .collect();
    dialect.request_id_headers = file
        .provider
        .request_id_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    dialect
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn leak_strs(items: &[String]) -> &'static [&'static str] {
    Box::leak(
        items
            .iter()
            .map(|s| leak_str(s))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn rules_of(file: &SpecFile) -> ProviderRules {
    let sites: Vec<SiteRule> = file
        .site
        .iter()
        .map(|s| SiteRule {
            name: leak_str(&s.name),
            base_url: leak_str(&s.base_url),
            purposes: leak_strs(&s.purposes),
        })
        .collect();
    let purposes: Vec<PurposeRule> = file
        .purpose
        .iter()
        .map(|p| PurposeRule {
            name: leak_str(&p.name),
            doc: leak_str(&p.doc),
            max_bytes: p.max_bytes.unwrap_or(u64::MAX),
            formats: match &p.formats {
                FormatsSpec::Only(list) => Formats::Only(leak_strs(list)),
                FormatsSpec::Word(_) => Formats::Any,
            },
            static_gif: p.static_gif,
            wav_seconds: p.wav_seconds.map(|[a, b]| (a, b)),
            wav_note: leak_str(&p.wav_note),
            deprecated: p.deprecated.as_deref().map(leak_str),
            default_expires_after: p.default_expires_after,
        })
        .collect();
    ProviderRules {
        provider: leak_str(&file.provider.name),
        sites: Box::leak(sites.into_boxed_slice()),
        purposes: Box::leak(purposes.into_boxed_slice()),
        url_upload: file.provider.url_upload,
        expires_after: file.expires_after.as_ref().map(|e| ExpiresAfterRule {
            anchor: leak_str(&e.anchor),
            min_seconds: e.min_seconds,
            max_seconds: e.max_seconds,
        }),
        list_limit: file.list.limit.as_ref().map(|l| ListLimitRule {
            min: l.min,
            max: l.max,
            default: l.default.unwrap_or(l.max),
        }),
        account: AccountCaps {
            max_files: file.account.max_files,
            max_total_bytes: file.account.max_total_bytes,
        },
        uploads: file.uploads.as_ref().map(|u| UploadsRule {
            max_bytes: u.max_bytes,
            max_part_bytes: u.max_part_bytes,
            switch_above: u.switch_above,
            expires_after_seconds: u.expires_after_seconds,
            purposes: leak_strs(&u.purposes),
        }),
    }
}
