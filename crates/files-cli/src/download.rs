//! `files download`: a file's content to a path (complete or not at all, with the mode a new
//! file gets or the mode of the file it replaces) or to standard output.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use files_client::Observer;
use serde::Serialize;

use crate::args::{Connection, DownloadArgs, OutputArgs};
use crate::commands::{client, fail};
use crate::failure::{CliResult, Failure};
use crate::guarded_files::GuardedFiles;
use crate::output::{self, Mode, escape_controls, size};
use crate::progress::TransferBar;
use files_cli::{Api, DynProvider};

/// What `--json` prints for a download to a path.
#[derive(Serialize)]
struct Downloaded<'a> {
    id: &'a str,
    path: &'a Path,
    bytes_written: u64,
}

/// Runs `files download`.
pub fn run(
    connection: &Connection,
    out: &OutputArgs,
    provider: DynProvider,
    args: &DownloadArgs,
) -> CliResult {
    if let Some(dir) = &args.dir {
        return crate::bulk::download(connection, out, provider, args, dir);
    }
    let [id] = args.ids.as_slice() else {
        return Err(Failure::usage(
            "several ids go into a directory: give it with --dir DIR (and --jobs N to \
             download several at once)",
        ));
    };
    let mode = Mode::of(out);
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let bar = TransferBar::for_command(out, "download").map(Arc::new);
    let observers = bar.iter().map(|b| b.clone() as Arc<dyn Observer>).collect();
    // A name taken from the server never replaces a file: only a path the user typed does.
    let no_clobber = args.no_clobber || (args.output.is_none() && !to_stdout);
    let files = GuardedFiles { no_clobber };
    let api = client(connection, provider, observers, files)?;
    if to_stdout {
        let mut stdout = std::io::stdout().lock();
        api.download_to_writer(id, &mut stdout)
            .map_err(fail(connection))?;
        return Ok(());
    }
    let dest = match &args.output {
        Some(path) => path.clone(),
        None => server_name(&api, connection, id)?,
    };
    if dest.exists() {
        if args.no_clobber {
            return Err(Failure::local(format!(
                "{} exists and --no-clobber keeps it; choose another path with -o",
                dest.display()
            )));
        }
        if args.output.is_none() {
            return Err(Failure::local(format!(
                "{} (the file's name on the server) exists here and is kept; give -o {} to \
                 replace it, or -o another path",
                dest.display(),
                dest.display()
            )));
        }
    }
    let written = api.download_to_path(id, &dest).map_err(fail(connection))?;
    if let Some(bar) = bar {
        bar.finish();
    }
    match mode {
        Mode::Json => output::json(&Downloaded {
            id,
            path: &dest,
            bytes_written: written,
        }),
        Mode::Quiet => Ok(()),
        Mode::Human => {
            crate::output::note(&format!(
                "{} ({} bytes) written to {}",
                size(written),
                output::group_digits(written),
                dest.display()
            ));
            Ok(())
        }
    }
}

/// The destination when `-o` is not given: the file's name on the server, made safe.
fn server_name(api: &Api, connection: &Connection, id: &str) -> CliResult<PathBuf> {
    let file = api.retrieve(id).map_err(fail(connection))?;
    safe_name(&file.filename).map(PathBuf::from).ok_or_else(|| {
        Failure::usage(format!(
            "the server's name for {} (\"{}\") cannot be used as a file name here; give \
             one with -o PATH",
            escape_controls(id),
            escape_controls(&file.filename)
        ))
    })
}

/// A server-side file name as a local one: its base name only (after the last `/` or `\`),
/// and refused if that is empty, `.`, `..`, hidden (a leading `.`), or holds a character
/// that steers a terminal.
pub(crate) fn safe_name(name: &str) -> Option<&str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let refused =
        base.is_empty() || base.starts_with('.') || base.chars().any(output::steers_terminal);
    (!refused).then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_name_becomes_its_base_name_or_is_refused() {
        assert_eq!(safe_name("data.jsonl"), Some("data.jsonl"));
        assert_eq!(safe_name("../../etc/passwd"), Some("passwd"));
        assert_eq!(safe_name("C:\\Users\\x\\report.pdf"), Some("report.pdf"));
        assert_eq!(safe_name("/abs/path/a b.txt"), Some("a b.txt"));
        assert_eq!(safe_name(".."), None);
        assert_eq!(safe_name("dir/"), None);
        assert_eq!(safe_name(".bashrc"), None);
        assert_eq!(safe_name("a\x1b[2Jb"), None);
        assert_eq!(safe_name("invoice\u{202e}fdp.exe"), None);
        assert_eq!(safe_name(""), None);
    }
}
