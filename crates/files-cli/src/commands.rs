//! The API commands: upload, list, get, delete, download.

use std::error::Error as StdError;
use std::path::Path;

use std::sync::Arc;

use files_client::{ListParams, Observer, Order, Purpose, RequestOptions};
use provider_openai::OpenAi;
use provider_stepfun::{Region, StepFun};

use crate::args::{Command, Connection, ListArgs, ProviderName, RegionName, TransportName};
use crate::output::{file_details, file_line, group_digits};
use crate::progress::WarningPrinter;
use files_cli::{Api, DynProvider};

/// A boxed error for command results.
pub type CliResult<T = ()> = Result<T, Box<dyn StdError>>;

/// Runs an API command against the configured provider.
pub fn run(connection: &Connection, command: Command) -> CliResult {
    let provider = provider_from_env(connection)?;
    if let Command::Upload(args) = command {
        return crate::upload::run(connection, provider, args);
    }
    let api = client(connection, provider, Arc::new(WarningPrinter))?;
    match command {
        Command::Upload(_) => Err("upload is handled above".into()),
        Command::List(args) => list(&api, &args),
        Command::Get { id } => {
            println!("{}", file_details(&api.retrieve(&id)?));
            Ok(())
        }
        Command::Delete { id } => {
            let deleted = api.delete(&id)?;
            println!("{} deleted: {}", deleted.id, deleted.deleted);
            Ok(())
        }
        Command::Download(args) => {
            if args.output == Path::new("-") {
                api.download_to_writer(&args.id, &mut std::io::stdout().lock())?;
            } else {
                let bytes = api.download_to_path(&args.id, &args.output)?;
                eprintln!(
                    "{} bytes written to {}",
                    group_digits(bytes),
                    args.output.display()
                );
            }
            Ok(())
        }
        Command::Demo(_) | Command::Serve(_) => Err("demo and serve are not API commands".into()),
    }
}

/// The provider the options name, with its key from the environment.
fn provider_from_env(connection: &Connection) -> CliResult<DynProvider> {
    let provider: DynProvider = match connection.provider {
        ProviderName::Openai => {
            let mut openai = OpenAi::from_env()?;
            if let Some(url) = &connection.base_url {
                openai = openai.with_base_url(url)?;
            }
            Box::new(openai)
        }
        ProviderName::Stepfun => {
            let mut stepfun = StepFun::from_env()?.with_region(region(connection.region));
            if let Some(url) = &connection.base_url {
                stepfun = stepfun.with_base_url(url)?;
            }
            Box::new(stepfun)
        }
    };
    Ok(provider)
}

/// The StepFun region an option names.
pub fn region(name: RegionName) -> Region {
    match name {
        RegionName::International => Region::International,
        RegionName::China => Region::China,
    }
}

/// A client over the transport the options name, with `observer` hearing every request.
pub fn client(
    connection: &Connection,
    provider: DynProvider,
    observer: Arc<dyn Observer>,
) -> CliResult<Api> {
    let options = RequestOptions::new()
        .validate(!connection.no_validate)
        .observer(observer);
    Ok(match connection.transport {
        TransportName::Ureq => Api::blocking(provider, options),
        TransportName::Reqwest => Api::with_async(provider, options)?,
    })
}

fn list(api: &Api, args: &ListArgs) -> CliResult {
    let mut params = ListParams::new();
    if let Some(purpose) = &args.purpose {
        params = params.purpose(Purpose::new(purpose.as_str()));
    }
    if let Some(limit) = args.limit {
        params = params.limit(limit);
    }
    if let Some(order) = &args.order {
        params = params.order(order.parse::<Order>()?);
    }
    if let Some(after) = &args.after {
        params = params.after(after.as_str());
    }
    if args.all {
        let mut count = 0u64;
        for file in api.list_all(&params) {
            println!("{}", file_line(&file?));
            count += 1;
        }
        eprintln!("{count} file(s)");
    } else {
        let page = api.list(&params)?;
        for file in &page.data {
            println!("{}", file_line(file));
        }
        match page.next_cursor() {
            Some(cursor) => eprintln!(
                "{} file(s); more after {cursor} (use --after {cursor} or --all)",
                page.data.len()
            ),
            None => eprintln!("{} file(s)", page.data.len()),
        }
    }
    Ok(())
}
