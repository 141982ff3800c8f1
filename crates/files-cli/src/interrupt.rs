//! Ctrl-C (SIGINT) and SIGTERM: the first one removes what the command was writing (a
//! download's temporary file, the demo's directory, a buffered stdin), says "interrupted"
//! and exits with 130 or 143; a second one, while that runs, exits at once. A command that
//! must wind down itself (`files serve`) takes the signal instead with [`take_signal`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What is removed if the command is interrupted, and who takes the signal instead.
struct Registry {
    paths: BTreeMap<u64, PathBuf>,
    taker: Option<Sender<i32>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    paths: BTreeMap::new(),
    taker: None,
});
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// How many threads are between creating a path and registering it.
static CREATING: AtomicUsize = AtomicUsize::new(0);
/// Set once the signal thread is on its way to the exit.
static EXITING: AtomicBool = AtomicBool::new(false);

/// How long the first signal waits for a path being created to be registered.
const CREATION_WAIT: Duration = Duration::from_secs(2);

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// The exit status for a process ended by `signal`: 128 + its number.
pub fn status_for(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// Starts listening for SIGINT and SIGTERM. Called once, first thing.
#[cfg(unix)]
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    use std::sync::Arc;

    let second = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it acts only on a signal after the one that set the flag.
        signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(status_for(signal)),
            Arc::clone(&second),
        )?;
        signal_hook::flag::register(signal, Arc::clone(&second))?;
    }
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("files-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                interrupted(signal);
            }
        })?;
    Ok(())
}

/// Elsewhere than Unix, Ctrl-C ends the process as the system does: nothing is listened for.
#[cfg(not(unix))]
pub fn install() -> std::io::Result<()> {
    Ok(())
}

/// The signal that interrupted the command, if one did.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

#[cfg_attr(not(unix), allow(dead_code))]
fn interrupted(signal: i32) {
    SIGNAL.store(signal, Ordering::SeqCst);
    let taker = registry().taker.take();
    if let Some(taker) = taker
        && taker.send(signal).is_ok()
    {
        return;
    }
    // A path being created now is registered before its creator lets go (see `creating`);
    // new ones wait for the exit.
    EXITING.store(true, Ordering::SeqCst);
    let start = Instant::now();
    while CREATING.load(Ordering::SeqCst) > 0 && start.elapsed() < CREATION_WAIT {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Held until the exit, so nothing is registered, or forgotten, meanwhile.
    let registry = registry();
    for path in registry.paths.values() {
        remove(path);
    }
    let _ = writeln!(std::io::stderr(), "interrupted");
    std::process::exit(i32::from(status_for(signal)));
}

/// Marks the caller as creating a path it will register before dropping this; see
/// [`creating`].
#[derive(Debug)]
pub struct Creating(());

impl Drop for Creating {
    fn drop(&mut self) {
        CREATING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Call before creating a path to be removed on interrupt, and keep the result until the
/// path is registered: a signal that comes meanwhile waits for the registration, so the path
/// is removed too. After a signal, this waits for the exit instead of letting more be made.
pub fn creating() -> Creating {
    CREATING.fetch_add(1, Ordering::SeqCst);
    if EXITING.load(Ordering::SeqCst) {
        CREATING.fetch_sub(1, Ordering::SeqCst);
        // The signal thread is removing what is registered and will exit.
        loop {
            std::thread::park();
        }
    }
    Creating(())
}

/// A value that owns a path (a temporary file or directory) together with the guard that
/// removes the path on interrupt. Dropped, the value goes first and the guard after, so the
/// path is never unguarded while it exists.
#[derive(Debug)]
pub struct WithCleanup<T> {
    /// The value; dropped before the guard.
    pub value: T,
    _guard: RemoveOnInterrupt,
}

impl<T> WithCleanup<T> {
    /// Creates a value with `create` and guards the path `path_of` gives, with no window for
    /// a signal to leave the path behind.
    pub fn create<E>(
        create: impl FnOnce() -> Result<T, E>,
        path_of: impl FnOnce(&T) -> PathBuf,
    ) -> Result<Self, E> {
        let creating = creating();
        let value = create()?;
        let guard = RemoveOnInterrupt::new(path_of(&value));
        drop(creating);
        Ok(WithCleanup {
            value,
            _guard: guard,
        })
    }
}

impl<T> std::ops::Deref for WithCleanup<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

fn remove(path: &Path) {
    let remove_once = || match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
    // Another thread may still be adding to a directory as it goes: a few more tries.
    let mut removed = remove_once();
    for _ in 0..3 {
        if removed.is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        removed = remove_once();
    }
    if let Err(e) = removed {
        let _ = writeln!(
            std::io::stderr(),
            "could not remove {}: {e}",
            path.display()
        );
    }
}

/// A path (a file or a directory) removed if the command is interrupted while this guard
/// lives. Dropping the guard only forgets the path: removing it otherwise is its owner's job.
#[derive(Debug)]
pub struct RemoveOnInterrupt(u64);

impl RemoveOnInterrupt {
    /// Registers `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        registry().paths.insert(id, path.into());
        RemoveOnInterrupt(id)
    }
}

impl Drop for RemoveOnInterrupt {
    fn drop(&mut self) {
        registry().paths.remove(&self.0);
    }
}

/// Hands the next SIGINT or SIGTERM to the caller instead of exiting: the receiver gets the
/// signal's number. A second signal still exits at once.
pub fn take_signal() -> Receiver<i32> {
    let (sender, receiver) = channel();
    registry().taker = Some(sender);
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;
    use signal_hook::consts::{SIGINT, SIGTERM};

    #[test]
    fn statuses_are_128_plus_the_signal() {
        assert_eq!(status_for(SIGINT), 130);
        assert_eq!(status_for(SIGTERM), 143);
    }

    #[test]
    fn a_guard_forgets_its_path_when_dropped() {
        let guard = RemoveOnInterrupt::new("/nonexistent/a");
        let id = guard.0;
        assert!(registry().paths.contains_key(&id));
        drop(guard);
        assert!(!registry().paths.contains_key(&id));
    }
}
