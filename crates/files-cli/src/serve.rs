//! `files serve`: the local emulator, until Ctrl-C or SIGTERM; its store is removed either
//! way.

use std::time::Duration;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use files_emulator::{Dialect, EmulatorConfig, Fault, TlsIdentity};
use futures_util::future::{Either, select};

use crate::args::{Connection, OutputArgs, ServeArgs};
use crate::failure::{CliResult, Failure};
use crate::interrupt::WithCleanup;
use crate::output::{self, Mode};

/// How long open connections may take to finish once a signal came.
const GRACE: Duration = Duration::from_secs(3);

/// `--path-prefix` as a path: a leading `/`, no trailing one (`v1x` → `/v1x`, `/` → ``).
pub fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Runs the emulator in the dialect of `--provider` on `--addr`.
pub fn run(connection: &Connection, out: &OutputArgs, args: &ServeArgs) -> CliResult {
    let dialect = Dialect::from_spec(crate::commands::spec_of(connection)?);
    let faults = match &args.faults {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::local(format!(
                    "could not read the fault plan {}: {e}",
                    path.display()
                ))
            })?;
            Fault::plan_from_json(&text)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?
        }
    };
    let fault_count = faults.len();
    let mut config = EmulatorConfig::new(dialect.clone())
        .with_api_key(args.api_key.clone())
        .with_faults(faults)
        .with_private_urls_allowed(args.allow_private_urls)
        .with_any_size(args.any_size);
    if let Some(site) = &args.site {
        config = config
            .with_site(site)
            .map_err(|e| Failure::usage(format!("--site {site}: {e}")))?;
    }
    if let Some(prefix) = &args.path_prefix {
        config = config.with_path_prefix(normalise_prefix(prefix));
    }
    let prefix = normalise_prefix(&config.path_prefix);
    if let Some(max_files) = args.max_files {
        config = config.with_max_files(max_files);
    }
    let mut generated = None;
    if let Some((cert, key)) = args.tls_cert.as_deref().zip(args.tls_key.as_deref()) {
        config = config.with_tls(identity_from_files(cert, key)?);
    } else if args.tls_self_signed {
        let (identity, written) = self_signed(args.addr)?;
        config = config.with_tls(identity);
        generated = Some(written);
    }
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let signals = crate::interrupt::take_signal();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    std::thread::spawn(move || {
        if signals.recv().is_ok() {
            crate::output::note(&format!(
                "stopping: open connections have {} s to finish (Ctrl-C again to stop now)",
                GRACE.as_secs()
            ));
            let _ = stop.send(true);
        }
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::local(format!("could not start the runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| Failure::local(format!("could not listen on {}: {e}", args.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::local(format!("could not read the address listened on: {e}")))?;
        let key_env = dialect.spec().file.provider.api_key_env.clone();
        // Listening on every address: clients (and the certificate) know it as loopback.
        let shown = match addr.ip() {
            ip if !ip.is_unspecified() => addr,
            std::net::IpAddr::V4(_) => {
                SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, addr.port()))
            }
            std::net::IpAddr::V6(_) => {
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
            }
        };
        let base_url = format!("{scheme}://{shown}{prefix}");
        let cacert = generated.as_ref().map(|written| written.path.clone());
        if Mode::of(out) == Mode::Json {
            let mut line = serde_json::json!({
                "base_url": base_url,
                "api_key": args.api_key,
                "provider": dialect.as_str(),
            });
            if let Some(path) = &cacert {
                line["cacert"] = serde_json::json!(path);
            }
            output::json(&line)?;
        }
        crate::output::note(&format!(
            "files emulator ({dialect} dialect) listening on {base_url}"
        ));
        let trust = match &cacert {
            Some(path) => {
                crate::output::note(&format!(
                    "self-signed certificate (trust it with --cacert): {}",
                    path.display()
                ));
                format!(" --cacert {}", path.display())
            }
            None => String::new(),
        };
        crate::output::note(&format!(
            "try: {key_env}={} files --provider {} --base-url {base_url}{trust} list",
            args.api_key,
            dialect.as_str()
        ));
        if fault_count > 0 {
            crate::output::note(&format!("{fault_count} fault(s) queued from the plan"));
        }
        crate::output::note("press Ctrl-C to stop");
        let mut on_signal = stopped.clone();
        let shutdown = async move {
            let _ = on_signal.wait_for(|stop| *stop).await;
        };
        let mut after_signal = stopped;
        let grace = async move {
            let _ = after_signal.wait_for(|stop| *stop).await;
            tokio::time::sleep(GRACE).await;
        };
        // Dropping the server's future drops its store, so it is removed either way.
        let serving = files_emulator::serve(listener, config, shutdown);
        match select(Box::pin(serving), Box::pin(grace)).await {
            Either::Left((result, _)) => result.map_err(Failure::from),
            Either::Right(((), _)) => {
                crate::output::note(&format!(
                    "connections still open after {} s are closed",
                    GRACE.as_secs()
                ));
                Ok(())
            }
        }
    })
}

/// The identity in `--tls-cert` and `--tls-key`.
fn identity_from_files(cert: &Path, key: &Path) -> CliResult<TlsIdentity> {
    let read = |path: &Path, flag: &str| {
        std::fs::read(path).map_err(|e| {
            Failure::local(format!("{flag} {}: could not read it: {e}", path.display()))
        })
    };
    let (cert_pem, key_pem) = (read(cert, "--tls-cert")?, read(key, "--tls-key")?);
    TlsIdentity::from_pem(&cert_pem, &key_pem).map_err(|e| {
        Failure::usage(format!(
            "--tls-cert {} --tls-key {}: {e}",
            cert.display(),
            key.display()
        ))
    })
}

/// A generated certificate's PEM, in a temporary directory removed when the server stops
/// (or on a second signal).
struct WrittenCertificate {
    path: PathBuf,
    _dir: WithCleanup<tempfile::TempDir>,
}

/// A new self-signed identity for the loopback names and `addr`'s host, and its certificate
/// written out for clients.
fn self_signed(addr: SocketAddr) -> CliResult<(TlsIdentity, WrittenCertificate)> {
    let host = addr.ip().to_string();
    let mut names = vec!["localhost", "127.0.0.1", "::1"];
    if !addr.ip().is_unspecified() && !names.contains(&host.as_str()) {
        names.push(&host);
    }
    let identity = TlsIdentity::self_signed(&names).map_err(|e| Failure::local(e.to_string()))?;
    let dir = WithCleanup::create(
        || tempfile::Builder::new().prefix("files-serve-").tempdir(),
        |dir| dir.path().to_owned(),
    )
    .map_err(|e| Failure::local(format!("could not create a temporary directory: {e}")))?;
    let path = dir.path().join("cert.pem");
    std::fs::write(&path, identity.certificate_pem())
        .map_err(|e| Failure::local(format!("could not write {}: {e}", path.display())))?;
    Ok((identity, WrittenCertificate { path, _dir: dir }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_gets_one_leading_slash() {
        assert_eq!(normalise_prefix("v1x"), "/v1x");
        assert_eq!(normalise_prefix("/v1/"), "/v1");
        assert_eq!(normalise_prefix("/"), "");
        assert_eq!(normalise_prefix("api/v1"), "/api/v1");
    }
}
