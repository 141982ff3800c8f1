//! The API commands (upload, list, get, delete, download, wait): the client they share, and
//! the short ones.

use std::path::Path;
use std::sync::Arc;

use files_client::{Error, ListParams, Observer, Order, Polling, Purpose, RequestOptions};
use files_spec::{ProviderSpec, SpecProvider};
use provider_openai::OpenAi;
use provider_stepfun::{Region, StepFun};
use transport_reqwest::ReqwestTransport;
use transport_ureq::{Proxies, ProxyUrl, UreqTransport};

use crate::args::{
    Command, Connection, ListArgs, OutputArgs, ProviderName, RegionName, TransportName, WaitArgs,
};
use crate::failure::{CliResult, Failure};
use crate::guarded_files::GuardedFiles;
use crate::output::{self, Mode, escape_controls, file_details};
use crate::progress::{Observers, WarningPrinter};
use files_cli::{Api, DynProvider};

/// Runs an API command against the configured provider.
pub fn run(connection: &Connection, out: &OutputArgs, command: Command) -> CliResult {
    let mode = Mode::of(out);
    if let Command::Upload(args) = command {
        return crate::upload::run(connection, out, &args);
    }
    let provider = provider_from_env(connection)?;
    match command {
        Command::Download(args) => crate::download::run(connection, out, provider, &args),
        command => {
            let api = client(connection, provider, vec![], GuardedFiles::default())?;
            match command {
                Command::List(args) => list(&api, mode, connection, &args),
                Command::Get { id } => get(&api, mode, connection, &id),
                Command::Delete(args) if args.all => {
                    crate::bulk::delete_all(&api, connection, mode, &args)
                }
                Command::Delete(args) => crate::bulk::delete_ids(&api, connection, mode, &args),
                Command::Wait(args) => wait(&api, mode, connection, &args),
                _ => Err(Failure::usage("not an API command")),
            }
        }
    }
}

/// Runs `one` for each item, going on after a failure; the worst failure's kind (the highest
/// exit status) decides the result. With several items each failure is printed as it happens, after the item's
/// `label`.
pub fn each<T>(
    items: &[T],
    label: impl Fn(&T) -> String,
    mut one: impl FnMut(&T) -> CliResult,
) -> CliResult {
    if let [only] = items {
        return one(only);
    }
    let mut first = None;
    let mut failed = 0;
    for item in items {
        if let Err(failure) = one(item) {
            if failure.kind == crate::failure::FailureKind::ClosedOutput {
                return Err(failure);
            }
            first = Some(first.map_or(failure.kind, |w| crate::bulk::worse(w, failure.kind)));
            crate::output::note(&format!("error: {}", failure.context(label(item))));
            failed += 1;
        }
    }
    match first {
        None => Ok(()),
        Some(kind) => Err(Failure::new(
            kind,
            format!("{failed} of {} failed (see above)", items.len()),
        )),
    }
}

/// Turns a library error into a failure, with a hint when the base URL likely lacks `/v1`.
pub fn fail(connection: &Connection) -> impl Fn(Error) -> Failure + '_ {
    move |error| {
        let status = error.status();
        let certificate = is_certificate_refusal(&error);
        let failure = Failure::from(error);
        if certificate {
            return failure.with_hint(
                "hint: if the server's certificate comes from a private CA or is self-signed, \
                 give its PEM with --cacert PATH (or set SSL_CERT_FILE)",
            );
        }
        match (&connection.base_url, status) {
            (Some(url), Some(404)) if !has_version_path(url) => failure.with_hint(format!(
                "hint: the base URL {} has no /v1 in its path; if the API is served under \
                 /v1 (as OpenAI's, StepFun's and `files serve`'s are), use --base-url {}/v1",
                escape_controls(url),
                escape_controls(url.trim_end_matches('/'))
            )),
            _ => failure,
        }
    }
}

/// Whether the client refused the server's certificate for want of a root that trusts it
/// (rather than for another name or a date, which no root helps with).
fn is_certificate_refusal(error: &Error) -> bool {
    match error {
        Error::Transport(t) => {
            t.kind == files_client::TransportErrorKind::Certificate
                && t.message.contains("is not trusted")
        }
        Error::Upload(failure) => is_certificate_refusal(&failure.source),
        _ => false,
    }
}

/// Whether a base URL's path names a version, e.g. `/v1`.
fn has_version_path(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map_or("", |(_, path)| path);
    path.split('/').any(|segment| {
        segment.len() > 1
            && segment.starts_with('v')
            && segment[1..].chars().all(|c| c.is_ascii_digit())
    })
}

/// The provider the options name, with its key from `--api-key-file` or the environment.
pub fn provider_from_env(connection: &Connection) -> CliResult<DynProvider> {
    let key = match &connection.api_key_file {
        Some(path) => Some(read_key(path)?),
        None => None,
    };
    let provider: DynProvider = match connection.provider.id() {
        _ if connection.provider_spec.is_some() => spec_provider(connection, key)?,
        "openai" => {
            let mut openai = match key {
                Some(key) => OpenAi::from_env_with_key(key),
                None => OpenAi::from_env(),
            }
            .map_err(key_hint)?;
            if let Some(url) = &connection.base_url {
                openai = openai
                    .with_base_url(url)
                    .map_err(|e| Failure::usage(format!("--base-url: {e}")))?;
            }
            Box::new(openai)
        }
        "stepfun" => {
            let stepfun = match key {
                Some(key) => StepFun::new(key),
                None => StepFun::from_env().map_err(key_hint)?,
            };
            let mut stepfun = stepfun.with_region(region(connection.region));
            if let Some(url) = &connection.base_url {
                stepfun = stepfun
                    .with_base_url(url)
                    .map_err(|e| Failure::usage(format!("--base-url: {e}")))?;
            }
            Box::new(stepfun)
        }
        _ => spec_provider(connection, key)?,
    };
    Ok(provider)
}

/// The spec `--provider-spec` names, or the bundled one of `--provider`.
pub fn spec_of(connection: &Connection) -> CliResult<Arc<ProviderSpec>> {
    match &connection.provider_spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::local(format!(
                    "could not read the provider spec {}: {e}",
                    path.display()
                ))
            })?;
            let spec = ProviderSpec::parse(&path.display().to_string(), &text)
                .map_err(|e| Failure::usage(e.to_string()))?;
            Ok(spec.shared())
        }
        None => files_spec::bundled::named(connection.provider.id()).ok_or_else(|| {
            Failure::usage(format!("no bundled provider {}", connection.provider.id()))
        }),
    }
}

/// A provider built from a spec, configured from the environment and the options.
fn spec_provider(connection: &Connection, key: Option<String>) -> CliResult<DynProvider> {
    let spec = spec_of(connection)?;
    let mut provider = match key {
        Some(key) => SpecProvider::from_env_with_key(spec, key),
        None => SpecProvider::from_env(spec),
    }
    .map_err(key_hint)?;
    if let Some(url) = &connection.base_url {
        provider = provider
            .with_base_url(url)
            .map_err(|e| Failure::usage(format!("--base-url: {e}")))?;
    }
    if let Some(version) = &connection.api_version {
        provider = provider
            .with_api_version(version)
            .map_err(|e| Failure::usage(format!("--api-version: {e}")))?;
    }
    provider
        .ready()
        .map_err(|e| Failure::from(Error::from(e)))?;
    Ok(Box::new(provider))
}

/// A provider that could not be configured from the environment; when it is the key that is
/// missing, the other way to give it.
fn key_hint(error: files_client::ValidationError) -> Failure {
    let missing_key = error.value == "(not set)";
    let failure = Failure::from(Error::from(error));
    if missing_key {
        failure.with_hint("or give --api-key-file PATH (a file holding the key)")
    } else {
        failure
    }
}

/// The key in `--api-key-file`: its first line, without surrounding whitespace.
fn read_key(path: &Path) -> CliResult<String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::local(format!(
            "--api-key-file {}: could not read it: {e}",
            path.display()
        ))
    })?;
    let key = text.lines().next().unwrap_or("").trim();
    if key.is_empty() {
        return Err(Failure::usage(format!(
            "--api-key-file {}: the file is empty; put the API key on its first line",
            path.display()
        )));
    }
    Ok(key.to_owned())
}

/// The StepFun region an option names.
pub fn region(name: RegionName) -> Region {
    match name {
        RegionName::International => Region::International,
        RegionName::China => Region::China,
    }
}

/// A client over the transport the options name, with the rules' warnings printed, the
/// `observers` hearing every request, and `files` writing downloads.
pub fn client(
    connection: &Connection,
    provider: DynProvider,
    observers: Vec<Arc<dyn Observer>>,
    files: GuardedFiles,
) -> CliResult<Api> {
    let mut all: Vec<Arc<dyn Observer>> = vec![Arc::new(WarningPrinter)];
    all.extend(observers);
    let options = extras(
        connection,
        RequestOptions::new()
            .validate(!connection.no_validate)
            .strict_purposes(connection.strict)
            .reconcile(!connection.no_reconcile)
            .observer(Arc::new(Observers(all))),
    )?;
    let cacert = match &connection.cacert {
        Some(path) => Some(read_cacert(path)?),
        None => None,
    };
    let refused = |e: files_client::TransportError| Failure::usage(e.to_string());
    let proxies = proxies(connection).map_err(refused)?;
    Ok(match connection.transport {
        TransportName::Ureq => {
            let mut transport = UreqTransport::builder().proxies(proxies);
            if let Some((pem, name)) = &cacert {
                transport = transport
                    .add_root_certificates_pem(pem, name)
                    .map_err(refused)?;
            }
            let transport = transport.build().map_err(refused)?;
            Api::blocking_with_files(provider, options, files, transport)
        }
        TransportName::Reqwest => {
            let mut transport = ReqwestTransport::builder().proxies(proxies);
            if let Some((pem, name)) = &cacert {
                transport = transport
                    .add_root_certificates_pem(pem, name)
                    .map_err(refused)?;
            }
            let transport = transport.build().map_err(refused)?;
            Api::async_with_files(provider, options, files, transport)
                .map_err(|e| Failure::local(format!("could not start the async client: {e}")))?
        }
    })
}

/// The proxies `--proxy` or `--no-proxy` name, or else the environment.
fn proxies(connection: &Connection) -> Result<Proxies, files_client::TransportError> {
    match &connection.proxy {
        _ if connection.no_proxy => Ok(Proxies::none()),
        Some(url) => Proxies::all(ProxyUrl::parse(url, "--proxy")?),
        None => Proxies::from_env(),
    }
}

/// `options` with the headers, query parameters and fields the command line adds.
fn extras(connection: &Connection, mut options: RequestOptions) -> CliResult<RequestOptions> {
    let refused =
        |flag: &str, e: files_client::ValidationError| Failure::usage(format!("{flag}: {e}"));
    for header in &connection.headers {
        let Some((name, value)) = header.split_once(':') else {
            // Only its first word: the rest may be a secret that lost its colon.
            let first = header.split_whitespace().next().unwrap_or("");
            return Err(Failure::usage(format!(
                "--header '{}…': give it as 'NAME: VALUE' (a colon after the name)",
                escape_controls(first)
            )));
        };
        options = options
            .header(name.trim(), value.trim())
            .map_err(|e| refused("--header", e))?;
    }
    for pair in &connection.extra_query {
        let (name, value) = name_value("--extra-query", pair)?;
        options = options
            .query(name, value)
            .map_err(|e| refused("--extra-query", e))?;
    }
    for pair in &connection.extra_field {
        let (name, value) = name_value("--extra-field", pair)?;
        options = options
            .form_field(name, value)
            .and_then(|o| o.json_field(name, value))
            .map_err(|e| refused("--extra-field", e))?;
    }
    Ok(options)
}

/// `NAME=VALUE` split at its first `=`.
fn name_value<'a>(flag: &str, pair: &'a str) -> CliResult<(&'a str, &'a str)> {
    pair.split_once('=')
        .ok_or_else(|| Failure::usage(format!("{flag} {pair:?}: give it as NAME=VALUE")))
}

/// The PEM bundle `--cacert` names, and the name to give it in messages.
fn read_cacert(path: &Path) -> CliResult<(Vec<u8>, String)> {
    let pem = std::fs::read(path).map_err(|e| {
        Failure::local(format!(
            "--cacert {}: could not read it: {e}",
            path.display()
        ))
    })?;
    Ok((pem, format!("--cacert {}", path.display())))
}

fn get(api: &Api, mode: Mode, connection: &Connection, id: &str) -> CliResult {
    let file = api.retrieve(id).map_err(fail(connection))?;
    match mode {
        Mode::Human => output::line(&file_details(&file)),
        _ => output::file(mode, &file),
    }
}

fn wait(api: &Api, mode: Mode, connection: &Connection, args: &WaitArgs) -> CliResult {
    let polling = Polling::new().every(args.every).up_to(args.timeout);
    let file = api
        .wait_for_processing(&args.id, polling)
        .map_err(fail(connection))?;
    match mode {
        Mode::Human => output::line(&file_details(&file)),
        _ => output::file(mode, &file),
    }
}

fn list(api: &Api, mode: Mode, connection: &Connection, args: &ListArgs) -> CliResult {
    let mut params = ListParams::new();
    if let Some(purpose) = &args.purpose {
        params = params.purpose(Purpose::new(purpose.as_str()));
    }
    if let Some(limit) = args.limit {
        params = params.limit(limit);
    }
    if let Some(order) = &args.order {
        params = params.order(
            order
                .parse::<Order>()
                .map_err(|e| Failure::usage(format!("--order: {e}")))?,
        );
    }
    if let Some(after) = &args.after {
        params = params.after(after.as_str());
    }
    if connection.provider == ProviderName::STEPFUN
        && connection.provider_spec.is_none()
        && !params.is_empty()
    {
        let flags: Vec<String> = params
            .given_names()
            .iter()
            .map(|name| format!("--{name}"))
            .collect();
        return Err(Failure::usage(format!(
            "StepFun lists all files at once and takes none of --purpose, --limit, --order, \
             --after: run `files list --provider stepfun` without {}",
            flags.join(", ")
        )));
    }
    if args.all {
        let mut count = 0u64;
        for file in api.list_all(&params) {
            output::file(mode, &file.map_err(fail(connection))?)?;
            count += 1;
        }
        if mode == Mode::Human {
            crate::output::note(&format!("{count} file(s)"));
        }
        return Ok(());
    }
    let page = api.list(&params).map_err(fail(connection))?;
    if mode == Mode::Json {
        return output::json(&page);
    }
    for file in &page.data {
        output::file(mode, file)?;
    }
    if mode == Mode::Human {
        match page.next_cursor() {
            Some(cursor) => {
                let cursor = escape_controls(cursor);
                crate::output::note(&format!(
                    "{} file(s); more after {cursor} (use --after {cursor} or --all)",
                    page.data.len()
                ));
            }
            None => crate::output::note(&format!("{} file(s)", page.data.len())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_in_the_base_url_path_is_recognised() {
        assert!(has_version_path("http://127.0.0.1:8321/v1"));
        assert!(has_version_path("https://api.example.com/openai/v1/"));
        assert!(!has_version_path("http://127.0.0.1:8321"));
        assert!(!has_version_path("http://127.0.0.1:8321/"));
        assert!(!has_version_path("http://v1.example.com/api"));
    }
}
