//! `files serve`: the local emulator, until Ctrl-C or SIGTERM; its store is removed either
//! way.

use std::time::Duration;

use files_emulator::{Dialect, EmulatorConfig, Fault};
use futures_util::future::{Either, select};

use crate::args::{Connection, OutputArgs, ProviderName, ServeArgs};
use crate::failure::{CliResult, Failure};
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
    let dialect = match connection.provider {
        ProviderName::Openai => Dialect::OpenAi,
        ProviderName::Stepfun => Dialect::StepFun,
    };
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
    let prefix = normalise_prefix(&args.path_prefix);
    let fault_count = faults.len();
    let mut config = EmulatorConfig::new(dialect)
        .with_api_key(args.api_key.clone())
        .with_path_prefix(prefix.clone())
        .with_faults(faults)
        .with_private_urls_allowed(args.allow_private_urls);
    if let Some(site) = &args.site {
        config = config
            .with_site(site)
            .map_err(|e| Failure::usage(format!("--site {site}: {e}")))?;
    }
    if let Some(max_files) = args.max_files {
        config = config.with_max_files(max_files);
    }
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
        let key_env = match dialect {
            Dialect::OpenAi => provider_openai::API_KEY_ENV,
            _ => provider_stepfun::API_KEY_ENV,
        };
        let base_url = format!("http://{addr}{prefix}");
        if Mode::of(out) == Mode::Json {
            output::json(&serde_json::json!({
                "base_url": base_url,
                "api_key": args.api_key,
                "provider": dialect.as_str(),
            }))?;
        }
        crate::output::note(&format!(
            "files emulator ({dialect} dialect) listening on {base_url}"
        ));
        crate::output::note(&format!(
            "try: {key_env}={} files --provider {} --base-url {base_url} list",
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
