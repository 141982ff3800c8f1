//! The command line, as clap derives it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Upload, list, inspect, download and delete files on the StepFun and OpenAI Files APIs, or
/// run a local emulator of them.
#[derive(Debug, Parser)]
#[command(name = "files", version, about, long_about = None)]
pub struct Cli {
    /// Where and how to connect.
    #[command(flatten)]
    pub connection: Connection,
    /// How results are shown.
    #[command(flatten)]
    pub output: OutputArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every API command; accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct Connection {
    /// Which provider's API to speak: openai, stepfun, azure, moonshot, dashscope, mistral,
    /// groq or zhipu (each reads its key from the variable its own SDK reads; see
    /// docs/providers.md).
    #[arg(long, global = true, default_value = "openai", value_parser = ProviderName::parse, env = "FILES_PROVIDER")]
    pub provider: ProviderName,
    /// Speak the provider this spec file describes (a gateway of your own; see README),
    /// instead of a bundled one.
    #[arg(long, global = true, value_name = "PATH")]
    pub provider_spec: Option<PathBuf>,
    /// Override the API base URL (its path prefix is kept), e.g. http://127.0.0.1:8321/v1.
    /// For Azure, the resource's endpoint (`https://NAME.openai.azure.com`; or
    /// AZURE_OPENAI_ENDPOINT).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// The API version of a dated API, sent on every request (Azure: `api-version`, e.g.
    /// 2024-10-21; or OPENAI_API_VERSION). Without it, Azure's v1 API is used.
    #[arg(long, global = true, value_name = "V")]
    pub api_version: Option<String>,
    /// Read the API key from this file (its first line) instead of OPENAI_API_KEY or
    /// STEP_API_KEY. There is deliberately no --api-key: a key typed on the command line
    /// lands in the shell's history and in every process listing.
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Also trust the certificates in this PEM file (a private CA, or a local server's
    /// self-signed certificate). SSL_CERT_FILE, when set, replaces the built-in roots.
    #[arg(long, global = true, value_name = "PATH")]
    pub cacert: Option<PathBuf>,
    /// Send every request through this HTTP proxy (`http://[USER:PASSWORD@]HOST:PORT`), except
    /// to the hosts NO_PROXY names, instead of the one HTTPS_PROXY, HTTP_PROXY or ALL_PROXY
    /// names. Its password is never printed.
    #[arg(long, global = true, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,
    /// Connect directly, whatever HTTPS_PROXY, HTTP_PROXY or ALL_PROXY say.
    #[arg(long, global = true)]
    pub no_proxy: bool,
    /// Which HTTP transport to use: ureq (blocking) or reqwest (async).
    #[arg(long, global = true, value_enum, default_value_t = TransportName::Ureq)]
    pub transport: TransportName,
    /// StepFun's site: the international one or the China one.
    #[arg(long, global = true, value_enum, default_value_t = RegionName::International)]
    pub region: RegionName,
    /// Send uploads without checking them against the provider's rules first (purpose,
    /// size, format): for a compatible server whose rules differ. The server has the last
    /// word either way.
    #[arg(long, global = true)]
    pub no_validate: bool,
    /// Refuse a purpose the provider does not document. Without it, such a purpose is sent
    /// with a warning and no size or format check (a near miss of a documented one, such as
    /// `batc` or `Batch`, is refused either way, naming the purpose meant).
    #[arg(long, global = true, conflicts_with = "no_validate")]
    pub strict: bool,
    /// Do not look for the file an upload's lost attempt may have stored before sending it
    /// again. By default, when an attempt fails after its whole body was sent and no answer
    /// came, the client first lists the files for one of the same name, size and time, and
    /// takes it instead of uploading a second copy (-v shows the look).
    #[arg(long, global = true)]
    pub no_reconcile: bool,
    /// Add a header to every request, e.g. --header 'X-Trace: 1' (repeatable). The key's
    /// header and the body's framing headers are the client's and are refused; so is a value
    /// with a line break.
    #[arg(long = "header", global = true, value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,
    /// Add a query parameter to every request, e.g. --extra-query tenant=a (repeatable). A
    /// parameter the client sends itself (limit, after, api-version…) is refused.
    #[arg(long, global = true, value_name = "NAME=VALUE")]
    pub extra_query: Vec<String>,
    /// Add a field to the upload's form, e.g. --extra-field target_model_names=gpt-4o
    /// (repeatable); through the Uploads API, to its JSON bodies. The form's own fields
    /// (file, purpose…) are refused.
    #[arg(long, global = true, value_name = "NAME=VALUE")]
    pub extra_field: Vec<String>,
}

/// How results are shown; accepted before or after the subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Print each result as JSON (one document per line): the provider's object, plus the
    /// facts the command adds (e.g. bytes_written). No progress bars.
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub json: bool,
    /// Print only ids (of the files uploaded, listed, waited for or deleted).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Show no progress bars (they are shown only on a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Log what the client does to stderr: requests, statuses, request ids, attempts and
    /// timings (never a key or a body). -vv for more. RUST_LOG, when set, decides instead
    /// (e.g. RUST_LOG=files_client=debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// A bundled provider, by its spec's id (`openai`, `stepfun`, `azure`, `moonshot`,
/// `dashscope`, `mistral`, `groq`, `zhipu`): every provider in `spec/` is one, with no code
/// here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderName(&'static str);

impl ProviderName {
    /// OpenAI.
    #[cfg(test)]
    pub const OPENAI: ProviderName = ProviderName("openai");
    /// StepFun.
    pub const STEPFUN: ProviderName = ProviderName("stepfun");

    /// The bundled spec's id.
    pub fn id(self) -> &'static str {
        self.0
    }

    /// The bundled provider named `text` (case ignored), or what the names are.
    pub fn parse(text: &str) -> Result<ProviderName, String> {
        let ids = files_spec::bundled::ids();
        ids.iter()
            .find(|id| id.eq_ignore_ascii_case(text.trim()))
            .map(|id| ProviderName(id))
            .ok_or_else(|| {
                format!(
                    "no bundled provider {text:?}: choose one of {} (docs/providers.md), or \
                     give --provider-spec PATH",
                    ids.join(", ")
                )
            })
    }
}

/// A transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportName {
    /// Blocking, over ureq.
    Ureq,
    /// Async, over reqwest and tokio.
    Reqwest,
}

/// A StepFun site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionName {
    /// api.stepfun.ai
    International,
    /// api.stepfun.com
    China,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a local emulator and walk upload → list → retrieve → download → delete against it.
    #[command(
        after_long_help = "Examples:\n  files demo\n  files demo --provider stepfun \
                                 --transport reqwest --size 64MiB"
    )]
    Demo(DemoArgs),
    /// Upload files (or, on StepFun, have the server fetch a URL).
    #[command(
        after_long_help = "Examples:\n  files upload requests.jsonl --purpose batch\n  \
                                 files upload a.pdf b.pdf --purpose assistants -q\n  \
                                 gzip -dc data.jsonl.gz | files upload - --filename data.jsonl \
                                 --purpose batch\n  files upload big.jsonl --purpose batch \
                                 --parts 8 --resume"
    )]
    Upload(UploadArgs),
    /// List files.
    #[command(after_long_help = "Examples:\n  files list --limit 20\n  \
                                 files list --all --json | jq -r .filename")]
    List(ListArgs),
    /// Show one file's metadata.
    #[command(after_long_help = "Example:\n  files get file-abc123 --json")]
    Get {
        /// The file id.
        id: String,
    },
    /// Delete files: those named, or with --all every file (of a purpose, older than an age).
    #[command(
        after_long_help = "Examples:\n  files delete file-abc123 file-def456\n  \
                                 files delete --all --purpose batch --older-than 30d --dry-run\n  \
                                 files delete --all --purpose batch --older-than 30d --yes --jobs 8"
    )]
    Delete(DeleteArgs),
    /// Download files' content.
    #[command(after_long_help = "Examples:\n  files download file-abc123\n  \
                                 files download file-abc123 -o out.jsonl --no-clobber\n  \
                                 files download file-abc123 -o - | head\n  \
                                 files download file-abc123 file-def456 --dir outputs --jobs 8")]
    Download(DownloadArgs),
    /// Wait until a file's processing is over, then show it.
    #[command(after_long_help = "Example:\n  files wait file-abc123 --timeout 10m")]
    Wait(WaitArgs),
    /// Run the local emulator until interrupted.
    #[command(
        after_long_help = "Examples:\n  files serve\n  files serve --provider stepfun \
                                 --addr 127.0.0.1:9000 --path-prefix /v1"
    )]
    Serve(ServeArgs),
    /// Print a shell completion script.
    #[command(after_long_help = "Example:\n  files completions bash > \
                                 ~/.local/share/bash-completion/completions/files")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `files demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Size of the sample file to upload, e.g. 1MiB or 100MB: from 1 byte to what the
    /// provider accepts for the sample's purpose (OpenAI: batch, 200MiB; StepFun:
    /// file-extract, 64MiB).
    #[arg(long, default_value = "1MiB", value_parser = crate::size::parse_demo_size)]
    pub size: u64,
}

/// `files upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The files to upload; `-` reads standard input (give --filename, and --size to stream
    /// it instead of buffering it to a temporary file first).
    #[arg(required_unless_present = "url", conflicts_with = "url")]
    pub paths: Vec<PathBuf>,
    /// A remote URL for the provider to fetch instead (StepFun). The provider names and
    /// types the file itself.
    #[arg(long, conflicts_with_all = ["filename", "content_type"])]
    pub url: Option<String>,
    /// What the file is for, e.g. batch (OpenAI) or file-extract (StepFun); --help lists
    /// every known value.
    #[arg(long)]
    pub purpose: String,
    /// The name the server records (default: the path's base name). Only with one path.
    #[arg(long)]
    pub filename: Option<String>,
    /// The file part's Content-Type (default: guessed from the name).
    #[arg(long)]
    pub content_type: Option<String>,
    /// How many bytes standard input holds (`-`): sent as they are read, never buffered to
    /// disk. Over 512 MB (or with --part-size or --parts) through the Uploads API, cut into
    /// parts as it arrives, with memory for the parts in flight (--parts × --part-size).
    #[arg(long, value_name = "SIZE", value_parser = crate::size::parse_size)]
    pub size: Option<u64>,
    /// Expire the file this many seconds after creation (OpenAI; the range is in
    /// docs/providers.md).
    #[arg(long, value_name = "SECONDS")]
    pub expires_after: Option<u64>,
    /// Send the file through the Uploads API in parts of this size (OpenAI: at most 64MiB,
    /// the default), e.g. 8MiB, 64MiB or plain bytes. Files over 512 MB go in parts anyway.
    #[arg(long, value_name = "SIZE", value_parser = crate::size::parse_size, conflicts_with = "url")]
    pub part_size: Option<u64>,
    /// How many parts to send at once (default 4); implies the Uploads API.
    #[arg(long, value_name = "N", conflicts_with = "url",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parts: Option<u16>,
    /// Continue an upload in parts that stopped (a crash, a kill, Ctrl-C) from its journal:
    /// the parts already sent are not sent again. Refused if the file changed.
    #[arg(long, conflicts_with = "url")]
    pub resume: bool,
    /// With the Uploads API, skip the MD5 of the file sent with the completion (it costs one
    /// more read of the file, alongside the parts, and lets the server check the whole).
    #[arg(long, conflicts_with = "url")]
    pub no_md5: bool,
    /// How many files to upload at once (several paths; not with `-` or --resume). The
    /// results are printed in the order of the paths once all are done; a 429 that asks to
    /// wait holds every upload.
    #[arg(long, value_name = "N", default_value_t = 1, conflicts_with_all = ["url", "resume"],
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

/// `files list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only files of this purpose (OpenAI).
    #[arg(long)]
    pub purpose: Option<String>,
    /// At most this many files per page (OpenAI, 1 to 10000).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Sort order by creation time (OpenAI).
    #[arg(long, value_parser = ["asc", "desc"])]
    pub order: Option<String>,
    /// Start after this file id (OpenAI).
    #[arg(long)]
    pub after: Option<String>,
    /// Follow the cursor through every page (with --json: one file per line, as they come).
    #[arg(long)]
    pub all: bool,
}

/// `files download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The file ids (several need --dir).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Where to write the content; `-` for standard output. Default: the file's name on the
    /// server (its base name only), in the current directory, never replacing a file there.
    /// The file appears only when
    /// the download is complete; a file it replaces keeps its mode.
    #[arg(short, long, value_name = "PATH", conflicts_with = "dir")]
    pub output: Option<PathBuf>,
    /// Write each file into this directory under its name on the server (its base name; the
    /// id when that name cannot be used, and `ID-NAME` for a second file of the same name),
    /// each complete or not at all, never replacing a file there.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// How many downloads to run at once (with --dir).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Refuse to replace a file that exists.
    #[arg(long)]
    pub no_clobber: bool,
}

/// `files delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The file ids.
    #[arg(
        required_unless_present = "all",
        conflicts_with = "all",
        value_name = "ID"
    )]
    pub ids: Vec<String>,
    /// Delete every file the listing shows (narrowed by --purpose and --older-than): it
    /// lists what it would delete first, and asks on a terminal unless --yes is given.
    #[arg(long)]
    pub all: bool,
    /// With --all: only files of this purpose.
    #[arg(long, requires = "all")]
    pub purpose: Option<String>,
    /// With --all: only files created longer ago than this, e.g. 30d, 12h, 90m.
    #[arg(long, requires = "all", value_name = "AGE", value_parser = humantime::parse_duration)]
    pub older_than: Option<std::time::Duration>,
    /// With --all: list what would be deleted, and delete nothing.
    #[arg(long, requires = "all")]
    pub dry_run: bool,
    /// With --all: delete without asking (needed when standard input is no terminal).
    #[arg(long, requires = "all", conflicts_with = "dry_run")]
    pub yes: bool,
    /// How many deletions to run at once.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

/// `files wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The file id.
    pub id: String,
    /// Give up after this long, e.g. 90s, 10m, 1h.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    /// Check this often.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub every: std::time::Duration,
}

/// `files serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8321")]
    pub addr: SocketAddr,
    /// The API key clients must send.
    #[arg(long, default_value = "emulator-key")]
    pub api_key: String,
    /// The path prefix the API is mounted under (a leading `/` is added if missing); by
    /// default /v1, or the provider's path after its endpoint (Azure: /openai/v1).
    #[arg(long)]
    pub path_prefix: Option<String>,
    /// A fault plan to misbehave by: a JSON array of faults, each matching a method and
    /// path and doing one thing (answer a status, delay, stall, cut the connection); see
    /// docs/reliability.md.
    #[arg(long, value_name = "PLAN.json")]
    pub faults: Option<PathBuf>,
    /// Let StepFun `url` uploads fetch from loopback, private and link-local addresses
    /// (refused by default, so the emulator is no proxy into the network it runs on).
    #[arg(long)]
    pub allow_private_urls: bool,
    /// Be one site of the provider and accept only its purposes (StepFun: international
    /// or china, see docs/providers.md); by default any site's purposes are accepted.
    #[arg(long, value_name = "SITE")]
    pub site: Option<String>,
    /// Refuse uploads once this many files are stored (default: the provider's documented
    /// cap, from docs/providers.md).
    #[arg(long, value_name = "N")]
    pub max_files: Option<u64>,
    /// Take files of any size in one `POST /files` (for benchmarks and large-file tests),
    /// instead of refusing what is over the provider's limit; the other rules still apply.
    #[arg(long)]
    pub any_size: bool,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first);
    /// needs --tls-key.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a new self-signed certificate for localhost, 127.0.0.1 and ::1 (and
    /// the --addr host); its PEM goes to a temporary file, printed for clients' --cacert and
    /// removed when the server stops.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
}
