use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream;
use proptest::prelude::*;

use files_core::extend::body::{Body, OneShotReader, PathRange, Segment};
use files_core::{LocalFileError, Observer};

use super::*;
use crate::stream_upload::one_shot_stream;
use crate::testing::MemoryFiles;

#[test]
fn length_is_the_sum_of_segments() {
    let body = Body::from_segments(vec![
        Segment::Bytes(Bytes::from_static(b"abc")),
        Segment::Path(PathRange::whole("/big/file", 100_000_000_000)),
        Segment::Reader(OneShotReader::new(io::empty(), 0)),
    ]);
    assert_eq!(body.len(), 100_000_000_003);
    assert!(
        body.is_replayable(),
        "a reader no attempt has taken can still be sent"
    );
}

#[test]
fn both_faces_concatenate_and_open_paths_lazily() {
    let files = MemoryFiles::new().with("x", &b"0abc"[..]).chunked(1);
    let body = || {
        Body::from_segments(vec![
            Segment::Bytes(Bytes::from_static(b"<")),
            Segment::Path(PathRange {
                path: "x".into(),
                offset: 1,
                len: 3,
            }),
            Segment::Reader(OneShotReader::new(&b"yz"[..], 2)),
            Segment::Bytes(Bytes::from_static(b">")),
        ])
    };
    assert_eq!(files.render(body()).unwrap(), b"<abcyz>");
    let (out, failure) = files.pump_async(body());
    assert_eq!((out.as_slice(), failure.is_none()), (&b"<abcyz>"[..], true));
}

#[test]
fn a_short_file_names_itself_and_asks_whether_it_changed() {
    let files = MemoryFiles::new().with("/data/f.bin", &b"0123"[..]);
    let body = Body::from_segments(vec![Segment::Path(PathRange {
        path: "/data/f.bin".into(),
        offset: 2,
        len: 5,
    })]);
    let err = files.render(body).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not read /data/f.bin: it ended after 2 of its declared 5 bytes; did the file change while it was being sent?"
    );
}

#[test]
fn a_missing_file_is_a_local_read_error() {
    let body = Body::from_segments(vec![Segment::Path(PathRange::whole("/gone.bin", 3))]);
    let err = MemoryFiles::new().render(body).unwrap_err();
    assert_eq!(err.op, files_core::LocalFileOp::Read);
    assert!(
        err.to_string().starts_with("could not read /gone.bin"),
        "{err}"
    );
}

#[test]
fn a_long_reader_is_an_error_after_its_declared_bytes() {
    let body = Body::from_segments(vec![Segment::Reader(OneShotReader::new(&b"abcdef"[..], 3))]);
    let (out, failure) = MemoryFiles::new().pump_blocking(body, &[100]);
    assert_eq!(out, b"abc");
    assert_eq!(
        failure.unwrap().to_string(),
        "could not read the upload's reader: it holds more than its declared 3 bytes; declare the exact number of bytes it yields"
    );
}

#[test]
fn a_one_shot_reader_cannot_be_sent_twice_and_says_so() {
    let body = Body::from_segments(vec![Segment::Reader(OneShotReader::new(&b"ab"[..], 2))]);
    let again = body.clone();
    MemoryFiles::new().render(body).unwrap();
    assert!(!again.is_replayable());
    let err = MemoryFiles::new().render(again).unwrap_err();
    assert!(
        err.to_string()
            .contains("already read by an earlier attempt"),
        "{err}"
    );
}

#[test]
fn the_blocking_pump_refuses_an_async_stream_clearly() {
    let s = one_shot_stream(stream::iter(vec![Ok(Bytes::from_static(b"ab"))]), 2);
    let err = MemoryFiles::new()
        .render(Body::from_segments(vec![Segment::Stream(s)]))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("an async stream needs the async client"),
        "{err}"
    );
}

#[test]
fn an_async_stream_is_held_to_its_length() {
    let long = one_shot_stream(stream::iter(vec![Ok(Bytes::from_static(b"abcd"))]), 3);
    let (out, failure) =
        MemoryFiles::new().pump_async(Body::from_segments(vec![Segment::Stream(long)]));
    assert_eq!(out, b"abc");
    assert!(
        failure
            .unwrap()
            .to_string()
            .contains("the upload's stream: it holds more")
    );
    let failing = one_shot_stream(
        stream::iter(vec![
            Ok(Bytes::from_static(b"ab")),
            Err(io::Error::other("disk gone")),
        ]),
        4,
    );
    let (out, failure) =
        MemoryFiles::new().pump_async(Body::from_segments(vec![Segment::Stream(failing)]));
    assert_eq!(out, b"ab");
    assert_eq!(
        failure.unwrap().to_string(),
        "could not read the upload's stream: disk gone"
    );
}

#[test]
fn the_transport_sees_the_failure_as_an_io_error_with_the_same_words() {
    let body = Body::from_segments(vec![Segment::Path(PathRange::whole("/gone.bin", 3))]);
    let (mut reader, failure) = body.into_request_body(Arc::new(MemoryFiles::new()), None);
    let seen = reader.read(&mut [0u8; 8]).unwrap_err();
    let recorded = failure.take().unwrap();
    assert_eq!(seen.to_string(), recorded.to_string());
    assert_eq!(seen.kind(), io::ErrorKind::NotFound);
    assert!(failure.take().is_none(), "taken once");
}

#[derive(Default)]
struct Sent(Mutex<Vec<(u64, u64)>>);

impl Observer for Sent {
    fn sent(&self, sent: u64, total: u64) {
        self.0.lock().unwrap().push((sent, total));
    }
}

#[test]
fn progress_counts_the_payload_only_and_ends_at_its_size() {
    let payload = Bytes::from(vec![7u8; 10_000]);
    let body = Body::from_segments(vec![
        Segment::Bytes(Bytes::from_static(b"head")),
        Segment::Bytes(payload),
        Segment::Bytes(Bytes::from_static(b"tail")),
    ])
    .with_payload(4..10_004);
    for asynchronous in [false, true] {
        let sent = Arc::new(Sent::default());
        let files = Arc::new(MemoryFiles::new());
        if asynchronous {
            let (stream, _) = body
                .clone()
                .into_async_request_body(files, Some(sent.clone()));
            let _ = futures_util::FutureExt::now_or_never(
                futures_util::StreamExt::collect::<Vec<_>>(stream),
            );
        } else {
            let (mut reader, _) = body.clone().into_request_body(files, Some(sent.clone()));
            io::copy(&mut reader, &mut io::sink()).unwrap();
        }
        let reports = sent.0.lock().unwrap().clone();
        assert_eq!(reports.first(), Some(&(0, 10_000)), "{reports:?}");
        assert_eq!(reports.last(), Some(&(10_000, 10_000)), "{reports:?}");
        assert!(reports.windows(2).all(|w| w[0].0 < w[1].0), "{reports:?}");
    }
}

/// A segment for the property test, with what its source really holds.
#[derive(Debug, Clone)]
enum Spec {
    Bytes(Vec<u8>),
    /// A range of a file of `file_len` bytes.
    Path {
        file_len: usize,
        offset: u64,
        len: u64,
    },
    /// A reader that really yields `actual` bytes, declared as `declared`.
    Reader {
        actual: usize,
        declared: u64,
    },
}

/// A declared length near `real`, the length a source really holds: exactly it, one short,
/// one over, a few bytes either way, or any length at all — so that exact, short and long
/// sources are all common.
fn declared_near(real: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => Just(real),
        1 => Just(real.saturating_sub(1)),
        1 => Just(real + 1),
        1 => real.saturating_sub(8)..=real + 8,
        1 => 0u64..300,
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..100).prop_map(Spec::Bytes),
        (0usize..300, 0u64..120)
            .prop_flat_map(|(file_len, offset)| {
                let available = (file_len as u64).saturating_sub(offset);
                (Just(file_len), Just(offset), declared_near(available))
            })
            .prop_map(|(file_len, offset, len)| Spec::Path {
                file_len,
                offset,
                len
            }),
        (0usize..300)
            .prop_flat_map(|actual| (Just(actual), declared_near(actual as u64)))
            .prop_map(|(actual, declared)| Spec::Reader { actual, declared }),
    ]
}

/// How a source's declared length stands to what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Fit {
    Exact,
    OneShort,
    OneOver,
    Other,
}

fn fit(real: u64, declared: u64) -> Fit {
    match declared {
        d if d == real => Fit::Exact,
        d if d + 1 == real => Fit::OneShort,
        d if d == real + 1 => Fit::OneOver,
        _ => Fit::Other,
    }
}

/// The drawn lengths sit where the pump's checks decide: exact, one short and one over each
/// come up often, for file ranges and readers alike (deterministic: a fixed seed).
#[test]
fn the_drawn_lengths_are_often_exact_or_one_off() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::HashMap::<(bool, Fit), usize>::new();
    let strategy = spec();
    for _ in 0..3000 {
        let drawn = strategy
            .new_tree(&mut runner)
            .expect("a drawn segment")
            .current();
        let key = match drawn {
            Spec::Bytes(_) => continue,
            Spec::Path {
                file_len,
                offset,
                len,
            } => (true, fit((file_len as u64).saturating_sub(offset), len)),
            Spec::Reader { actual, declared } => (false, fit(actual as u64, declared)),
        };
        *seen.entry(key).or_default() += 1;
    }
    for path in [true, false] {
        for fit in [Fit::Exact, Fit::OneShort, Fit::OneOver] {
            let n = seen.get(&(path, fit)).copied().unwrap_or(0);
            assert!(
                n >= 100,
                "{fit:?} (path: {path}) drawn {n} times of 3000: {seen:?}"
            );
        }
    }
}

fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + seed * 7) as u8).collect()
}

/// The files, a fresh body (its readers not yet taken), and what a correct pump gives.
fn build(specs: &[Spec]) -> (MemoryFiles, Body, Vec<u8>, Option<String>) {
    let mut files = MemoryFiles::new();
    let mut segments = Vec::new();
    let mut expected = Vec::new();
    let mut error = None;
    for (i, spec) in specs.iter().enumerate() {
        match spec {
            Spec::Bytes(bytes) => {
                segments.push(Segment::Bytes(Bytes::from(bytes.clone())));
                if error.is_none() {
                    expected.extend_from_slice(bytes);
                }
            }
            Spec::Path {
                file_len,
                offset,
                len,
            } => {
                let path = format!("/f{i}");
                let content = pattern(i, *file_len);
                let available = content.len().saturating_sub(*offset as usize);
                if error.is_none() && *len > 0 {
                    let take = available.min(*len as usize);
                    let start = (*offset as usize).min(content.len());
                    expected.extend_from_slice(&content[start..start + take]);
                    if (take as u64) < *len {
                        error = Some(format!(
                            "could not read {path}: it ended after {take} of its declared {len} bytes; did the file change while it was being sent?"
                        ));
                    }
                }
                files = files.with(path.clone(), content);
                segments.push(Segment::Path(PathRange {
                    path: path.into(),
                    offset: *offset,
                    len: *len,
                }));
            }
            Spec::Reader { actual, declared } => {
                let content = pattern(i, *actual);
                if error.is_none() {
                    let take = (*actual).min(*declared as usize);
                    expected.extend_from_slice(&content[..take]);
                    let problem = if (*actual as u64) < *declared {
                        Some(format!(
                            "it ended after {actual} of its declared {declared} bytes"
                        ))
                    } else if (*actual as u64) > *declared {
                        Some(format!("it holds more than its declared {declared} bytes"))
                    } else {
                        None
                    };
                    error = problem.map(|p| {
                        format!("could not read the upload's reader: {p}; declare the exact number of bytes it yields")
                    });
                }
                segments.push(Segment::Reader(OneShotReader::new(
                    io::Cursor::new(content),
                    *declared,
                )));
            }
        }
    }
    (files, Body::from_segments(segments), expected, error)
}

proptest! {
    /// One pump, two faces: for any segments and any read or chunk sizes, the blocking reader
    /// and the async stream give the same bytes and the same error — and both are right.
    #[test]
    fn blocking_and_async_pumps_agree(
        specs in proptest::collection::vec(spec(), 0..6),
        read_sizes in proptest::collection::vec(1usize..400, 1..6),
        chunk in 1usize..200,
    ) {
        let (files, body, expected, error) = build(&specs);
        let (blocking, blocking_err) = files.pump_blocking(body, &read_sizes);
        let (files, body, _, _) = build(&specs);
        let (asynchronous, async_err) = files.chunked(chunk).pump_async(body);
        let text = |e: Option<LocalFileError>| e.map(|e| e.to_string());
        let (blocking_err, async_err) = (text(blocking_err), text(async_err));
        prop_assert_eq!(&blocking, &expected);
        prop_assert_eq!(&asynchronous, &expected);
        prop_assert_eq!(&blocking_err, &error);
        prop_assert_eq!(&async_err, &error);
    }
}

#[test]
fn emptiness_is_a_length_of_zero_at_every_level() {
    assert!(Body::empty().is_empty());
    assert!(Body::from_bytes(Bytes::new()).is_empty());
    assert!(!Body::from_bytes(&b"x"[..]).is_empty());
    assert!(Segment::Bytes(Bytes::new()).is_empty());
    assert!(!Segment::Path(PathRange::whole("f", 1)).is_empty());
    assert!(OneShotReader::new(io::empty(), 0).is_empty());
    assert!(!OneShotReader::new(io::empty(), 1).is_empty());
    let none = stream::iter(Vec::<io::Result<Bytes>>::new());
    assert!(one_shot_stream(none, 0).is_empty());
    let none = stream::iter(Vec::<io::Result<Bytes>>::new());
    assert!(!one_shot_stream(none, 2).is_empty());
}

#[test]
fn a_one_shot_source_is_replayable_until_an_attempt_takes_it() {
    let reader = OneShotReader::new(&b"ab"[..], 2);
    let segment = Segment::Reader(reader.clone());
    assert!(!reader.is_taken() && segment.is_replayable());
    assert!(reader.take().is_some());
    assert!(reader.is_taken() && !segment.is_replayable());
    assert!(reader.take().is_none(), "a reader is taken once");

    let chunks = stream::iter(vec![Ok(Bytes::from_static(b"ab"))]);
    let source = one_shot_stream(chunks, 2);
    let segment = Segment::Stream(source.clone());
    assert!(!source.is_taken() && segment.is_replayable());
    let body = Body::from_segments(vec![segment.clone()]);
    assert!(body.is_replayable());
    assert!(source.take().is_some());
    assert!(source.is_taken() && !segment.is_replayable());
    assert!(
        !body.is_replayable(),
        "a body whose stream was taken cannot be sent again"
    );
    assert!(source.take().is_none(), "a stream is taken once");
}

#[test]
fn an_empty_range_of_a_file_is_never_opened() {
    // The file does not exist: opening it would fail, and neither face even asks.
    let body = Body::from_segments(vec![
        Segment::Bytes(Bytes::from_static(b"<")),
        Segment::Path(PathRange::whole("/absent.bin", 0)),
        Segment::Bytes(Bytes::from_static(b">")),
    ]);
    let files = MemoryFiles::new();
    assert_eq!(files.render(body.clone()).unwrap(), b"<>");
    let (bytes, failure) = files.pump_async(body);
    assert_eq!(
        (bytes, failure.map(|e| e.to_string())),
        (b"<>".to_vec(), None)
    );
    assert_eq!(files.opens(), 0, "no face opened the empty range");
}

/// A reader that is interrupted before each byte it gives, and fails if it is read again
/// after it has said it ended.
struct Fussy {
    data: &'static [u8],
    interrupt_next: bool,
    ended: bool,
}

impl Read for Fussy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        assert!(!self.ended, "read again after its end");
        if self.interrupt_next {
            self.interrupt_next = false;
            return Err(io::ErrorKind::Interrupted.into());
        }
        self.interrupt_next = true;
        match (self.data.split_first(), buf.is_empty()) {
            (_, true) => Ok(0),
            (None, false) => {
                self.ended = true;
                Ok(0)
            }
            (Some((first, rest)), false) => {
                buf[0] = *first;
                self.data = rest;
                Ok(1)
            }
        }
    }
}

#[test]
fn an_interrupted_read_is_tried_again_and_an_ended_reader_is_left_alone() {
    let reader = Fussy {
        data: b"abc",
        interrupt_next: true,
        ended: false,
    };
    let body = Body::from_segments(vec![
        Segment::Reader(OneShotReader::new(reader, 3)),
        Segment::Bytes(Bytes::from_static(b"!")),
    ]);
    let (out, failure) = MemoryFiles::new().pump_blocking(body, &[100]);
    assert_eq!(out, b"abc!");
    assert!(failure.is_none(), "{failure:?}");
}

/// A reader that fails on its first read.
struct Broken;

impl Read for Broken {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("the disk went away"))
    }
}

#[test]
fn a_reader_that_fails_fails_the_body_at_once() {
    let body = Body::from_segments(vec![Segment::Reader(OneShotReader::new(Broken, 3))]);
    let (out, failure) = MemoryFiles::new().pump_blocking(body, &[100]);
    assert_eq!(out, b"");
    assert_eq!(
        failure.unwrap().to_string(),
        "could not read the upload's reader: the disk went away"
    );
}

#[test]
fn an_empty_chunk_after_a_stream_s_last_byte_is_not_an_overflow() {
    let chunks = stream::iter(vec![
        Ok(Bytes::from_static(b"ab")),
        Ok(Bytes::new()),
        Ok(Bytes::new()),
    ]);
    let body = Body::from_segments(vec![Segment::Stream(one_shot_stream(chunks, 2))]);
    let (out, failure) = MemoryFiles::new().pump_async(body);
    assert_eq!(out, b"ab");
    assert!(failure.is_none(), "{failure:?}");
}
