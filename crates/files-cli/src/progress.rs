//! What the command shows while it works: the provider's warnings; a bar for an upload or a
//! download, and for an upload in parts a bar for the whole file and one for each part in
//! flight — on a terminal only, never with `--json`, `-q` or `--no-progress` — with each
//! retry on its own line.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use files_client::{Observer, PartProgress, RetryNotice, SentPart, UploadStarted, UploadWarning};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::OutputArgs;
use crate::output::escape_controls;

/// Whether bars may be drawn: stderr is a terminal and no flag turned them off.
pub fn bars_wanted(out: &OutputArgs) -> bool {
    !out.json && !out.quiet && !out.no_progress && std::io::stderr().is_terminal()
}

/// The style of a transfer's bar.
fn transfer_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// The line a retry prints.
fn retry_line(notice: &RetryNotice) -> String {
    format!(
        "retry {}/{} in {:.1} s: {}",
        notice.attempt - 1,
        notice.max_attempts - 1,
        notice.wait.as_secs_f64(),
        escape_controls(&notice.reason)
    )
}

/// One bar for one transfer: the bytes sent of an upload, or received of a download.
pub struct TransferBar {
    bar: ProgressBar,
}

impl TransferBar {
    /// A bar on stderr when [`bars_wanted`], labelled `label`.
    pub fn for_command(out: &OutputArgs, label: &str) -> Option<Self> {
        bars_wanted(out).then(|| TransferBar::new(ProgressDrawTarget::stderr(), label))
    }

    /// A bar drawn to `target`.
    pub fn new(target: ProgressDrawTarget, label: &str) -> Self {
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(transfer_style());
        bar.set_prefix(label.to_owned());
        TransferBar { bar }
    }

    /// The bytes counted so far.
    #[cfg(test)]
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Removes the bar once the transfer is over.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for TransferBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for TransferBar {
    fn sent(&self, sent: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(sent);
    }

    fn received(&self, received: u64, total: Option<u64>) {
        if let Some(total) = total {
            self.bar.set_length(total);
        }
        self.bar.set_position(received);
    }

    fn retrying(&self, notice: &RetryNotice) {
        self.bar.println(retry_line(notice));
    }
}

/// Prints the warnings of the provider's rules (a deprecated purpose, audio of an unusual
/// length) to stderr, control characters escaped.
pub struct WarningPrinter;

impl Observer for WarningPrinter {
    fn warning(&self, warning: &UploadWarning) {
        crate::output::note(&format!("warning: {}", escape_controls(&warning.message)));
    }
}

/// Several observers as one: each hears everything, in order.
pub struct Observers(pub Vec<Arc<dyn Observer>>);

impl Observer for Observers {
    fn sent(&self, sent: u64, total: u64) {
        self.0.iter().for_each(|o| o.sent(sent, total));
    }
    fn received(&self, received: u64, total: Option<u64>) {
        self.0.iter().for_each(|o| o.received(received, total));
    }
    fn retrying(&self, notice: &RetryNotice) {
        self.0.iter().for_each(|o| o.retrying(notice));
    }
    fn warning(&self, warning: &UploadWarning) {
        self.0.iter().for_each(|o| o.warning(warning));
    }
    fn upload_started(&self, upload: &UploadStarted) {
        self.0.iter().for_each(|o| o.upload_started(upload));
    }
    fn part_sent(&self, progress: &PartProgress) {
        self.0.iter().for_each(|o| o.part_sent(progress));
    }
    fn part_done(&self, part: &SentPart) {
        self.0.iter().for_each(|o| o.part_done(part));
    }
}

/// Bars for an upload in parts: the whole file, and each part in flight.
pub struct PartBars {
    multi: MultiProgress,
    total: ProgressBar,
    /// The bars of the parts in flight, by offset.
    parts: Mutex<BTreeMap<u64, ProgressBar>>,
}

impl PartBars {
    /// Bars drawn on stderr when [`bars_wanted`].
    pub fn for_command(out: &OutputArgs) -> Option<Self> {
        bars_wanted(out).then(|| PartBars::new(ProgressDrawTarget::stderr()))
    }

    /// Bars drawn to `target`.
    pub fn new(target: ProgressDrawTarget) -> Self {
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(0));
        total.set_style(transfer_style());
        total.set_prefix("total");
        PartBars {
            multi,
            total,
            parts: Mutex::new(BTreeMap::new()),
        }
    }

    /// The whole file's bar.
    #[cfg(test)]
    pub fn total(&self) -> &ProgressBar {
        &self.total
    }

    /// How many part bars are shown.
    #[cfg(test)]
    pub fn parts_shown(&self) -> usize {
        self.parts.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for PartBars {
    fn drop(&mut self) {
        // A failed upload leaves no half-drawn bars under its error.
        let _ = self.multi.clear();
    }
}

impl Observer for PartBars {
    fn upload_started(&self, upload: &UploadStarted) {
        self.total.set_length(upload.len);
        if upload.resumed {
            let _ = self.multi.println(format!(
                "resuming Upload {}",
                escape_controls(&upload.upload_id)
            ));
        }
    }

    fn sent(&self, sent: u64, total: u64) {
        self.total.set_length(total);
        self.total.set_position(sent);
    }

    fn part_sent(&self, progress: &PartProgress) {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        let bar = parts.entry(progress.range.offset).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(progress.range.len));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>12} [{bar:30}] {bytes}/{total_bytes}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(format!("part {}/{}", progress.number, progress.count));
            bar
        });
        bar.set_position(progress.sent);
    }

    fn part_done(&self, part: &SentPart) {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = parts.remove(&part.range.offset) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }

    fn retrying(&self, notice: &RetryNotice) {
        let _ = self.multi.println(retry_line(notice));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use files_cli::Api;
    use files_client::{PartRange, Purpose, RequestOptions, UploadRequest};
    use files_emulator::{Dialect, Emulator};
    use provider_openai::OpenAi;

    /// Over real loopback, on both transports: the bar of an upload ends at the file's size,
    /// and so does the bar of its download.
    #[test]
    fn transfer_bars_count_every_byte_of_a_real_upload_and_download() {
        let emulator = Emulator::start(Dialect::openai()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl");
        let size = 3 * 1024 * 1024 + 17;
        let line = b"{\"a\":1}\n";
        let bytes: Vec<u8> = line.iter().copied().cycle().take(size).collect();
        std::fs::write(&path, &bytes).unwrap();
        for transport in ["ureq", "reqwest"] {
            let upload_bar = Arc::new(TransferBar::new(ProgressDrawTarget::hidden(), "upload"));
            let download_bar = Arc::new(TransferBar::new(ProgressDrawTarget::hidden(), "download"));
            let api = |bar: &Arc<TransferBar>| {
                let provider = Box::new(
                    OpenAi::new(emulator.api_key())
                        .with_base_url(&emulator.base_url())
                        .unwrap(),
                );
                let options = RequestOptions::new().observer(bar.clone());
                match transport {
                    "ureq" => Api::blocking(provider, options).unwrap(),
                    _ => Api::with_async(provider, options).unwrap(),
                }
            };
            let file = api(&upload_bar)
                .create(UploadRequest::from_path(&path, Purpose::BATCH))
                .unwrap();
            assert_eq!(upload_bar.position(), size as u64, "{transport} upload");
            let copy = dir.path().join(format!("copy-{transport}"));
            api(&download_bar)
                .download_to_path(&file.id, &copy)
                .unwrap();
            assert_eq!(download_bar.position(), size as u64, "{transport} download");
            assert_eq!(std::fs::read(&copy).unwrap(), bytes);
        }
    }

    #[test]
    fn the_total_bar_ends_at_the_file_size_and_finished_parts_leave() {
        let bars = PartBars::new(ProgressDrawTarget::hidden());
        bars.upload_started(&UploadStarted::new("upload_1", 30, 16));
        let first = PartRange { offset: 0, len: 16 };
        let second = PartRange {
            offset: 16,
            len: 14,
        };
        let progress = |number, range: PartRange, sent| {
            let mut p = PartProgress::new(number, 2, range);
            p.sent = sent;
            p
        };
        bars.part_sent(&progress(1, first, 8));
        bars.part_sent(&progress(2, second, 14));
        assert_eq!(bars.parts_shown(), 2);
        bars.sent(22, 30);
        bars.part_done(&SentPart {
            id: "part_2".into(),
            range: second,
        });
        bars.part_sent(&progress(1, first, 16));
        bars.sent(30, 30);
        bars.part_done(&SentPart {
            id: "part_1".into(),
            range: first,
        });
        assert_eq!(bars.parts_shown(), 0);
        assert_eq!(bars.total().position(), 30);
        assert_eq!(bars.total().length(), Some(30));
    }
}
