//! Connections the emulator can cut: a listener that keeps a second handle on every socket it
//! accepts, handed to the request handlers as connect info.

use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};

/// A listener whose connections can be cut from a handler.
pub(crate) struct CuttableListener(pub(crate) TcpListener);

/// One accepted connection, as a handle that can cut it (none for the listener itself).
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    socket: Option<Arc<std::net::TcpStream>>,
}

impl Connection {
    /// A connection cut through `handle`.
    pub(crate) fn of(handle: std::net::TcpStream) -> Self {
        Connection {
            socket: Some(Arc::new(handle)),
        }
    }

    /// The listener's own address info, which cuts nothing.
    pub(crate) fn listener() -> Self {
        Connection { socket: None }
    }

    /// Shuts the socket down both ways: the client sees its connection closed mid-request.
    pub(crate) fn cut(&self) {
        if let Some(socket) = &self.socket {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

/// Splits an accepted stream into the stream the server uses and a second handle on the same
/// socket.
pub(crate) fn with_handle(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let stream = stream.into_std()?;
    let handle = stream.try_clone()?;
    Ok((TcpStream::from_std(stream)?, handle))
}

impl Listener for CuttableListener {
    type Io = TcpStream;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, _)) => {
                    if let Ok((stream, handle)) = with_handle(stream) {
                        return (stream, Connection::of(handle));
                    }
                }
                // Out of file descriptors and the like: wait a little, as axum does.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()?;
        Ok(Connection::listener())
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}
