//! [`Emulator`]: a server on its own thread and runtime, for tests.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::config::EmulatorConfig;
use crate::dialect::Dialect;
use crate::error::EmulatorError;
use crate::fault::Fault;
use crate::record::RecordedRequest;
use crate::server;
use crate::state::AppState;

/// How long requests still in flight at shutdown may take to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Creates a temporary directory for uploaded files.
pub(crate) fn storage_dir() -> std::io::Result<TempDir> {
    tempfile::Builder::new().prefix("files-emulator-").tempdir()
}

/// A running emulator on `127.0.0.1` and an ephemeral port.
///
/// It runs its own tokio runtime on its own thread, so it can be started from a plain
/// `#[test]` as well as from inside an async runtime. Dropping it stops the server (waiting
/// up to two seconds for requests in flight) and deletes the stored files.
///
/// ```
/// use files_emulator::{Dialect, Emulator};
///
/// let emulator = Emulator::start(Dialect::stepfun())?;
/// assert!(emulator.base_url().ends_with("/v1"));
/// assert_eq!(emulator.api_key(), "emulator-key");
/// assert!(emulator.requests().is_empty());
/// # Ok::<(), files_emulator::EmulatorError>(())
/// ```
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Dropped after the server thread has stopped (fields drop after [`Drop::drop`]).
    _storage: TempDir,
}

impl Emulator {
    /// Starts an emulator of `dialect` with the defaults of [`EmulatorConfig::new`].
    ///
    /// # Errors
    ///
    /// Fails if the socket, the runtime or the storage directory cannot be set up.
    pub fn start(dialect: Dialect) -> Result<Emulator, EmulatorError> {
        Emulator::start_with(EmulatorConfig::new(dialect))
    }

    /// Starts an emulator with `config`.
    ///
    /// # Errors
    ///
    /// Fails if the socket, the runtime or the storage directory cannot be set up.
    pub fn start_with(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let std_listener =
            std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(EmulatorError::Bind)?;
        std_listener
            .set_nonblocking(true)
            .map_err(EmulatorError::Bind)?;
        let addr = std_listener.local_addr().map_err(EmulatorError::Bind)?;
        let storage = storage_dir().map_err(EmulatorError::Storage)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(EmulatorError::Runtime)?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(EmulatorError::Bind)?
        };
        let state = Arc::new(AppState::new(config, storage.path().to_owned()));
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("files-emulator-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let (graceful_tx, graceful_rx) = oneshot::channel::<()>();
                    let server = server::run(listener, server_state, async move {
                        let _ = graceful_rx.await;
                    });
                    tokio::pin!(server);
                    tokio::select! {
                        // The server only ends early if it fails; nothing is left to do.
                        _ = &mut server => return,
                        // A stop request, or the handle was dropped without sending one.
                        _ = stop_rx => {}
                    }
                    let _ = graceful_tx.send(());
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, server).await;
                });
                runtime.shutdown_timeout(Duration::from_millis(500));
            })
            .map_err(EmulatorError::Runtime)?;
        Ok(Emulator {
            addr,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
            _storage: storage,
        })
    }

    /// Moves the emulator's clock on by `by` (whole seconds): what tests use to let an Upload
    /// expire, or a file's expiry come, without waiting.
    pub fn advance_clock(&self, by: Duration) {
        self.state.advance_clock(by.as_secs());
    }

    /// The base URL clients use, such as `http://127.0.0.1:41234/v1` (`https://` when the
    /// configuration has a TLS identity).
    pub fn base_url(&self) -> String {
        let scheme = if self.state.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}{}", self.addr, self.state.prefix)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key clients must send.
    pub fn api_key(&self) -> &str {
        &self.state.config.api_key
    }

    /// The dialect the server speaks.
    pub fn dialect(&self) -> Dialect {
        self.state.config.dialect.clone()
    }

    /// Every request received so far, in the order they arrived.
    ///
    /// A request's body facts (`body_bytes`, `file_part`) are complete once its response
    /// has been sent.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.log.snapshot()
    }

    /// Queues `fault`: the next request under the path prefix gets it instead of normal
    /// handling (one fault per request, in the order queued).
    pub fn inject(&self, fault: Fault) {
        self.state.push_fault(fault);
    }

    /// Drops every fault still queued: the server behaves from the next request on.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// How many times a fault has fired so far.
    pub fn faults_fired(&self) -> u64 {
        self.state.faults_fired()
    }

    /// The directory the uploaded files' bytes are kept in (removed when the emulator is
    /// dropped): one file per stored file, named by its id, plus uploads in progress.
    pub fn storage_path(&self) -> &std::path::Path {
        self._storage.path()
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .field("dialect", &self.dialect())
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has already been reported; nothing to add.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn handle_is_shareable_and_cleans_up() {
        assert_send_sync::<Emulator>();
        let emulator = Emulator::start(Dialect::openai()).unwrap_or_else(|e| panic!("{e}"));
        let dir = emulator._storage.path().to_owned();
        assert!(dir.is_dir());
        drop(emulator);
        assert!(!dir.exists(), "storage outlived the emulator");
    }
}
