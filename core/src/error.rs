//! The one error type that crosses every boundary: core → IPC → UI.
//!
//! It serialises as `{ "kind": "...", "message": "..." }`; the UI branches on `kind` only.
//! Add a kind only when the UI needs to act differently on it.

use serde::Serialize;
use std::io;

/// What went wrong, as far as the user interface needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorKind {
    /// The input was refused before it reached the engine (bad ID, bad name, bad reference).
    InvalidArgument,
    /// The engine has no such object.
    NotFound,
    /// The engine refused because of the object's state (in use, already exists …).
    Conflict,
    /// The socket exists but nobody answers on it: the engine is stopped or restarting.
    EngineNotRunning,
    /// The socket exists but this user may not open it.
    EnginePermissionDenied,
    /// There is no socket at the endpoint: no engine is installed or it never started.
    EngineSocketMissing,
    /// The engine answers but speaks an API older than Bulkhead supports.
    EngineTooOld,
    /// The engine did not answer in time.
    EngineTimeout,
    /// The host of a remote engine cannot be reached (name unknown, network down, refused).
    EngineUnreachable,
    /// SSH refused the remote host's key: it is not in known_hosts, or it changed.
    SshHostKey,
    /// SSH could not log in to the remote host.
    SshAuth,
    /// The remote host has no `docker` CLI to run `docker system dial-stdio` with.
    RemoteDockerMissing,
    /// The action is dangerous and needs the user's explicit confirmation (plain TCP to another host).
    ConfirmationNeeded,
    /// The engine answered with an error of its own, or with something we could not read.
    Engine,
    /// A bug or an unexpected state inside Bulkhead.
    Internal,
}

impl ErrorKind {
    /// True for the kinds that mean "no usable engine connection".
    pub fn is_connection(self) -> bool {
        matches!(
            self,
            ErrorKind::EngineNotRunning
                | ErrorKind::EnginePermissionDenied
                | ErrorKind::EngineSocketMissing
                | ErrorKind::EngineTooOld
                | ErrorKind::EngineTimeout
                | ErrorKind::EngineUnreachable
                | ErrorKind::SshHostKey
                | ErrorKind::SshAuth
                | ErrorKind::RemoteDockerMissing
        )
    }
}

/// An error with a kind the UI branches on and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: crate::text::neutralise(&message.into()) }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }
    /// The engine answered with something we could not read (`what`: "volume list" …).
    pub fn unreadable(what: &str, e: impl std::fmt::Display) -> Self {
        Error::new(ErrorKind::Engine, format!("The engine's {what} could not be read: {e}"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// Classifies a failure to open the engine's socket.
    pub fn from_connect_io(endpoint: &str, err: &io::Error) -> Self {
        if let Some(ssh) = err.get_ref().and_then(|inner| inner.downcast_ref::<crate::ssh::SshFailure>()) {
            return ssh.to_error();
        }
        if let Some(tls) = err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            return Error::new(
                ErrorKind::Engine,
                format!("The TLS handshake with {endpoint} failed: {tls}. Check the CA, certificate and key."),
            );
        }
        match err.kind() {
            io::ErrorKind::NotFound => Error::new(
                ErrorKind::EngineSocketMissing,
                format!(
                    "No Docker socket at {endpoint}. Docker is not installed or has never started: \
                     install Docker (on Debian/Ubuntu: sudo apt-get install docker.io) and start it \
                     (sudo systemctl start docker), or point DOCKER_HOST at your engine."
                ),
            ),
            io::ErrorKind::PermissionDenied => Error::new(
                ErrorKind::EnginePermissionDenied,
                format!(
                    "Permission denied on {endpoint}. Add yourself to the docker group \
                     (sudo usermod -aG docker $USER, then log out and in again) or run a rootless engine \
                     and point DOCKER_HOST at it."
                ),
            ),
            io::ErrorKind::ConnectionRefused => Error::new(
                ErrorKind::EngineNotRunning,
                format!(
                    "The Docker engine at {endpoint} is not running (connection refused). \
                     Start it (sudo systemctl start docker); Bulkhead reconnects by itself."
                ),
            ),
            io::ErrorKind::TimedOut => Error::new(
                ErrorKind::EngineTimeout,
                format!("The Docker engine at {endpoint} did not answer in time. Is it overloaded or hung?"),
            ),
            _ => Error::new(
                ErrorKind::EngineNotRunning,
                format!("Cannot reach the Docker engine at {endpoint}: {err}. Is it running?"),
            ),
        }
    }
}

/// Finds the `io::Error` at the root of a connection failure, if there is one.
pub(crate) fn io_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a io::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io);
        }
        cur = e.source();
    }
    None
}

impl From<bollard::errors::Error> for Error {
    fn from(err: bollard::errors::Error) -> Self {
        use bollard::errors::Error as B;
        match &err {
            B::DockerResponseServerError { status_code, message } => {
                let kind = match status_code {
                    404 => ErrorKind::NotFound,
                    409 => ErrorKind::Conflict,
                    400 => ErrorKind::InvalidArgument,
                    _ => ErrorKind::Engine,
                };
                Error::new(kind, format!("The engine says: {message}"))
            }
            B::SocketNotFoundError(path) => {
                Error::from_connect_io(&format!("unix://{path}"), &io::Error::from(io::ErrorKind::NotFound))
            }
            B::RequestTimeoutError => Error::new(ErrorKind::EngineTimeout, "The Docker engine did not answer in time."),
            B::APIVersionParseError {} => {
                Error::new(ErrorKind::Engine, "The engine reported an API version we cannot read.")
            }
            _ => match io_cause(&err) {
                Some(io) => Error::from_connect_io("the configured endpoint", io),
                None => Error::new(ErrorKind::Engine, format!("The engine request failed: {err}")),
            },
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::internal(format!("serialisation failed: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_kind_and_message() {
        let e = Error::invalid("bad id");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "invalidArgument", "message": "bad id"}));
        let e = Error::new(ErrorKind::EnginePermissionDenied, "x");
        assert_eq!(serde_json::to_value(&e).unwrap()["kind"], "enginePermissionDenied");
    }

    #[test]
    fn classifies_socket_failures() {
        let k = |kind| Error::from_connect_io("unix:///x", &io::Error::from(kind)).kind;
        assert_eq!(k(io::ErrorKind::NotFound), ErrorKind::EngineSocketMissing);
        assert_eq!(k(io::ErrorKind::PermissionDenied), ErrorKind::EnginePermissionDenied);
        assert_eq!(k(io::ErrorKind::ConnectionRefused), ErrorKind::EngineNotRunning);
        assert_eq!(k(io::ErrorKind::TimedOut), ErrorKind::EngineTimeout);
        assert!(k(io::ErrorKind::ConnectionRefused).is_connection());
        assert!(!ErrorKind::NotFound.is_connection());
    }

    #[test]
    fn maps_engine_status_codes() {
        let server = |status_code| {
            Error::from(bollard::errors::Error::DockerResponseServerError {
                status_code,
                message: "no such container: x\u{1b}[31m".into(),
            })
        };
        assert_eq!(server(404).kind, ErrorKind::NotFound);
        assert_eq!(server(409).kind, ErrorKind::Conflict);
        assert_eq!(server(500).kind, ErrorKind::Engine);
        // Engine text is hostile: control characters never reach the UI.
        assert!(!server(404).message.contains('\u{1b}'));
    }
}
