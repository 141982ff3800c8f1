//! The state one running emulator shares between its request handlers and its handle.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use crate::config::EmulatorConfig;
use crate::fault::Fault;
use crate::record::RequestLog;
use crate::remote::Fetcher;
use crate::store::Store;

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct AppState {
    /// The configuration as given.
    pub(crate) config: EmulatorConfig,
    /// The path prefix in canonical form (see [`EmulatorConfig::normalized_prefix`]).
    pub(crate) prefix: String,
    /// The uploaded files.
    pub(crate) store: Store,
    /// Every request received.
    pub(crate) log: RequestLog,
    /// Canned responses waiting for a request.
    faults: Mutex<VecDeque<Fault>>,
    /// The client for StepFun's remote `url` uploads.
    pub(crate) fetcher: Fetcher,
}

impl AppState {
    /// State for `config`, storing file bytes in `storage_dir`.
    pub(crate) fn new(config: EmulatorConfig, storage_dir: PathBuf) -> Self {
        AppState {
            prefix: config.normalized_prefix(),
            config,
            store: Store::new(storage_dir),
            log: RequestLog::default(),
            faults: Mutex::new(VecDeque::new()),
            fetcher: Fetcher::default(),
        }
    }

    /// Queues a fault for a later request.
    pub(crate) fn push_fault(&self, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(fault);
    }

    /// Takes the oldest queued fault, if any.
    pub(crate) fn take_fault(&self) -> Option<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}
