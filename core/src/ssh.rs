//! The SSH carrier, as the docker CLI's connection helper does it: the system's `ssh` client
//! runs `docker [--host=unix://PATH] system dial-stdio` on the remote host, and the engine's
//! HTTP is spoken over that process's stdin and stdout. So `~/.ssh/config`, the agent,
//! `ProxyJump` and `known_hosts` all apply, and nothing here handles a key.
//!
//! One connection is one `ssh` process (as with the CLI); the transport's pool keeps a
//! connection for 30 s, so a burst of requests pays for one handshake, not one each.
//! (bollard's own `ssh` feature ignores the socket path and opens an ssh master per pooled
//! connection, which is why it is not used.)
//!
//! When ssh or the remote `docker` fails, the process exits non-zero and says why on stderr:
//! the stream then ends with an `SshFailure` (inside an `io::Error`) that carries that text, and
//! `Error::from_connect_io` turns it into a typed error (unknown host key, authentication
//! refused, `docker` missing remotely, remote socket denied, host unreachable).

use crate::engine::SshAddr;
use crate::error::{Error, ErrorKind};
use futures_util::future::{FutureExt, Shared};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::oneshot;

/// How much of ssh's stderr is kept for the error message (the rest is read and dropped, so
/// that ssh never blocks on a full pipe).
const MAX_STDERR: usize = 16 * 1024;

/// How an `ssh` process ended, and what it printed on stderr.
#[derive(Debug, Clone)]
pub struct SshFailure {
    /// The remote, as `ssh://…`.
    pub target: String,
    /// The exit status; `None` when ssh could not be started or was killed by a signal.
    pub status: Option<i32>,
    /// What ssh (or the remote `docker`) printed, trimmed.
    pub stderr: String,
}

impl std::fmt::Display for SshFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(code) => write!(f, "ssh exited with status {code}")?,
            None => f.write_str("ssh did not run to its end")?,
        }
        if !self.stderr.is_empty() {
            write!(f, ": {}", self.stderr)?;
        }
        Ok(())
    }
}

impl std::error::Error for SshFailure {}

impl SshFailure {
    /// The typed error: which kind of failure this is, from what ssh or the remote printed.
    pub(crate) fn to_error(&self) -> Error {
        let said = self.stderr.as_str();
        let lower = said.to_ascii_lowercase();
        let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(&n.to_ascii_lowercase()));
        let target = &self.target;
        let (kind, what) = if has(&[
            "Host key verification failed",
            "host key is known",
            "REMOTE HOST IDENTIFICATION HAS CHANGED",
            "Host key for",
        ]) {
            (
                ErrorKind::SshHostKey,
                "its host key is not in your known_hosts, or it changed. Bulkhead never accepts a host key by \
                 itself: check the key and add it (ssh to the host once in a terminal)"
                    .to_owned(),
            )
        } else if has(&["Permission denied (", "Too many authentication failures", "no more authentication methods"]) {
            (
                ErrorKind::SshAuth,
                "the login was refused. Check the user, and that your key is in the ssh agent or named in \
                 ~/.ssh/config (a window cannot ask for a password)"
                    .to_owned(),
            )
        } else if has(&["docker: command not found", "docker: not found", "\"docker\": executable file not found"])
            || (self.status == Some(127) && has(&["docker"]))
        {
            (
                ErrorKind::RemoteDockerMissing,
                "the docker CLI is not installed there (or not on the PATH of a non-interactive shell); \
                 Docker 18.09 or newer is needed on the remote host"
                    .to_owned(),
            )
        } else if has(&["unknown command \"system\"", "unknown command \"dial-stdio\"", "unknown flag"]) {
            (
                ErrorKind::EngineTooOld,
                "the docker CLI there is older than 18.09 and has no `system dial-stdio`".to_owned(),
            )
        } else if has(&["permission denied while trying to connect", "connect: permission denied"]) {
            (
                ErrorKind::EnginePermissionDenied,
                "the remote user may not open the engine's socket: add them to the docker group there".to_owned(),
            )
        } else if has(&["no such file or directory"]) && has(&["docker", ".sock"]) {
            (ErrorKind::EngineSocketMissing, "there is no engine socket at that path on the remote host".to_owned())
        } else if has(&["Cannot connect to the Docker daemon", "Is the docker daemon running"]) {
            (ErrorKind::EngineNotRunning, "the engine there is not running".to_owned())
        } else if has(&[
            "Could not resolve hostname",
            "Network is unreachable",
            "No route to host",
            "Connection refused",
            "Connection timed out",
            "Operation timed out",
            "Connection closed by",
            "kex_exchange_identification",
        ]) {
            (ErrorKind::EngineUnreachable, "the host cannot be reached".to_owned())
        } else if self.status.is_none() && said.contains("not installed") {
            (ErrorKind::EngineUnreachable, "ssh cannot be started".to_owned())
        } else {
            (ErrorKind::EngineNotRunning, "the connection ended".to_owned())
        };
        let tail = if said.is_empty() { String::new() } else { format!(" ssh said: {said}") };
        Error::new(kind, format!("Cannot reach the engine at {target}: {what}.{tail}"))
    }
}

/// A connection over `ssh … docker system dial-stdio`.
pub(crate) struct SshStream {
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Resolves when ssh has exited and its stderr is read.
    exit: Shared<oneshot::Receiver<SshFailure>>,
    /// Dropped with the stream: the task that owns the child then kills it.
    _kill: oneshot::Sender<()>,
}

/// Starts `ssh` for one connection. The handshake happens while the first request is written
/// and read; its failure arrives as the stream's end (see `SshStream`).
pub(crate) fn connect(addr: &SshAddr) -> io::Result<SshStream> {
    let target = addr.to_string();
    let mut child = tokio::process::Command::new("ssh")
        .args(addr.ssh_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            let why = if e.kind() == io::ErrorKind::NotFound {
                "the ssh client is not installed (on Debian/Ubuntu: sudo apt-get install openssh-client)".to_owned()
            } else {
                format!("ssh cannot be started: {e}")
            };
            io::Error::other(SshFailure { target: target.clone(), status: None, stderr: why })
        })?;
    let (Some(stdin), Some(stdout), Some(mut stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(io::Error::other("ssh started without its pipes"));
    };
    let (done_tx, done_rx) = oneshot::channel();
    let (kill_tx, kill_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let run = async move {
            let mut kept = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                let room = MAX_STDERR.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
            let status = child.wait().await.ok().and_then(|s| s.code());
            SshFailure { target, status, stderr: tidy(&String::from_utf8_lossy(&kept)) }
        };
        tokio::select! {
            exit = run => { let _ = done_tx.send(exit); }
            // The stream was dropped: dropping `run` drops the child, which kills it.
            _ = kill_rx => {}
        }
    });
    Ok(SshStream { stdin: Some(stdin), stdout, exit: done_rx.shared(), _kill: kill_tx })
}

/// ssh's stderr, as one line (runs of white space, line ends included, become one space); the
/// end is kept when it is long (the reason is last).
fn tidy(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let limit = 800;
    if joined.chars().count() <= limit {
        return joined;
    }
    let skip = joined.chars().count() - limit;
    format!("…{}", joined.chars().skip(skip).collect::<String>())
}

impl SshStream {
    /// Once stdout has ended (or stdin broke): how ssh ended. A clean exit is a clean end.
    fn poll_exit(&mut self, cx: &mut Context<'_>) -> Poll<Option<SshFailure>> {
        match Pin::new(&mut self.exit).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(exit)) if exit.status != Some(0) => Poll::Ready(Some(exit)),
            Poll::Ready(_) => Poll::Ready(None),
        }
    }
}

impl AsyncRead for SshStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let before = buf.filled().len();
        let wanted = buf.remaining() > 0;
        match Pin::new(&mut me.stdout).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if wanted && buf.filled().len() == before => {}
            other => return other,
        }
        // The end of the stream: an error when ssh failed, with what it said.
        me.poll_exit(cx).map(|exit| match exit {
            Some(failure) => Err(io::Error::other(failure)),
            None => Ok(()),
        })
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let Some(stdin) = me.stdin.as_mut() else {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        };
        match Pin::new(stdin).poll_write(cx, data) {
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => me.poll_exit(cx).map(|exit| {
                Err(match exit {
                    Some(failure) => io::Error::other(failure),
                    None => e,
                })
            }),
            other => other,
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }
    /// Closes ssh's stdin: the remote `dial-stdio` half-closes the engine's socket, as a
    /// `shutdown(SHUT_WR)` on a local socket would.
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        drop(self.get_mut().stdin.take());
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: Option<i32>, stderr: &str) -> Error {
        SshFailure { target: "ssh://me@box".into(), status, stderr: tidy(stderr) }.to_error()
    }

    /// What OpenSSH and the docker CLI print for each kind of failure (copied from real runs).
    #[test]
    fn each_failure_is_typed_from_what_ssh_printed() {
        let cases = [
            (Some(255), "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n", ErrorKind::SshHostKey),
            (Some(255), "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n", ErrorKind::SshHostKey),
            (Some(255), "me@127.0.0.1: Permission denied (publickey).\r\n", ErrorKind::SshAuth),
            (Some(127), "bash: line 1: docker: command not found\n", ErrorKind::RemoteDockerMissing),
            (Some(127), "sh: 1: docker: not found\n", ErrorKind::RemoteDockerMissing),
            (Some(1), "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/_ping\": dial unix /var/run/docker.sock: connect: permission denied\n", ErrorKind::EnginePermissionDenied),
            (Some(1), "Cannot connect to the Docker daemon at unix:///nope.sock. Is the docker daemon running?\n", ErrorKind::EngineNotRunning),
            (Some(255), "ssh: connect to host 10.255.255.1 port 22: Network is unreachable\r\n", ErrorKind::EngineUnreachable),
            (Some(255), "ssh: Could not resolve hostname nowhere.invalid: Name or service not known\r\n", ErrorKind::EngineUnreachable),
            (Some(255), "ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n", ErrorKind::EngineUnreachable),
            (Some(1), "unknown command \"system\" for \"docker\"\n", ErrorKind::EngineTooOld),
        ];
        for (status, said, kind) in cases {
            let e = failure(status, said);
            assert_eq!(e.kind, kind, "{said:?} → {}", e.message);
            assert!(e.kind.is_connection(), "{kind:?}");
            assert!(e.message.contains("ssh://me@box"), "{}", e.message);
            // The text ssh printed is in the message, on one line, without control characters.
            let first_words: String = said.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
            assert!(e.message.contains(&first_words), "{first_words:?} in {}", e.message);
            assert!(!e.message.contains('\r') && !e.message.contains('\n'), "{:?}", e.message);
        }
    }

    #[test]
    fn long_stderr_keeps_its_end() {
        let s = format!("{}\nPermission denied (publickey).", "debug noise ".repeat(200));
        let t = tidy(&s);
        assert!(t.chars().count() <= 801 && t.ends_with("Permission denied (publickey)."), "{t}");
    }
}
