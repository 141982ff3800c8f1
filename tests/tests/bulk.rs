//! Bulk work over loopback through both transports: many uploads, downloads and deletions
//! with several in flight, the results in input order, each failure its own; and one `429`
//! with `retry-after` holding every worker of the client, not only the one that met it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use files_client::{
    AsyncClient, AsyncEnvironment, Client, Environment, Error, Purpose, SystemEnvironment,
    UploadRequest,
};
use files_core::extend::ops::Now;
use files_emulator::Fault;
use files_tests::{Setup, Wire};
use provider_openai::OpenAi;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

files_tests::both_transports!(
    uploads_come_back_in_input_order_and_a_failure_is_its_own,
    downloads_each_complete_or_absent_and_deletions_each_answered,
);

const COUNT: usize = 24;

fn uploads_come_back_in_input_order_and_a_failure_is_its_own(wire: Wire) {
    let s = Setup::new(wire);
    let (purpose, _) = s.purpose_and_name();
    let mut uploads = Vec::new();
    for i in 0..COUNT {
        let name = format!("f{i:02}.txt");
        if i == 7 {
            uploads.push(UploadRequest::from_path(
                s.path("missing.txt"),
                purpose.clone(),
            ));
        } else {
            std::fs::write(s.path(&name), format!("file {i}\n")).unwrap();
            uploads.push(UploadRequest::from_path(s.path(&name), purpose.clone()));
        }
    }
    let results = s.api.upload_many(uploads, 6);
    assert_eq!(results.len(), COUNT);
    for (i, result) in results.iter().enumerate() {
        match result {
            Err(Error::LocalFile(e)) if i == 7 => {
                assert!(e.to_string().contains("missing.txt"), "{e}");
            }
            Ok(file) if i != 7 => {
                assert_eq!(file.filename, format!("f{i:02}.txt"), "in input order");
                assert_eq!(file.bytes, format!("file {i}\n").len() as u64);
            }
            other => panic!("{i}: {other:?}"),
        }
    }
    let listed = s.api.list(&files_client::ListParams::new()).unwrap();
    assert_eq!(
        listed.data.len(),
        COUNT - 1,
        "each other upload stored once"
    );
}

fn downloads_each_complete_or_absent_and_deletions_each_answered(wire: Wire) {
    let s = Setup::new(wire);
    let (purpose, _) = s.purpose_and_name();
    let mut ids = Vec::new();
    for i in 0..8 {
        let body = format!("content {i}\n").repeat(1000);
        let file = s
            .api
            .create(UploadRequest::from_bytes(
                body,
                format!("d{i}.txt"),
                purpose.clone(),
            ))
            .unwrap();
        ids.push(file.id);
    }
    let out = s.path("out");
    std::fs::create_dir(&out).unwrap();
    let mut downloads: Vec<(String, std::path::PathBuf)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), out.join(format!("d{i}.txt"))))
        .collect();
    downloads.insert(3, ("file-nosuchfile".to_owned(), out.join("gone.txt")));
    let results = s.api.download_many(downloads, 4);
    assert_eq!(results.len(), 9);
    for (i, result) in results.iter().enumerate() {
        if i == 3 {
            assert_eq!(result.as_ref().unwrap_err().status(), Some(404));
            continue;
        }
        let n = if i < 3 { i } else { i - 1 };
        let expected = format!("content {n}\n").repeat(1000);
        assert_eq!(*result.as_ref().unwrap(), expected.len() as u64);
        let written = std::fs::read_to_string(out.join(format!("d{n}.txt"))).unwrap();
        assert_eq!(written, expected);
    }
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 8, "no partial or failed file left: {left:?}");

    let mut to_delete = ids.clone();
    to_delete.push("file-nosuchfile".to_owned());
    let results = s.api.delete_many(to_delete, 3);
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(deleted) => assert_eq!(deleted.id, ids[i]),
            Err(e) => assert!(i == 8 && e.status() == Some(404), "{i}: {e}"),
        }
    }
    assert!(
        s.api
            .list(&files_client::ListParams::new())
            .unwrap()
            .data
            .is_empty()
    );
}

/// The real clock and sleep, with every sleep of a second or more written down: the retry
/// pause of the worker that met the `429`, and the hold of the others.
#[derive(Clone, Default)]
struct LongSleeps {
    real: Arc<SystemEnvironmentCell>,
    seen: Arc<Mutex<Vec<Duration>>>,
}

#[derive(Default)]
struct SystemEnvironmentCell(std::sync::OnceLock<SystemEnvironment>);

impl SystemEnvironmentCell {
    fn get(&self) -> &SystemEnvironment {
        self.0.get_or_init(SystemEnvironment::new)
    }
}

impl LongSleeps {
    fn note(&self, duration: Duration) {
        if duration >= Duration::from_millis(500) {
            self.seen.lock().unwrap().push(duration);
        }
    }
}

impl Environment for LongSleeps {
    fn now(&self) -> Now {
        Environment::now(self.real.get())
    }
    fn random(&self) -> u128 {
        Environment::random(self.real.get())
    }
    fn sleep(&self, duration: Duration) {
        self.note(duration);
        Environment::sleep(self.real.get(), duration);
    }
}

#[async_trait::async_trait]
impl AsyncEnvironment for LongSleeps {
    fn now(&self) -> Now {
        AsyncEnvironment::now(self.real.get())
    }
    fn random(&self) -> u128 {
        AsyncEnvironment::random(self.real.get())
    }
    async fn sleep(&self, duration: Duration) {
        self.note(duration);
        AsyncEnvironment::sleep(self.real.get(), duration).await;
    }
}

#[test]
fn a_429_with_retry_after_holds_every_worker_of_the_client() {
    files_tests::within_deadline(|| {
        for asynchronous in [false, true] {
            let s = Setup::new(Wire::OpenAiUreq);
            // The fifth upload meets a 429 that asks for 2 s; the others are free to go.
            s.emulator.inject(
                Fault::status(429, serde_json::json!({"error": {"message": "slow down"}}))
                    .with_header("retry-after", "2")
                    .on("POST", "/files")
                    .every(5)
                    .times(1),
            );
            let env = LongSleeps::default();
            let provider = OpenAi::new(s.emulator.api_key())
                .with_base_url(&s.emulator.base_url())
                .unwrap();
            let uploads: Vec<UploadRequest> = (0..16)
                .map(|i| {
                    UploadRequest::from_bytes(
                        format!("{i}\n"),
                        format!("r{i}.txt"),
                        Purpose::ASSISTANTS,
                    )
                })
                .collect();
            let results = if asynchronous {
                let client = AsyncClient::new(provider, ReqwestTransport::new().unwrap())
                    .with_environment(env.clone());
                let runtime = tokio::runtime::Runtime::new().unwrap();
                runtime.block_on(client.files().upload_many(uploads, 4))
            } else {
                let client = Client::new(provider, UreqTransport::new().unwrap())
                    .with_environment(env.clone());
                client.files().upload_many(uploads, 4)
            };
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            assert_eq!(s.emulator.faults_fired(), 1);
            let long = env.seen.lock().unwrap().clone();
            // The worker that met it waits its 2 s; at least one other was held too, instead
            // of sending into the limit.
            assert!(
                long.len() >= 2,
                "async={asynchronous}: only {long:?} waited"
            );
            assert!(
                long.iter().all(|d| *d <= Duration::from_secs(2)),
                "{long:?}"
            );
        }
    });
}
