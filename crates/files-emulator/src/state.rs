//! The state one running emulator shares between its request handlers and its handle.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use tokio::sync::watch;

use crate::config::EmulatorConfig;
use crate::fault::{Fault, FaultAction};
use crate::record::RequestLog;
use crate::remote::Fetcher;
use crate::store::{Store, unix_now};
use crate::uploads_api::Uploads;

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
    /// Canned responses waiting for a request, each with how many matching requests it
    /// has seen.
    faults: Mutex<VecDeque<(Fault, u32)>>,
    /// The client for StepFun's remote `url` uploads.
    pub(crate) fetcher: Fetcher,
    /// How many times a fault has fired.
    faults_fired: std::sync::atomic::AtomicU64,
    /// Becomes `true` when the server is stopping: stalled responses end then.
    stopping: watch::Sender<bool>,
    /// The open Uploads (the Uploads API).
    pub(crate) uploads: Uploads,
    /// Seconds the emulator's clock runs ahead of the system's (tests move it on).
    clock_ahead: std::sync::atomic::AtomicU64,
}

impl AppState {
    /// State for `config`, storing file bytes in `storage_dir`.
    pub(crate) fn new(config: EmulatorConfig, storage_dir: PathBuf) -> Self {
        let faults = config.faults.iter().map(|f| (f.clone(), 0)).collect();
        let fetcher = Fetcher::new(config.allow_private_urls);
        AppState {
            prefix: config.normalized_prefix(),
            config,
            store: Store::new(storage_dir),
            log: RequestLog::default(),
            faults: Mutex::new(faults),
            faults_fired: std::sync::atomic::AtomicU64::new(0),
            fetcher,
            stopping: watch::Sender::new(false),
            uploads: Uploads::default(),
            clock_ahead: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The emulator's time in Unix seconds: the system's, moved on by [`AppState::advance_clock`].
    pub(crate) fn now(&self) -> u64 {
        unix_now() + self.clock_ahead.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves the emulator's clock on by `seconds`.
    pub(crate) fn advance_clock(&self, seconds: u64) {
        self.clock_ahead
            .fetch_add(seconds, std::sync::atomic::Ordering::Relaxed);
    }

    /// Tells stalled responses that the server is stopping.
    pub(crate) fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves once the server is stopping.
    pub(crate) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopping = self.stopping.subscribe();
        async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
        }
    }

    /// Queues a fault for a later request.
    pub(crate) fn push_fault(&self, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back((fault, 0));
    }

    /// Drops every queued fault.
    pub(crate) fn clear_faults(&self) {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// How many times a fault has fired so far.
    pub(crate) fn faults_fired(&self) -> u64 {
        self.faults_fired.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Fires the oldest queued fault that matches `method` on `path` (below the prefix) and
    /// is due, if any: one of its uses is spent. Every matching fault counts the request.
    pub(crate) fn take_fault(&self, method: &str, path: &str) -> Option<FaultAction> {
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        let mut fired = None;
        for (index, (fault, seen)) in faults.iter_mut().enumerate() {
            if !fault.matches(method, path) {
                continue;
            }
            *seen = seen.saturating_add(1);
            if fired.is_none() && *seen % fault.every.max(1) == 0 {
                fired = Some(index);
            }
        }
        let index = fired?;
        self.faults_fired
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fault = &mut faults[index].0;
        fault.times = fault.times.saturating_sub(1);
        let action = fault.action.clone();
        if fault.times == 0 {
            faults.remove(index);
        }
        Some(action)
    }
}
