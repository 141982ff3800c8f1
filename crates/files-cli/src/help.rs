//! The command line as the user sees it: `--help` with the exit statuses, the providers'
//! known purposes and the connection options only where they apply; and completion scripts.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;
use crate::failure::{CliResult, exit_status_help};

/// The options that mean nothing to each command that runs no client of its own.
const NOT_APPLICABLE: &[(&str, &[&str])] = &[
    (
        "serve",
        &[
            "base_url",
            "api_key_file",
            "transport",
            "proxy",
            "no_proxy",
            "region",
            "no_validate",
            "strict",
            "no_reconcile",
            "headers",
            "extra_query",
            "extra_field",
            "quiet",
            "no_progress",
        ],
    ),
    (
        "demo",
        &[
            "base_url",
            "api_key_file",
            "proxy",
            "no_proxy",
            "region",
            "headers",
            "extra_query",
            "extra_field",
            "quiet",
            "no_progress",
        ],
    ),
    (
        "completions",
        &[
            "provider",
            "base_url",
            "api_key_file",
            "transport",
            "proxy",
            "no_proxy",
            "region",
            "no_validate",
            "strict",
            "no_reconcile",
            "headers",
            "extra_query",
            "extra_field",
            "json",
            "quiet",
            "no_progress",
            "verbose",
        ],
    ),
];

/// The `files` command, with its help complete.
pub fn command() -> clap::Command {
    let cmd = Cli::command()
        .after_help(exit_status_help())
        .mut_subcommand("upload", |upload| {
            upload.mut_arg("purpose", |purpose| purpose.long_help(purpose_help()))
        });
    let globals: Vec<clap::Arg> = cmd.get_arguments().cloned().collect();
    // A global option reaches every subcommand unless the subcommand has one of the same id:
    // those that do not apply get a hidden one.
    cmd.mut_subcommands(|sub| {
        let hidden = NOT_APPLICABLE
            .iter()
            .find(|(name, _)| *name == sub.get_name())
            .map(|(_, ids)| *ids)
            .unwrap_or(&[]);
        globals
            .iter()
            .filter(|arg| hidden.contains(&arg.get_id().as_str()))
            .fold(sub, |sub, arg| {
                sub.arg(arg.clone().global(false).hide(true))
            })
    })
}

/// `--purpose`'s long help: each provider's known purposes, from its rules.
fn purpose_help() -> String {
    let list = |rules: &files_core::extend::rules::ProviderRules| {
        rules
            .purposes
            .iter()
            .map(|p| match p.deprecated {
                Some(_) => format!("{} (deprecated)", p.name),
                None => p.name.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "What the file is for.\n\nOpenAI: {}\nStepFun: {}\n\nA purpose the provider does \
         not document is sent with a warning and no size or format check; a near miss of one \
         it does (batc, Batch, fine_tune) is refused, naming the purpose meant. --strict \
         refuses every undocumented purpose; with --no-validate any value is sent as given.",
        list(&provider_openai::rules::RULES),
        list(&provider_stepfun::rules::RULES)
    )
}

/// `files completions SHELL`.
pub fn completions(shell: Shell) -> CliResult {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "files", &mut out);
    crate::output::write_stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help_of(name: &str) -> String {
        let mut cmd = command();
        cmd.build();
        let sub = cmd.find_subcommand_mut(name).unwrap();
        sub.render_long_help().to_string()
    }

    #[test]
    fn the_demo_help_gives_the_sample_limits_of_the_rule_tables() {
        let demo = help_of("demo");
        for (rules, purpose) in [
            (&provider_openai::rules::RULES, "batch"),
            (&provider_stepfun::rules::RULES, "file-extract"),
        ] {
            let most = rules.purpose(purpose).unwrap().max_bytes;
            let said = format!("{purpose}, {}", crate::demo::size_argument(most));
            assert!(demo.contains(&said), "{said} in {demo}");
        }
    }

    #[test]
    fn connection_options_are_grouped_and_hidden_where_they_do_not_apply() {
        let list = help_of("list");
        assert!(list.contains("Connection:"), "{list}");
        assert!(list.contains("--base-url"), "{list}");
        assert!(list.contains("--api-key-file"), "{list}");
        let serve = help_of("serve");
        assert!(!serve.contains("--base-url"), "{serve}");
        assert!(!serve.contains("--transport"), "{serve}");
        assert!(serve.contains("--provider"), "{serve}");
        let demo = help_of("demo");
        assert!(!demo.contains("--base-url"), "{demo}");
        assert!(demo.contains("--transport"), "{demo}");
    }

    #[test]
    fn the_purposes_and_examples_are_in_the_long_help() {
        let upload = help_of("upload");
        assert!(upload.contains("OpenAI: "), "{upload}");
        assert!(upload.contains("batch"), "{upload}");
        assert!(upload.contains("file-extract"), "{upload}");
        assert!(upload.contains("Examples:"), "{upload}");
        let top = command().render_long_help().to_string();
        assert!(top.contains("Exit status:"), "{top}");
        command().debug_assert();
    }
}
