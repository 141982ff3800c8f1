//! `files`: the command-line client of the StepFun and OpenAI Files APIs, and the front door
//! of the local emulator (`files serve`, `files demo`).
#![forbid(unsafe_code)]

mod args;
mod bulk;
mod commands;
mod demo;
mod download;
mod failure;
mod guarded_files;
mod help;
mod interrupt;
mod journal;
mod output;
mod progress;
mod serve;
mod size;
mod upload;

use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;

use crate::args::{Cli, Command};
use crate::failure::{Failure, FailureKind};

fn main() -> ExitCode {
    if let Err(e) = interrupt::install() {
        let _ = writeln!(std::io::stderr(), "warning: Ctrl-C will not clean up: {e}");
    }
    let matches = help::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if cli.output.json && cli.output.quiet {
        // clap checks the pair on each side of the subcommand, not across it.
        return report(&Failure::usage(
            "--json and --quiet ask for two different outputs: give one of them",
        ));
    }
    output::init_tracing(cli.output.verbose);
    let result = match cli.command {
        Command::Demo(ref args) => demo::run(&cli.connection, &cli.output, args),
        Command::Serve(ref args) => serve::run(&cli.connection, &cli.output, args),
        Command::Completions { shell } => help::completions(shell),
        command => commands::run(&cli.connection, &cli.output, command),
    };
    if let Some(signal) = interrupt::received() {
        let _ = writeln!(std::io::stderr(), "interrupted");
        return ExitCode::from(interrupt::status_for(signal));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

/// Prints a failure (unless stdout was closed: then quietly) and gives its status.
fn report(failure: &Failure) -> ExitCode {
    if failure.kind != FailureKind::ClosedOutput {
        let _ = writeln!(std::io::stderr(), "error: {failure}");
    }
    ExitCode::from(failure.kind.status())
}
