//! What the CLI tests share: waiting on a child `files` process with a deadline, so a hang
//! fails the test with what the child said instead of stalling the run.
// Each test binary uses some of these helpers, not all.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ExitStatus, Output};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a child may take to do what a test waits for. Generous: passing it means a hang.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// How often a waiting test looks again.
const POLL: Duration = Duration::from_millis(20);

/// Waits until `ready` holds while `child` runs, for at most [`DEADLINE`]; past it, kills
/// the child and fails the test naming `what`, and fails at once (with the child's exit
/// status) if the child ends first. Either way with its stderr, if that is piped here.
pub fn wait_until(child: &mut Child, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    let stderr = |child: &mut Child| {
        let mut text = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    };
    while !ready() {
        if let Some(status) = child.try_wait().expect("try_wait on the child") {
            panic!(
                "the command ended ({status}) before {what}: {}",
                stderr(child)
            );
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "gave up after {} s waiting for {what}; killed the command. Its stderr:\n{}",
                DEADLINE.as_secs(),
                stderr(child)
            );
        }
        std::thread::sleep(POLL);
    }
}

/// Waits for `child` to exit, for at most [`DEADLINE`]; past it, kills the child and fails
/// the test naming `what`, with the child's stderr (which `stderr` gives, once the child is
/// gone and its pipe closed).
fn exit_or_kill(child: &mut Child, what: &str, stderr: impl FnOnce() -> String) -> ExitStatus {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait on the child") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the command had not exited after {} s waiting for {what}; killed it. Its \
                 stderr:\n{}",
                DEADLINE.as_secs(),
                stderr()
            );
        }
        std::thread::sleep(POLL);
    }
}

/// Reads a pipe to its end on a thread of its own, so the child never blocks on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<JoinHandle<Vec<u8>>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    })
}

fn joined(reader: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    reader.map_or_else(Vec::new, |r| r.join().expect("the pipe reader"))
}

/// Waits for `child` to exit as [`Child::wait_with_output`] does (whatever of stdout and
/// stderr is still piped is collected), for at most [`DEADLINE`]; past it, kills the child
/// and fails the test naming `what`, with its stderr.
pub fn finish(mut child: Child, what: &str) -> Output {
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let mut stderr = Some(stderr);
    let status = exit_or_kill(&mut child, what, || {
        String::from_utf8_lossy(&joined(stderr.take().flatten())).into_owned()
    });
    Output {
        status,
        stdout: joined(stdout),
        stderr: joined(stderr.flatten()),
    }
}

/// Runs `command` with no stdin, for at most [`DEADLINE`]: its exit code, stdout and stderr.
pub fn run(command: &mut std::process::Command) -> (Option<i32>, String, String) {
    use std::process::Stdio;
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the command");
    let out = finish(child, "the command to finish");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits for `child` to exit, for at most [`DEADLINE`]; past it, kills the child and fails
/// the test naming `what`, with its stderr if that is still piped to the test.
pub fn wait_bounded(child: &mut Child, what: &str) -> ExitStatus {
    let stderr = drain(child.stderr.take());
    exit_or_kill(child, what, || {
        if stderr.is_none() {
            return "(not captured)".to_owned();
        }
        String::from_utf8_lossy(&joined(stderr)).into_owned()
    })
}

/// A child's stderr, read line by line on a thread of its own: a test waits for a line with
/// a deadline, and the child never blocks on a full pipe.
pub struct StderrLines {
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl StderrLines {
    /// Takes `child`'s piped stderr.
    pub fn take(child: &mut Child) -> Self {
        let pipe = child.stderr.take().expect("the child's stderr is piped");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        StderrLines {
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for the first line `wanted` accepts and gives it. Fails the test, naming `what`
    /// and showing the lines so far, if the child closes its stderr first or if the line
    /// has not come after [`DEADLINE`] (then the child is killed).
    pub fn wait_for(
        &mut self,
        child: &mut Child,
        what: &str,
        mut wanted: impl FnMut(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = exit_or_kill(child, what, || self.seen.join("\n"));
                    panic!(
                        "the command ended ({status}) before {what}; its stderr:\n{}",
                        self.seen.join("\n")
                    );
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "gave up after {} s waiting for {what}; killed the command. Its \
                         stderr:\n{}",
                        DEADLINE.as_secs(),
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// The next line, or `None` once the child has closed its stderr. Fails the test, naming
    /// `what` and showing the lines so far, if no line has come after [`DEADLINE`] (then the
    /// child is killed).
    pub fn next_line(&mut self, child: &mut Child, what: &str) -> Option<String> {
        match self.lines.recv_timeout(DEADLINE) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "gave up after {} s waiting for {what}; killed the command. Its stderr:\n{}",
                    DEADLINE.as_secs(),
                    self.seen.join("\n")
                );
            }
        }
    }

    /// The lines read so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Waits for `child` to exit, for at most [`DEADLINE`] (past it, kills it and fails the
    /// test naming `what`), and gives its status and the lines after those waited for.
    pub fn exit(mut self, child: &mut Child, what: &str) -> (ExitStatus, Vec<String>) {
        let status = exit_or_kill(child, what, || {
            let rest = self.rest();
            self.seen.extend(rest);
            self.seen.join("\n")
        });
        (status, self.rest())
    }

    /// The lines still to come, to the end of the pipe (closed once the child is gone).
    fn rest(&self) -> Vec<String> {
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(DEADLINE) {
                Ok(line) => rest.push(line),
                Err(RecvTimeoutError::Disconnected) => return rest,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "the command's stderr was still open {} s after it exited: {rest:?}",
                    DEADLINE.as_secs()
                ),
            }
        }
    }
}
