//! `files`: the command-line client of the StepFun and OpenAI Files APIs, and the front door
//! of the local emulator (`files serve`, `files demo`).
#![forbid(unsafe_code)]

mod args;
mod commands;
mod demo;
mod journal;
mod output;
mod progress;
mod serve;
mod size;
mod upload;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&cli.connection, &args),
        Command::Serve(args) => serve::run(&cli.connection, &args),
        command => commands::run(&cli.connection, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Server text (messages, ids, names) may hold control characters: escaped, line
            // by line, so the lines the command itself wrote stay lines.
            let text = error.to_string();
            let lines: Vec<String> = text.lines().map(output::escape_controls).collect();
            eprintln!("error: {}", lines.join("\n"));
            ExitCode::FAILURE
        }
    }
}
