//! The drivers against canned transports and a virtual clock: no network, no waiting.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use files_core::extend::ops::Now;
use files_core::extend::provider::Provider;
use files_core::{Error, ListParams, Purpose, RequestOptions, TransportError, UploadRequest};
use files_io::transport::{RequestBody, ResponseBody, Transport, transport_fn};
use provider_openai::OpenAi;

use crate::{Client, Environment};

/// A clock that only moves when the client sleeps, and records each sleep.
#[derive(Default)]
struct VirtualClock {
    now: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl Environment for Arc<VirtualClock> {
    fn now(&self) -> Now {
        let now = *self.now.lock().unwrap();
        Now {
            monotonic: now,
            wall: UNIX_EPOCH + Duration::from_secs(1_700_000_000) + now,
        }
    }
    fn random(&self) -> u128 {
        7
    }
    fn sleep(&self, duration: Duration) {
        *self.now.lock().unwrap() += duration;
        self.sleeps.lock().unwrap().push(duration);
    }
}

fn provider() -> OpenAi {
    OpenAi::new("sk-test")
        .with_base_url("http://127.0.0.1:9/v1")
        .unwrap()
}

fn file_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","object":"file","bytes":3,"created_at":1,"filename":"a.txt","purpose":"assistants"}}"#
    )
}

/// A scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, &'static str)>, String);

/// A request as a scripted transport read it: its `Content-Type` and its whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Sent {
    /// The parts of the `multipart/form-data` body, read here without the code that wrote
    /// them: each part's header lines and its content.
    fn multipart(&self) -> Vec<(String, Vec<u8>)> {
        let content_type = self.content_type.as_deref().unwrap_or_default();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap_or_else(|| panic!("not a multipart body: {content_type:?}"));
        // With a CRLF before it, the first delimiter reads like the others.
        let body = [&b"\r\n"[..], &self.body].concat();
        let pieces = split(&body, format!("\r\n--{boundary}").as_bytes());
        let text = String::from_utf8_lossy(&self.body);
        assert!(pieces.len() >= 2, "no delimiters in {text:?}");
        assert_eq!(pieces[0], b"", "no preamble: {text:?}");
        assert_eq!(pieces[pieces.len() - 1], b"--\r\n", "closed: {text:?}");
        pieces[1..pieces.len() - 1]
            .iter()
            .map(|piece| {
                let piece = piece
                    .strip_prefix(b"\r\n")
                    .expect("a CRLF after the delimiter");
                let mut halves = split(piece, b"\r\n\r\n");
                assert!(halves.len() >= 2, "a part's head: {text:?}");
                let head = String::from_utf8(halves.remove(0).to_vec()).unwrap();
                // The content may hold a blank line itself: put it back together.
                (head, halves.join(&b"\r\n\r\n"[..]))
            })
            .collect()
    }
}

/// `bytes` cut at each occurrence of `delimiter`, which is dropped.
fn split<'a>(bytes: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at + delimiter.len() <= bytes.len() {
        if &bytes[at..at + delimiter.len()] == delimiter {
            pieces.push(&bytes[start..at]);
            at += delimiter.len();
            start = at;
        } else {
            at += 1;
        }
    }
    pieces.push(&bytes[start..]);
    pieces
}

/// A transport that answers from a script, one response per request, and records each
/// request it read.
fn scripted(answers: Vec<Answer>) -> (impl Transport, Arc<Mutex<Vec<Sent>>>) {
    let answers = Mutex::new(answers.into_iter());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let transport = transport_fn(move |request: http::Request<RequestBody>| {
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let mut body = Vec::new();
        request
            .into_body()
            .read_to_end(&mut body)
            .map_err(|e| TransportError::io("sending", e))?;
        record.lock().unwrap().push(Sent { content_type, body });
        let (status, headers, text) = answers.lock().unwrap().next().expect("a scripted answer");
        let mut response = http::Response::builder().status(status);
        for (name, value) in headers {
            response = response.header(name, value);
        }
        Ok(response.body(ResponseBody::from_bytes(text)).unwrap())
    });
    (transport, seen)
}

/// What a program keeps in a struct: a client, with no type parameters.
struct App {
    files: Client,
}

#[test]
fn a_client_of_boxed_parts_lives_in_a_struct_and_waits_as_the_server_asks() {
    let clock = Arc::new(VirtualClock::default());
    let (transport, seen) = scripted(vec![
        (503, vec![("retry-after", "2")], String::new()),
        (200, vec![], file_json("file-1")),
    ]);
    let provider: Box<dyn Provider> = Box::new(provider());
    let transport: Box<dyn Transport> = Box::new(transport);
    let app = App {
        files: Client::new(provider, transport).with_environment(clock.clone()),
    };
    let file = app
        .files
        .files()
        .create(UploadRequest::from_bytes(
            &b"abc"[..],
            "a.txt",
            Purpose::ASSISTANTS,
        ))
        .unwrap();
    assert_eq!(file.id, "file-1");
    assert_eq!(*clock.sleeps.lock().unwrap(), [Duration::from_secs(2)]);
    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        String::from_utf8_lossy(&sent[1].body),
        String::from_utf8_lossy(&sent[0].body),
        "the retry re-sent the whole body"
    );
    assert_eq!(sent[1], sent[0], "byte for byte, with the same boundary");
    let file = sent[0]
        .multipart()
        .into_iter()
        .find(|(head, _)| head.contains("name=\"file\""))
        .expect("a file part");
    assert_eq!(file.1, b"abc", "the file's bytes, each time");
}

/// An observer that panics on every notice it hears, and counts them.
#[derive(Default)]
struct PanicsOnNotices(Mutex<u32>);

impl files_core::Observer for PanicsOnNotices {
    fn retrying(&self, _: &files_core::RetryNotice) {
        *self.0.lock().unwrap() += 1;
        panic!("an observer that panics on a retry");
    }
}

#[test]
fn an_observer_that_panics_on_a_notice_neither_stops_nor_hangs_the_operation() {
    let clock = Arc::new(VirtualClock::default());
    let (transport, seen) = scripted(vec![
        (503, vec![], String::new()),
        (503, vec![], String::new()),
        (200, vec![], file_json("file-1")),
    ]);
    let observer = Arc::new(PanicsOnNotices::default());
    let client = Client::new(provider(), transport)
        .with_environment(clock.clone())
        .with_options(RequestOptions::new().observer(observer.clone()));
    let upload = UploadRequest::from_bytes(&b"abc"[..], "a.txt", Purpose::ASSISTANTS);
    let file = client.files().create(upload).unwrap();
    assert_eq!(file.id, "file-1");
    assert_eq!(seen.lock().unwrap().len(), 3, "every attempt was sent");
    assert_eq!(
        clock.sleeps.lock().unwrap().len(),
        2,
        "and every pause waited out"
    );
    assert_eq!(*observer.0.lock().unwrap(), 2, "both retries were heard");
}

#[test]
fn backoff_without_a_server_wait_follows_the_rules_on_a_virtual_clock() {
    let clock = Arc::new(VirtualClock::default());
    let (transport, _) = scripted(vec![
        (500, vec![], String::new()),
        (500, vec![], String::new()),
        (500, vec![("x-request-id", "req_last")], String::new()),
    ]);
    let client = Client::new(provider(), transport).with_environment(clock.clone());
    let err = client.files().retrieve("file-1").unwrap_err();
    assert_eq!(err.attempts(), Some(3));
    assert_eq!(err.request_id(), Some("req_last"));
    let sleeps = clock.sleeps.lock().unwrap().clone();
    // The random number 7 is almost zero: the full backoff, 0.5 s then 1 s.
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] > Duration::from_millis(499) && sleeps[0] <= Duration::from_millis(500));
    assert!(sleeps[1] > Duration::from_millis(999) && sleeps[1] <= Duration::from_secs(1));
}

#[test]
fn a_file_that_shrinks_while_it_is_sent_is_a_local_error_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, b"0123456789").unwrap();
    let shrink = path.clone();
    let attempts = Arc::new(Mutex::new(0));
    let counted = attempts.clone();
    let transport = transport_fn(move |request: http::Request<RequestBody>| {
        *counted.lock().unwrap() += 1;
        std::fs::write(&shrink, b"0123").unwrap();
        let mut body = Vec::new();
        request
            .into_body()
            .read_to_end(&mut body)
            .map_err(|e| TransportError::io("sending the request", e))?;
        unreachable!("the body cannot be read whole");
    });
    let client = Client::new(provider(), transport);
    let err = client
        .files()
        .create(UploadRequest::from_path(&path, Purpose::ASSISTANTS))
        .unwrap_err();
    let Error::LocalFile(local) = &err else {
        panic!("a local failure, not a connection failure: {err:?}")
    };
    assert_eq!(local.path, path);
    assert!(
        err.to_string()
            .contains("ended after 4 of its declared 10 bytes"),
        "{err}"
    );
    assert_eq!(*attempts.lock().unwrap(), 1);
}

#[test]
fn a_closure_transport_uploads_from_a_path_with_no_extra_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, b"hello").unwrap();
    let (transport, seen) = scripted(vec![(200, vec![], file_json("file-2"))]);
    let client = Client::new(provider(), transport);
    let file = client
        .files()
        .create(UploadRequest::from_path(&path, Purpose::ASSISTANTS))
        .unwrap();
    assert_eq!(file.id, "file-2");
    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let parts: Vec<(String, String)> = sent[0]
        .multipart()
        .into_iter()
        .map(|(head, content)| (head, String::from_utf8(content).unwrap()))
        .collect();
    let expected = [
        (
            "Content-Disposition: form-data; name=\"purpose\"",
            "assistants",
        ),
        (
            "Content-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\
             Content-Type: text/plain",
            "hello",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(head, content)| (head.to_string(), content.to_string()))
        .collect();
    assert_eq!(
        parts, expected,
        "the file's name and exact bytes, read from its path"
    );
}

#[test]
fn list_all_is_lazy() {
    let page = |ids: &[&str], more: bool| {
        let data: Vec<String> = ids
            .iter()
            .map(|id| {
                format!(
                    r#"{{"id":"{id}","bytes":1,"created_at":1,"filename":"f","purpose":"batch"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"data":[{}],"has_more":{more},"last_id":"{}"}}"#,
            data.join(","),
            ids.last().unwrap()
        )
    };
    let (transport, seen) = scripted(vec![
        (200, vec![], page(&["a", "b"], true)),
        (200, vec![], page(&["c"], false)),
    ]);
    let client = Client::new(provider(), transport);
    let mut files = client.files().list_all(&ListParams::new().limit(2));
    assert_eq!(
        seen.lock().unwrap().len(),
        0,
        "nothing is fetched before it is asked for"
    );
    assert_eq!(files.next().unwrap().unwrap().id, "a");
    assert_eq!(seen.lock().unwrap().len(), 1);
    let rest: Vec<String> = files.map(|f| f.unwrap().id).collect();
    assert_eq!(rest, ["b", "c"]);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn options_set_per_call_override_the_clients() {
    let clock = Arc::new(VirtualClock::default());
    let (transport, seen) = scripted(vec![(503, vec![], String::new())]);
    let client = Client::new(provider(), transport)
        .with_environment(clock)
        .with_options(RequestOptions::new().max_retries(5));
    let err = client
        .files()
        .with_options(RequestOptions::new().max_retries(0))
        .retrieve("file-1")
        .unwrap_err();
    assert_eq!(err.attempts(), Some(1));
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn debug_output_never_shows_the_key() {
    let client = Client::new(
        OpenAi::new("sk-very-secret"),
        transport_fn(|_| unreachable!()),
    )
    .with_options(
        RequestOptions::new()
            .header("x-api-key", "sk-other-secret")
            .unwrap(),
    );
    let text = format!("{client:?} {:?}", client.files());
    assert!(
        !text.contains("very-secret") && !text.contains("other-secret"),
        "{text}"
    );
}

#[cfg(feature = "async")]
/// A machine that asks its driver for ten bytes of a file, and gives back what came of it.
#[derive(Default)]
struct ReadTen {
    asked: bool,
    read: Option<std::result::Result<bytes::Bytes, files_core::LocalFileError>>,
}

const GONE: &str = "/gone/data.bin";

impl files_core::extend::ops::Operation for ReadTen {
    type Output = usize;
    fn name(&self) -> &'static str {
        "test.read"
    }
    fn poll(&mut self, _: Now, _: u128) -> files_core::extend::ops::Next<usize> {
        use files_core::extend::ops::Next;
        if !std::mem::replace(&mut self.asked, true) {
            return Next::Read {
                path: GONE.into(),
                offset: 0,
                len: 10,
            };
        }
        match self.read.take() {
            Some(Ok(bytes)) => Next::Done(Ok(bytes.len())),
            Some(Err(error)) => Next::Done(Err(error.into())),
            None => Next::Done(Err(TransportError::new(
                files_core::TransportErrorKind::Other,
                "no read came back",
            )
            .into())),
        }
    }
    fn handle(&mut self, event: files_core::extend::ops::Event, _: Now) {
        if let files_core::extend::ops::Event::Read(read) = event {
            self.read = Some(read);
        }
    }
    fn poll_notice(&mut self) -> Option<files_core::extend::ops::Notice> {
        None
    }
}

/// Local files in which every file has gone: opening one fails.
struct Gone;

fn gone() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
}

impl files_io::LocalFiles for Gone {
    fn inspect(
        &self,
        path: &std::path::Path,
        _: usize,
    ) -> std::result::Result<files_core::extend::probe::FileProbe, files_core::LocalFileError> {
        Err(files_core::LocalFileError::new(
            files_core::LocalFileOp::Inspect,
            path,
            gone(),
        ))
    }
    fn open_range(
        &self,
        _: &files_core::extend::body::PathRange,
    ) -> std::io::Result<Box<dyn Read + Send>> {
        Err(gone())
    }
    fn create(
        &self,
        dest: &std::path::Path,
    ) -> std::result::Result<Box<dyn files_io::PartialFile>, files_core::LocalFileError> {
        Err(files_core::LocalFileError::new(
            files_core::LocalFileOp::Create,
            dest,
            gone(),
        ))
    }
}

/// What the blocking driver reports when a range it must read cannot be opened.
fn blocking_range_open_failure() -> String {
    let transport = transport_fn(|_request| {
        Err(TransportError::new(
            files_core::TransportErrorKind::Other,
            "never called",
        ))
    });
    let client = Client::new(provider(), transport).with_local_files(Gone);
    let err = client.run(ReadTen::default()).unwrap_err();
    let Error::LocalFile(local) = &err else {
        panic!("expected a local-file error, got {err:?}")
    };
    assert_eq!(local.op, files_core::LocalFileOp::Read, "{err}");
    assert_eq!(local.path, std::path::Path::new(GONE));
    err.to_string()
}

#[test]
fn a_range_that_cannot_be_opened_is_a_read_error() {
    let message = blocking_range_open_failure();
    assert!(message.contains("no such file"), "{message}");
}

mod asynchronous {
    use super::*;
    use crate::{AsyncClient, AsyncEnvironment};
    use files_io::transport::{AsyncResponseBody, async_transport_fn};

    #[async_trait::async_trait]
    impl AsyncEnvironment for Arc<VirtualClock> {
        fn now(&self) -> Now {
            Environment::now(self)
        }
        fn random(&self) -> u128 {
            7
        }
        async fn sleep(&self, duration: Duration) {
            Environment::sleep(self, duration);
        }
    }

    #[test]
    fn the_async_clients_futures_and_streams_are_send() {
        fn send<T: Send>(_: T) {}
        let transport = async_transport_fn(|_request| async {
            Err(TransportError::new(
                files_core::TransportErrorKind::Other,
                "never called",
            ))
        });
        let client = AsyncClient::new(provider(), transport);
        let files = client.files();
        let upload = UploadRequest::from_bytes(&b"x"[..], "a.txt", Purpose::ASSISTANTS);
        send(files.create(upload));
        send(files.list(&ListParams::new()));
        send(files.list_all(&ListParams::new()));
        send(files.retrieve("file-1"));
        send(files.delete("file-1"));
        send(files.content("file-1"));
        send(files.download_to_path("file-1", "out.bin"));
        let mut writer = futures_util::io::Cursor::new(Vec::new());
        send(files.download_to("file-1", &mut writer));
        send(files.wait_for_processing("file-1"));
        send(client.clone());
    }

    #[tokio::test]
    async fn the_async_driver_retries_on_the_same_rules() {
        let clock = Arc::new(VirtualClock::default());
        let calls = Arc::new(Mutex::new(0));
        let counted = calls.clone();
        let transport = async_transport_fn(move |_request| {
            let n = {
                let mut calls = counted.lock().unwrap();
                *calls += 1;
                *calls
            };
            async move {
                let (status, body) = match n {
                    1 => (429, String::new()),
                    _ => (200, file_json("file-3")),
                };
                Ok(http::Response::builder()
                    .status(status)
                    .header("retry-after-ms", "1500")
                    .body(AsyncResponseBody::from_bytes(body))
                    .unwrap())
            }
        });
        let client = AsyncClient::new(provider(), transport).with_environment(clock.clone());
        let file = client.files().retrieve("file-3").await.unwrap();
        assert_eq!(file.id, "file-3");
        assert_eq!(*clock.sleeps.lock().unwrap(), [Duration::from_millis(1500)]);
        assert_eq!(*calls.lock().unwrap(), 2);
    }

    #[async_trait::async_trait]
    impl files_io::AsyncLocalFiles for Gone {
        async fn inspect(
            &self,
            path: &std::path::Path,
            len: usize,
        ) -> std::result::Result<files_core::extend::probe::FileProbe, files_core::LocalFileError>
        {
            files_io::LocalFiles::inspect(self, path, len)
        }
        fn open_range(&self, _: files_core::extend::body::PathRange) -> files_io::ByteStream {
            // As a file opened when the stream is first polled fails.
            Box::pin(futures_util::stream::once(async { Err(gone()) }))
        }
        fn read_blocking(&self, _: Box<dyn Read + Send>) -> files_io::ByteStream {
            Box::pin(futures_util::stream::once(async { Err(gone()) }))
        }
        async fn create(
            &self,
            dest: &std::path::Path,
        ) -> std::result::Result<Box<dyn files_io::AsyncPartialFile>, files_core::LocalFileError>
        {
            Err(files_core::LocalFileError::new(
                files_core::LocalFileOp::Create,
                dest,
                gone(),
            ))
        }
    }

    /// The two drivers report the same failure to open a range the same way.
    #[tokio::test]
    async fn both_drivers_report_a_range_that_cannot_be_opened_alike() {
        let transport = async_transport_fn(|_request| async {
            Err(TransportError::new(
                files_core::TransportErrorKind::Other,
                "never called",
            ))
        });
        let client = AsyncClient::new(provider(), transport).with_local_files(Gone);
        let err = client.run(ReadTen::default()).await.unwrap_err();
        let Error::LocalFile(local) = &err else {
            panic!("expected a local-file error, got {err:?}")
        };
        assert_eq!(local.op, files_core::LocalFileOp::Read, "{err}");
        assert_eq!(local.path, std::path::Path::new(GONE));
        let blocking = tokio::task::spawn_blocking(blocking_range_open_failure)
            .await
            .unwrap();
        assert_eq!(err.to_string(), blocking);
    }

    /// A clock whose sleeps never end: a resume stays under way.
    struct Stuck;

    #[async_trait::async_trait]
    impl AsyncEnvironment for Stuck {
        fn now(&self) -> Now {
            Now {
                monotonic: Duration::ZERO,
                wall: UNIX_EPOCH,
            }
        }
        fn random(&self) -> u128 {
            7
        }
        async fn sleep(&self, _: Duration) {
            std::future::pending::<()>().await;
        }
    }

    #[tokio::test]
    async fn a_download_counts_its_requests_while_a_resume_is_under_way() {
        use futures_util::{FutureExt, StreamExt};
        let transport = async_transport_fn(|_request| async {
            // Ten bytes announced, four sent, then the connection fails.
            let chunks = futures_util::stream::iter([
                Ok(bytes::Bytes::from_static(b"abcd")),
                Err(TransportError::new(
                    files_core::TransportErrorKind::Io,
                    "reset",
                )),
            ]);
            Ok(http::Response::builder()
                .status(200)
                .header("content-length", "10")
                .body(AsyncResponseBody::new(chunks))
                .unwrap())
        });
        let client = AsyncClient::new(provider(), transport).with_environment(Stuck);
        let mut download = client.files().content("file-1").await.unwrap();
        assert_eq!(download.attempts(), 1);
        let first = download.next().await.unwrap().unwrap();
        assert_eq!(&first[..], b"abcd");
        assert!(
            download.next().now_or_never().is_none(),
            "the resume waits out its pause"
        );
        assert_eq!(download.attempts(), 1, "the one request sent so far");
    }
}
