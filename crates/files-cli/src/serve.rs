//! `files serve`: the local emulator, until Ctrl-C.

use files_emulator::{Dialect, EmulatorConfig, Fault};

use crate::args::{Connection, ProviderName, ServeArgs};
use crate::commands::CliResult;

/// Runs the emulator in the dialect of `--provider` on `--addr`.
pub fn run(connection: &Connection, args: &ServeArgs) -> CliResult {
    let dialect = match connection.provider {
        ProviderName::Openai => Dialect::OpenAi,
        ProviderName::Stepfun => Dialect::StepFun,
    };
    let faults = match &args.faults {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("could not read the fault plan {}: {e}", path.display()))?;
            Fault::plan_from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    let fault_count = faults.len();
    let mut config = EmulatorConfig::new(dialect)
        .with_api_key(args.api_key.clone())
        .with_path_prefix(args.path_prefix.clone())
        .with_faults(faults)
        .with_private_urls_allowed(args.allow_private_urls);
    if let Some(site) = &args.site {
        config = config
            .with_site(site)
            .map_err(|e| format!("--site {site}: {e}"))?;
    }
    if let Some(max_files) = args.max_files {
        config = config.with_max_files(max_files);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| format!("could not listen on {}: {e}", args.addr))?;
        let addr = listener.local_addr()?;
        let prefix = args.path_prefix.trim_end_matches('/');
        let key_env = match dialect {
            Dialect::OpenAi => provider_openai::API_KEY_ENV,
            _ => provider_stepfun::API_KEY_ENV,
        };
        eprintln!("files emulator ({dialect} dialect) listening on http://{addr}{prefix}");
        eprintln!(
            "try: {key_env}={} files --provider {} --base-url http://{addr}{prefix} list",
            args.api_key,
            dialect.as_str()
        );
        if fault_count > 0 {
            eprintln!("{fault_count} fault(s) queued from the plan");
        }
        eprintln!("press Ctrl-C to stop");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        files_emulator::serve(listener, config, shutdown).await?;
        Ok(())
    })
}
