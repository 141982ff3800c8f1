//! A checked spec turned into what the client and the emulator use: its [`Dialect`] and
//! its [`ProviderRules`] (whose tables a spec read at run time keeps for the process).

use files_core::ApiErrorKind;
use files_core::extend::dialect::{
    Auth, Dialect, ErrorRule, FormFields, LimitParam, ListStyle, ObjectFields, Paging, Paths,
    TimeForm,
};
use files_core::extend::provider::ContentKind;
use files_core::extend::rules::{
    AccountCaps, ExpiresAfterRule, Formats, ListLimitRule, ProviderRules, PurposeRule, SiteRule,
    UploadsRule,
};

use crate::model::{FormatsSpec, SpecFile};

/// What `content = "..."` means.
pub(crate) fn content_of(word: &str) -> ContentKind {
    match word {
        "original_bytes" => ContentKind::OriginalBytes,
        "extracted_text" => ContentKind::ExtractedText,
        _ => ContentKind::Unknown,
    }
}

/// The spec's dialect, without a site's query parameters.
pub(crate) fn dialect_of(file: &SpecFile) -> Dialect {
    let mut dialect = Dialect::openai();
    // A checked spec names a header exactly when its style is "header".
    dialect.auth = match &file.auth.header {
        Some(name) => Auth::Header(name.to_ascii_lowercase()),
        None => Auth::Bearer,
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
    // A checked spec has the table of its paging style, and only that one.
    style.paging = match (&list.cursor, &list.pages) {
        (Some(c), _) => Paging::Cursor {
            param: c.param.clone(),
            has_more: c.has_more.clone(),
            last_id: c.last_id.clone(),
        },
        (_, Some(p)) => Paging::Pages {
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

/// The spec's upload rules, their strings kept for the rest of the process.
pub(crate) fn rules_of(file: &SpecFile) -> ProviderRules {
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

#[cfg(test)]
mod tests {
    use crate::{ProviderSpec, SpecProvider, bundled};
    use files_core::ApiErrorKind;
    use files_core::Provider;
    use files_core::extend::dialect::{Auth, Paging, TimeForm};
    use files_core::extend::provider::{ContentKind, UploadCheck};
    use files_core::extend::rules::Formats;

    const GATEWAY: &str = r#"
[provider]
name = "Gateway"
id = "gateway"
api_key_env = "GATEWAY_KEY"
content = "extracted_text"
[auth]
style = "header"
header = "X-Key"
headers = { "x-version" = "2" }
[[site]]
name = "default"
base_url = "https://files.example.com/v2"
purposes = ["docs"]
[list]
paging = "pages"
pages = { page = "p", size = "n", first = 1, total = "count" }
[object]
bytes = "size_bytes"
time = "rfc3339"
[[purpose]]
name = "docs"
max_bytes = 10
formats = ["txt"]
[[error]]
status = 429
code = "1113"
kind = "insufficient_balance"
retry = false
"#;

    #[test]
    fn a_spec_becomes_its_dialect() {
        let spec = ProviderSpec::parse("g.toml", GATEWAY).unwrap();
        let d = &spec.dialect;
        assert_eq!(
            d.auth,
            Auth::Header("x-key".to_owned()),
            "header names in lower case"
        );
        assert_eq!(d.headers, [("x-version".to_owned(), "2".to_owned())]);
        assert_eq!(
            d.list.paging,
            Paging::Pages {
                page: "p".to_owned(),
                size: "n".to_owned(),
                first: 1,
                total: Some("count".to_owned())
            }
        );
        assert_eq!(d.object.bytes, "size_bytes");
        assert_eq!(d.object.time_form, TimeForm::Rfc3339);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].kind, ApiErrorKind::InsufficientBalance);
        assert_eq!(d.errors[0].code.as_deref(), Some("1113"));
        assert_eq!(d.errors[0].retry, Some(false));
        assert_eq!(spec.features.content, ContentKind::ExtractedText);
        let rules = spec.rules;
        assert_eq!(rules.sites[0].purposes, ["docs"]);
        assert_eq!(
            rules.purpose("docs").unwrap().formats,
            Formats::Only(&["txt"])
        );
        assert_eq!(rules.purpose("docs").unwrap().max_bytes, 10);
    }

    #[test]
    fn the_bundled_specs_keep_their_providers_behaviour() {
        let openai = bundled::openai();
        assert!(matches!(openai.dialect.list.paging, Paging::Cursor { .. }));
        assert_eq!(openai.dialect.auth, Auth::Bearer);
        assert_eq!(openai.features.content, ContentKind::OriginalBytes);
        assert_eq!(
            bundled::stepfun().features.content,
            ContentKind::ExtractedText
        );
        assert_eq!(bundled::zhipu().features.content, ContentKind::Unknown);
        assert_eq!(bundled::stepfun().dialect.list.paging, Paging::None);
        let zhipu = bundled::zhipu();
        let spent = zhipu
            .dialect
            .errors
            .iter()
            .find(|e| e.code.as_deref() == Some("1113"));
        assert_eq!(
            spent.map(|e| (e.kind, e.retry)),
            Some((ApiErrorKind::InsufficientBalance, Some(false)))
        );
    }

    #[test]
    fn a_spec_provider_answers_with_its_spec() {
        let openai = SpecProvider::new(bundled::openai(), "sk-1").unwrap();
        assert_eq!(openai.name(), "OpenAI");
        assert!(openai.uploads().is_some(), "OpenAI has the Uploads API");
        assert!(openai.features().expires_after);
        let groq = SpecProvider::new(bundled::groq(), "gk").unwrap();
        assert!(groq.uploads().is_none());
        let purpose = files_core::Purpose::BATCH;
        let refused = groq.check_upload(&UploadCheck::new(&purpose, Some("a.txt"), Some(5)));
        assert!(refused.is_err(), "Groq's batch takes JSON Lines only");
        let debug = format!("{groq:?}");
        assert!(debug.contains("groq") && !debug.contains("gk\""), "{debug}");
    }
}
