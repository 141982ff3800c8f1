//! Test support: local files held in memory, for both faces of the pump.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, stream};

use files_core::extend::body::{Body, PathRange};
use files_core::extend::probe::FileProbe;
use files_core::{LocalFileError, LocalFileOp};

use crate::ByteStream;
use crate::local::{AsyncLocalFiles, AsyncPartialFile, LocalFiles, PartialFile};
use crate::pump::BodyPump;

/// Files in memory; async streams and blocking readers come in chunks of `chunk` bytes.
#[derive(Clone)]
pub(crate) struct MemoryFiles {
    files: HashMap<PathBuf, Bytes>,
    chunk: usize,
    /// How many ranges either face opened.
    opens: Arc<std::sync::atomic::AtomicUsize>,
}

impl MemoryFiles {
    pub(crate) fn new() -> Self {
        MemoryFiles {
            files: HashMap::new(),
            chunk: 64 * 1024,
            opens: Arc::default(),
        }
    }

    pub(crate) fn with(mut self, path: impl Into<PathBuf>, bytes: impl Into<Bytes>) -> Self {
        self.files.insert(path.into(), bytes.into());
        self
    }

    pub(crate) fn chunked(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    /// How many ranges have been opened, by either face.
    pub(crate) fn opens(&self) -> usize {
        self.opens.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn range_bytes(&self, range: &PathRange) -> io::Result<Bytes> {
        self.opens
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bytes = self
            .files
            .get(&range.path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
        let start = (range.offset as usize).min(bytes.len());
        Ok(bytes.slice(start..))
    }

    /// The body as the blocking pump gives it, read in one go.
    pub(crate) fn render(&self, body: Body) -> Result<Vec<u8>, LocalFileError> {
        let (out, error) = self.pump_blocking(body, &[64 * 1024]);
        error.map_or(Ok(out), Err)
    }

    /// The blocking pump, read with buffers of the given sizes in turn: the bytes it gave,
    /// and the failure it recorded.
    pub(crate) fn pump_blocking(
        &self,
        body: Body,
        read_sizes: &[usize],
    ) -> (Vec<u8>, Option<LocalFileError>) {
        let (mut reader, failure) = body.into_request_body(Arc::new(self.clone()), None);
        let mut out = Vec::new();
        for size in read_sizes.iter().cycle() {
            let mut buf = vec![0u8; (*size).max(1)];
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        (out, failure.take())
    }

    /// The async pump, drained: the bytes it gave, and the failure it recorded.
    pub(crate) fn pump_async(&self, body: Body) -> (Vec<u8>, Option<LocalFileError>) {
        let (stream, failure) = body.into_async_request_body(Arc::new(self.clone()), None);
        let chunks: Vec<io::Result<Bytes>> =
            futures_util::FutureExt::now_or_never(stream.collect()).expect("memory never waits");
        let mut out = Vec::new();
        for chunk in chunks {
            match chunk {
                Ok(chunk) => out.extend_from_slice(&chunk),
                Err(_) => break,
            }
        }
        (out, failure.take())
    }
}

fn unsupported(op: LocalFileOp, path: &Path) -> LocalFileError {
    LocalFileError::new(op, path, io::ErrorKind::Unsupported.into())
}

impl LocalFiles for MemoryFiles {
    fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        let bytes = self.files.get(path).ok_or_else(|| {
            LocalFileError::new(LocalFileOp::Inspect, path, io::ErrorKind::NotFound.into())
        })?;
        Ok(FileProbe {
            len: bytes.len() as u64,
            prefix: bytes.slice(..prefix_len.min(bytes.len())),
        })
    }

    fn open_range(&self, range: &PathRange) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(io::Cursor::new(self.range_bytes(range)?)))
    }

    fn create(&self, dest: &Path) -> Result<Box<dyn PartialFile>, LocalFileError> {
        Err(unsupported(LocalFileOp::Create, dest))
    }
}

#[async_trait::async_trait]
impl AsyncLocalFiles for MemoryFiles {
    async fn inspect(&self, path: &Path, prefix_len: usize) -> Result<FileProbe, LocalFileError> {
        LocalFiles::inspect(self, path, prefix_len)
    }

    fn open_range(&self, range: PathRange) -> ByteStream {
        let chunk = self.chunk;
        match self.range_bytes(&range) {
            Ok(bytes) => {
                let pieces: Vec<io::Result<Bytes>> = (0..bytes.len())
                    .step_by(chunk)
                    .map(|at| Ok(bytes.slice(at..(at + chunk).min(bytes.len()))))
                    .collect();
                stream::iter(pieces).boxed()
            }
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }

    fn read_blocking(&self, reader: Box<dyn Read + Send>) -> ByteStream {
        let chunk = self.chunk;
        stream::unfold(Some(reader), move |state| async move {
            let mut reader = state?;
            let mut buf = vec![0u8; chunk];
            match reader.read(&mut buf) {
                Ok(0) => None,
                Ok(n) => Some((Ok(Bytes::copy_from_slice(&buf[..n])), Some(reader))),
                Err(e) => Some((Err(e), None)),
            }
        })
        .boxed()
    }

    async fn create(&self, dest: &Path) -> Result<Box<dyn AsyncPartialFile>, LocalFileError> {
        Err(unsupported(LocalFileOp::Create, dest))
    }
}
