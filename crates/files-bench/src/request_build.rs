//! `files-bench request-build`: how long the sans-IO core takes to turn an upload of a local
//! file into the request to send — the same for 1 KiB as for 2 GiB, since the body is a plan
//! of segments (the form's framing and a range of the file), not bytes read.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use files_core::extend::ops::{CreateFile, Event, Next, Now, Operation};
use files_core::extend::probe::FileProbe;
use files_core::extend::provider::Provider;
use files_core::{Purpose, RequestOptions, UploadRequest};
use provider_stepfun::StepFun;

/// How many requests are built per size.
const ROUNDS: u32 = 20_000;

/// Prints, per file size, the time to build one request and its `Content-Length`.
pub fn run() -> Result<(), String> {
    let provider: Arc<dyn Provider> = Arc::new(StepFun::new("bench-key"));
    for len in [1u64 << 10, 2 << 30] {
        let mut content_length = 0;
        let started = Instant::now();
        for _ in 0..ROUNDS {
            content_length = build(&provider, len)?;
        }
        let each = started.elapsed() / ROUNDS;
        println!(
            "{{\"file_bytes\":{len},\"request_ns\":{},\"content_length\":{content_length}}}",
            each.as_nanos()
        );
    }
    Ok(())
}

/// Drives an upload of a `len`-byte file until it asks to send; the request's length.
fn build(provider: &Arc<dyn Provider>, len: u64) -> Result<u64, String> {
    let upload = UploadRequest::from_path("/bench/data.bin", Purpose::new("assistants"));
    let options = RequestOptions::new().validate(false);
    let mut op = CreateFile::new(provider.clone(), upload, options);
    let now = Now {
        monotonic: Duration::ZERO,
        wall: SystemTime::UNIX_EPOCH,
    };
    loop {
        match op.poll(now, 7) {
            Next::Inspect { prefix_len, .. } => {
                let probe = FileProbe {
                    len,
                    prefix: Bytes::from(vec![b'a'; prefix_len.min(len as usize)]),
                };
                op.handle(Event::Inspected(Ok(probe)), now);
            }
            Next::Send(attempt) => return Ok(attempt.request.body().len()),
            other => return Err(format!("the upload asked for something else: {other:?}")),
        }
    }
}
