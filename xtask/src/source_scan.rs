//! The source half of the sans-IO check: Rust code (comments and string literals blanked
//! out) searched for the ways a crate reaches IO — files, sockets, the environment,
//! processes, threads and sleeping, clocks, OS randomness, printing.
//!
//! It reads text, not resolved names: an alias (`use std::time::SystemTime as T; T::now()`)
//! would pass it. It catches the ordinary ways IO creeps in; review catches the rest, and the
//! dependency half catches any crate that brings IO with it.

use std::fmt;
use std::path::{Path, PathBuf};

/// Paths that mean IO, with why.
const FORBIDDEN_PATHS: &[(&str, &str)] = &[
    ("std::fs", "opens files"),
    ("std::net", "opens sockets"),
    ("std::env", "reads the environment"),
    ("std::process", "runs processes"),
    ("std::thread", "sleeps or spawns threads"),
    ("std::io::stdin", "reads the terminal"),
    ("std::io::stdout", "writes to the terminal"),
    ("std::io::stderr", "writes to the terminal"),
    ("Instant::now", "reads the clock"),
    ("SystemTime::now", "reads the clock"),
    ("now_utc", "reads the clock"),
    ("now_local", "reads the clock"),
    ("RandomState", "draws OS randomness"),
    ("getrandom", "draws OS randomness"),
    ("OsRng", "draws OS randomness"),
    ("thread_rng", "draws OS randomness"),
    ("tokio", "uses an async runtime"),
    (
        "std::task",
        "polls futures (the IO edge's work, in files-io)",
    ),
    (
        "poll_next",
        "polls a stream (the IO edge's work, in files-io)",
    ),
    (
        "impl Read for",
        "pumps bytes as a reader (the IO edge's work, in files-io)",
    ),
    (
        "impl Write for",
        "writes bytes (the IO edge's work, in files-io)",
    ),
    (
        "std::io::Write",
        "writes bytes (the IO edge's work, in files-io)",
    ),
    (
        "trait Transport",
        "defines a transport (the IO edge's, in files-io)",
    ),
    (
        "trait AsyncTransport",
        "defines a transport (the IO edge's, in files-io)",
    ),
    (
        "trait LocalFiles",
        "defines local files (the IO edge's, in files-io)",
    ),
    (
        "trait AsyncLocalFiles",
        "defines local files (the IO edge's, in files-io)",
    ),
];

/// Macros that print.
const FORBIDDEN_MACROS: &[&str] = &["println", "eprintln", "print", "eprint", "dbg"];

/// Modules of `std` that mean IO when imported in a group (`use std::{fs, io};`).
const FORBIDDEN_STD_MODULES: &[&str] = &["fs", "net", "env", "process", "thread"];

/// One use of IO in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// What was used.
    pub what: String,
    /// What that does.
    pub why: &'static str,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: `{}` {}",
            self.file.display(),
            self.line,
            self.what,
            self.why
        )
    }
}

/// Scans every `.rs` file under `dir`.
pub fn scan_tree(dir: &Path) -> Result<Vec<Finding>, String> {
    let mut findings = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| format!("could not read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("could not read {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("could not read {}: {e}", path.display()))?;
                findings.extend(scan_source(&path, &text));
            }
        }
    }
    findings.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(findings)
}

/// The uses of IO in one file's text.
pub fn scan_source(file: &Path, text: &str) -> Vec<Finding> {
    let code = blank_comments_and_strings(text);
    let mut findings = Vec::new();
    for (index, line) in code.lines().enumerate() {
        let mut found = |what: String, why| {
            findings.push(Finding {
                file: file.to_path_buf(),
                line: index + 1,
                what,
                why,
            })
        };
        for (path, why) in FORBIDDEN_PATHS {
            if contains_path(line, path) {
                found((*path).to_owned(), why);
            }
        }
        for name in FORBIDDEN_MACROS {
            if contains_path(line, &format!("{name}!")) {
                found(format!("{name}!"), "prints");
            }
        }
    }
    // Grouped imports may span lines: `use std::{\n    fs,\n    io,\n};`.
    for (start, group) in std_groups(&code) {
        let line = code[..start].matches('\n').count() + 1;
        for name in group
            .split([',', '{', '}', ' ', '\n', '\t'])
            .map(|item| item.split("::").next().unwrap_or(""))
        {
            if FORBIDDEN_STD_MODULES.contains(&name) {
                findings.push(Finding {
                    file: file.to_path_buf(),
                    line,
                    what: format!("std::{name}"),
                    why: "is IO",
                });
            }
        }
    }
    findings
}

/// Whether `line` holds `path` as a whole path (not as part of a longer identifier).
fn contains_path(line: &str, path: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(path).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + path.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(|c| is_ident(c) && !path.ends_with('!'))
    })
}

/// The `std::{ ... }` groups of the code: where each starts, and its text.
fn std_groups(code: &str) -> Vec<(usize, &str)> {
    let mut groups = Vec::new();
    for (at, _) in code.match_indices("std::{") {
        let open = at + "std::".len();
        let mut depth = 0;
        for (offset, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        groups.push((at, &code[open..=open + offset]));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    groups
}

/// The text with comments, string literals and character literals replaced by spaces
/// (line breaks kept, so line numbers still hold).
fn blank_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && is_raw_string(&chars, i) {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            let mut j = i + 1 + hashes + 1;
            while j < chars.len() {
                if chars[j] == '"' && chars[j + 1..].iter().take(hashes).all(|&h| h == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &skipped in &chars[i..j.min(chars.len())] {
                out.push(blank(skipped));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let step = if chars[i] == '\\' { 2 } else { 1 };
                for &skipped in chars.iter().skip(i).take(step) {
                    out.push(blank(skipped));
                }
                i += step;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '\'' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            for _ in i..=j.min(chars.len() - 1) {
                out.push(' ');
            }
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether the `r` at `i` opens a raw string (`r"`, `r#"`), not ends an identifier.
fn is_raw_string(chars: &[char], i: usize) -> bool {
    let starts_token = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
    starts_token && chars.get(i + 1 + hashes) == Some(&'"')
}

/// Whether the `'` at `i` opens a character literal rather than a lifetime.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(source: &str) -> Vec<String> {
        scan_source(Path::new("planted.rs"), source)
            .into_iter()
            .map(|f| f.what)
            .collect()
    }

    #[test]
    fn planted_violations_are_found() {
        assert_eq!(whats("fn f() { std::thread::sleep(d); }"), ["std::thread"]);
        assert_eq!(whats("let f = std::fs::File::open(p)?;"), ["std::fs"]);
        assert_eq!(whats("let t = Instant::now();"), ["Instant::now"]);
        assert_eq!(
            whats("let t = std::time::SystemTime::now();"),
            ["SystemTime::now"]
        );
        assert_eq!(whats("let k = std::env::var(\"KEY\");"), ["std::env"]);
        assert_eq!(whats("getrandom::fill(&mut buf)?;"), ["getrandom"]);
        assert_eq!(whats("let s = RandomState::new();"), ["RandomState"]);
        assert_eq!(whats("println!(\"hi\");"), ["println!"]);
        assert_eq!(
            whats("fn p(cx: &mut std::task::Context<'_>) { s.poll_next(cx); }"),
            ["std::task", "poll_next"]
        );
        assert_eq!(whats("impl Read for Pump {}"), ["impl Read for"]);
        assert_eq!(whats("impl Write for Sink {}"), ["impl Write for"]);
        assert_eq!(whats("use std::io::Write;"), ["std::io::Write"]);
        assert_eq!(whats("pub trait Transport: Send {}"), ["trait Transport"]);
        assert_eq!(whats("pub trait LocalFiles {}"), ["trait LocalFiles"]);
        assert_eq!(
            whats("use std::{\n    io,\n    net::TcpStream,\n};"),
            ["std::net"]
        );
        assert_eq!(whats("use std::{fs, io::Read};"), ["std::fs"]);
    }

    #[test]
    fn comments_strings_and_lookalikes_are_not_violations() {
        assert!(whats("// std::fs is what the driver uses").is_empty());
        assert!(whats("/// Never calls `Instant::now`.\nfn f() {}").is_empty());
        assert!(whats("/* std::net /* nested */ std::env */ let x = 1;").is_empty());
        assert!(whats("let s = \"std::fs and SystemTime::now\";").is_empty());
        assert!(whats("let s = r#\"std::process\"#;").is_empty());
        assert!(whats("let q = '\"'; let s = \"std::fs\";").is_empty());
        assert!(whats("fn f<'a>(x: &'a str) -> &'a str { x }").is_empty());
        assert!(whats("const V: &str = env!(\"CARGO_PKG_VERSION\");").is_empty());
        assert!(whats("use std::time::{Duration, SystemTime};").is_empty());
        assert!(whats("let fs_like = my_std::fs_helper;").is_empty());
        assert!(whats("fn print_ln() {} eprintln_ish();").is_empty());
    }

    #[test]
    fn a_finding_names_its_file_and_line() {
        let findings = scan_source(
            Path::new("src/x.rs"),
            "fn a() {}\n\nlet t = Instant::now();\n",
        );
        assert_eq!(
            findings[0].to_string(),
            "src/x.rs:3: `Instant::now` reads the clock"
        );
    }
}
