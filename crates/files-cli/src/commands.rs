//! The API commands: upload, list, get, delete, download.

use std::error::Error as StdError;
use std::path::Path;

use std::sync::Arc;

use files_client::{
    ListParams, Observer, Order, Purpose, RequestOptions, UploadRequest, UploadWarning,
};
use provider_openai::OpenAi;
use provider_stepfun::{Region, StepFun};

use crate::args::{
    Command, Connection, ListArgs, ProviderName, RegionName, TransportName, UploadArgs,
};
use crate::output::{escape_controls, file_details, file_line, group_digits};
use files_cli::{Api, DynProvider};

/// A boxed error for command results.
pub type CliResult<T = ()> = Result<T, Box<dyn StdError>>;

/// Runs an API command against the configured provider.
pub fn run(connection: &Connection, command: Command) -> CliResult {
    let provider = provider_from_env(connection)?;
    let api = client(connection, provider)?;
    match command {
        Command::Upload(args) => upload(&api, args),
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

/// A client over the transport the options name; the provider's warnings go to stderr.
pub fn client(connection: &Connection, provider: DynProvider) -> CliResult<Api> {
    let options = RequestOptions::new()
        .validate(!connection.no_validate)
        .observer(Arc::new(WarningPrinter));
    Ok(match connection.transport {
        TransportName::Ureq => Api::blocking(provider, options),
        TransportName::Reqwest => Api::with_async(provider, options)?,
    })
}

fn upload(api: &Api, args: UploadArgs) -> CliResult {
    let purpose = Purpose::new(args.purpose);
    let mut upload = match (args.path, args.url) {
        (Some(path), None) => UploadRequest::from_path(path, purpose),
        (None, Some(url)) => UploadRequest::from_url(url, purpose),
        _ => return Err("give either a file path or --url".into()),
    };
    if let Some(name) = args.filename {
        upload = upload.with_filename(name);
    }
    if let Some(content_type) = args.content_type {
        upload = upload.with_content_type(content_type);
    }
    if let Some(seconds) = args.expires_after {
        upload = upload.with_expires_after(seconds);
    }
    println!("{}", file_line(&api.create(upload)?));
    Ok(())
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

/// Prints the warnings of the provider's rules (a deprecated purpose, audio of an unusual
/// length) to stderr, control characters escaped.
struct WarningPrinter;

impl Observer for WarningPrinter {
    fn warning(&self, warning: &UploadWarning) {
        eprintln!("warning: {}", escape_controls(&warning.message));
    }
}
