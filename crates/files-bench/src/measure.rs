//! `files-bench measure -- COMMAND…`: runs the command as this process's only child and
//! reports what it cost: wall time, user and system CPU time, and peak resident memory
//! (from `getrusage(RUSAGE_CHILDREN)`, which, with one child waited for, is that child's).

use std::process::Command;
use std::time::Instant;

/// Runs the command; prints `measured {json}` as the last line of stdout (after a line break,
/// since the command's output may not end with one).
pub fn run(args: &[String]) -> Result<(), String> {
    let command = match args {
        [dashes, command @ ..] if dashes == "--" && !command.is_empty() => command,
        _ => return Err("usage: files-bench measure -- COMMAND [ARGS…]".to_owned()),
    };
    let started = Instant::now();
    let status = Command::new(&command[0])
        .args(&command[1..])
        .status()
        .map_err(|e| format!("could not run {}: {e}", command[0]))?;
    let wall = started.elapsed().as_secs_f64();
    let (user, system, max_rss_kib) = children_usage()?;
    println!(
        "\nmeasured {}",
        serde_json::json!({
            "ok": status.success(),
            "status": status.to_string(),
            "wall_s": wall,
            "user_s": user,
            "sys_s": system,
            "max_rss_kib": max_rss_kib,
        })
    );
    Ok(())
}

#[cfg(unix)]
fn children_usage() -> Result<(f64, f64, u64), String> {
    use nix::sys::resource::{UsageWho, getrusage};
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1_000_000.0;
    // Linux reports ru_maxrss in KiB.
    Ok((
        seconds(usage.user_time()),
        seconds(usage.system_time()),
        u64::try_from(usage.max_rss()).unwrap_or(0),
    ))
}

#[cfg(not(unix))]
fn children_usage() -> Result<(f64, f64, u64), String> {
    Err("measuring a child's CPU time and memory needs getrusage (Unix)".to_owned())
}
