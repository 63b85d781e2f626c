//! Exec sessions: `docker exec -it <id> <shell>`, with a raw connection of our own.
//!
//! bollard 0.21.1's TTY decoder misreads any chunk that starts with a byte 0x00–0x02, so the
//! session's bytes are read straight off the hijacked socket: as they are for a TTY, and
//! demultiplexed from the 8-byte frame headers otherwise. Output comes in pieces of up to 64 KiB;
//! nothing is buffered beyond one piece, so a reader that stops reading stops the container's
//! output too (backpressure all the way to the process).
//!
//! Interrupts: a terminal's line discipline throws away its queued output when ^C (or ^\\)
//! interrupts a program. Here, between the container's TTY and us, the engine and the shim
//! buffer megabytes of their own, which a window would otherwise draw for a second or more
//! after the program is gone. So a TTY session that was flooding when the user typed ^C does
//! what a tty does: it reads what was already on its way as fast as the socket gives it, keeps
//! the last few KiB (the end of the output, "^C" and the prompt), and reports how much it
//! discarded.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::ContainerRef;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

#[cfg(feature = "ts")]
use ts_rs::TS;

const PIECE: usize = 64 * 1024;
/// At least this much output within the last `RECENT` is a flood.
const FLOOD: usize = 256 * 1024;
const RECENT: Duration = Duration::from_secs(1);
/// After an interrupt in a flood: output stops being discarded once the socket was quiet this
/// long, or after `FLUSH_BYTES` or `FLUSH_MAX` in all (a program that ignores ^C keeps its
/// output). What the engine and the shim buffer is bounded in bytes (1.2–2.3 MB measured), not
/// in time: a slow or busy machine drains the same bytes more slowly, and a 30 ms quiet spell
/// and a 600 ms cap ended the flush early there, leaving a megabyte to draw. So the caps are
/// generous, and the quiet spell allows for a daemon that is not scheduled for a moment.
const QUIET: Duration = Duration::from_millis(60);
const FLUSH_MAX: Duration = Duration::from_secs(3);
const FLUSH_BYTES: u64 = 32 * 1024 * 1024;
/// This much output already waiting when ^C is typed is a flood, however slowly it was read.
const BACKLOG: usize = 16 * 1024;
/// How much of the end of the discarded output is kept and shown.
const TAIL: usize = 8 * 1024;

/// What to run, as typed in the terminal's options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ExecRequest {
    /// Shell words; empty: the first shell the container has (/bin/bash, then /bin/sh).
    pub command: String,
    pub user: String,
    pub workdir: String,
    /// KEY=VALUE each.
    pub env: Vec<String>,
    pub tty: bool,
    pub cols: u16,
    pub rows: u16,
    /// Attach to the container's main process (started with -it) instead of starting one.
    pub attach: bool,
}

/// What a session is connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionTarget {
    /// A process started with exec; its exec ID.
    Exec(String),
    /// The container's main process; the container's ID.
    Attach(String),
}

impl Default for ExecRequest {
    fn default() -> Self {
        ExecRequest {
            command: String::new(),
            user: String::new(),
            workdir: String::new(),
            env: Vec::new(),
            tty: true,
            cols: 80,
            rows: 24,
            attach: false,
        }
    }
}

/// A running exec: its output, its input, and the engine's ID for it.
pub struct ExecSession {
    pub target: SessionTarget,
    pub command: Vec<String>,
    pub tty: bool,
    pub output: ExecOutput,
    pub input: ExecInput,
}

pub struct ExecOutput {
    reader: tokio::io::BufReader<tokio::io::ReadHalf<Box<dyn crate::http::ConnPub>>>,
    tty: bool,
    header: Vec<u8>,
    remaining: usize,
    interrupted: Arc<AtomicBool>,
    /// The pieces read within the last `RECENT` (when, how many bytes) and their sum.
    recent: std::collections::VecDeque<(Instant, usize)>,
    recent_bytes: usize,
    discarded: u64,
}

pub struct ExecInput {
    writer: tokio::io::WriteHalf<Box<dyn crate::http::ConnPub>>,
    tty: bool,
    /// Attached to the container's main process (not a process of our own).
    attached: bool,
    interrupted: Arc<AtomicBool>,
}

/// The two halves of a hijacked session connection, sharing the interrupt flag.
fn halves(conn: crate::http::Hijacked, tty: bool, attached: bool) -> (ExecOutput, ExecInput) {
    let interrupted = Arc::new(AtomicBool::new(false));
    (
        ExecOutput {
            reader: conn.reader,
            tty,
            header: Vec::with_capacity(8),
            remaining: 0,
            interrupted: interrupted.clone(),
            recent: std::collections::VecDeque::new(),
            recent_bytes: 0,
            discarded: 0,
        },
        ExecInput { writer: conn.writer, tty, attached, interrupted },
    )
}

fn broken(e: std::io::Error) -> Error {
    Error::new(ErrorKind::EngineNotRunning, format!("The session's connection broke: {e}"))
}

impl ExecOutput {
    /// The next piece of output (up to 64 KiB); `None` when the process ended.
    pub async fn next(&mut self) -> Result<Option<Bytes>> {
        if self.tty && self.interrupted.swap(false, Ordering::AcqRel) && (self.flooding() || self.backed_up()) {
            if let Some(tail) = self.flush().await? {
                return Ok(Some(tail));
            }
        }
        let piece = self.read_piece().await?;
        if let (Some(p), true) = (&piece, self.tty) {
            self.recent.push_back((Instant::now(), p.len()));
            self.recent_bytes += p.len();
            self.forget_old();
        }
        Ok(piece)
    }

    /// Output is waiting on the socket right now, more than a prompt's worth: the process
    /// wrote faster than the reader took it. (A slow window reads little, so "much read
    /// recently" alone misses a flood exactly where it hurts most: there the engine's buffers
    /// are full.)
    fn backed_up(&mut self) -> bool {
        use futures_util::FutureExt;
        matches!(self.reader.fill_buf().now_or_never(), Some(Ok(buf)) if buf.len() >= BACKLOG)
    }

    fn flooding(&mut self) -> bool {
        self.forget_old();
        self.recent_bytes >= FLOOD
    }

    fn forget_old(&mut self) {
        let now = Instant::now();
        while let Some(&(t, n)) = self.recent.front() {
            if now.duration_since(t) <= RECENT {
                break;
            }
            self.recent.pop_front();
            self.recent_bytes -= n;
        }
    }

    /// Output bytes thrown away after interrupts so far.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// After an interrupt in a flood: reads what is on its way until the socket goes quiet,
    /// keeping the last `TAIL` bytes. `None` when nothing at all came (nothing to show yet).
    async fn flush(&mut self) -> Result<Option<Bytes>> {
        let start = Instant::now();
        let mut tail: std::collections::VecDeque<u8> = std::collections::VecDeque::with_capacity(2 * TAIL);
        let mut dropped = 0u64;
        while start.elapsed() < FLUSH_MAX && dropped < FLUSH_BYTES {
            let buf = match tokio::time::timeout(QUIET, self.reader.fill_buf()).await {
                Err(_) => break, // quiet: the program is gone and the prompt is here
                Ok(r) => r.map_err(broken)?,
            };
            if buf.is_empty() {
                break;
            }
            let n = buf.len();
            tail.extend(buf.iter().copied());
            self.reader.consume(n);
            if tail.len() > TAIL {
                let over = tail.len() - TAIL;
                tail.drain(..over);
                dropped += over as u64;
            }
        }
        self.recent.clear();
        self.recent_bytes = 0;
        let mut tail: Vec<u8> = tail.into();
        if dropped > 0 {
            // Start the kept part on a line of its own, not inside an escape sequence or a
            // UTF-8 character.
            let cut = match tail.iter().position(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => tail.iter().position(|&b| !(0x80..0xC0).contains(&b)).unwrap_or(tail.len()),
            };
            tail.drain(..cut);
            dropped += cut as u64;
            self.discarded += dropped;
        }
        Ok((!tail.is_empty()).then(|| Bytes::from(tail)))
    }

    async fn read_piece(&mut self) -> Result<Option<Bytes>> {
        loop {
            let buf = self.reader.fill_buf().await.map_err(broken)?;
            if buf.is_empty() {
                return Ok(None);
            }
            if self.tty {
                let n = buf.len().min(PIECE);
                let out = Bytes::copy_from_slice(&buf[..n]);
                self.reader.consume(n);
                return Ok(Some(out));
            }
            // Frames: [stream, 0, 0, 0, size (4 bytes, big-endian)] then the payload.
            let mut out = Vec::with_capacity(buf.len().min(PIECE));
            let mut used = 0;
            while used < buf.len() && out.len() < PIECE {
                if self.remaining == 0 {
                    let need = 8 - self.header.len();
                    let take = need.min(buf.len() - used);
                    self.header.extend_from_slice(&buf[used..used + take]);
                    used += take;
                    if self.header.len() == 8 {
                        self.remaining =
                            u32::from_be_bytes([self.header[4], self.header[5], self.header[6], self.header[7]])
                                as usize;
                        self.header.clear();
                    }
                } else {
                    let take = self.remaining.min(buf.len() - used).min(PIECE - out.len());
                    out.extend_from_slice(&buf[used..used + take]);
                    used += take;
                    self.remaining -= take;
                }
            }
            self.reader.consume(used);
            if !out.is_empty() {
                return Ok(Some(Bytes::from(out)));
            }
        }
    }
}

impl ExecInput {
    /// Sends keystrokes (or any bytes) to the process, in order.
    /// In a TTY session, ^C or ^\\ among them marks an interrupt (see the module's notes).
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        if self.tty && data.iter().any(|&b| b == 0x03 || b == 0x1c) {
            self.interrupted.store(true, Ordering::Release);
        }
        self.writer
            .write_all(data)
            .await
            .map_err(|e| Error::new(ErrorKind::EngineNotRunning, format!("The session's input broke: {e}")))?;
        self.writer
            .flush()
            .await
            .map_err(|e| Error::new(ErrorKind::EngineNotRunning, format!("The session's input broke: {e}")))
    }

    /// Closes the process's standard input (end of file).
    pub async fn close(mut self) {
        let _ = self.writer.shutdown().await;
    }

    /// Ends the session the way closing its terminal tab should, whatever it is connected to.
    ///
    /// - A process of our own (exec): the engine does not end it when its connection goes (the
    ///   shell would live on, unseen), so a TTY session first gets an interrupt and an
    ///   end-of-input at the prompt (^C ^D), then its input is closed.
    /// - The container's main process (attach): nothing is written to it and its input is not
    ///   closed: the connection is just dropped, which detaches (the engine then closes only
    ///   this attachment's output). ^C ^D or an end-of-input would end a `-it sh` and with it
    ///   the container.
    pub async fn end(mut self) {
        if self.attached {
            return; // dropping `self` (and the output half) closes the connection
        }
        if self.tty {
            let _ = self.writer.write_all(b"\x03\x04").await;
            let _ = self.writer.flush().await;
        }
        let _ = self.writer.shutdown().await;
    }
}

impl Engine {
    /// The first shell the container has: /bin/bash, then /bin/sh (asked of the container's
    /// filesystem, not of a program inside it).
    pub async fn default_shell(&self, c: &ContainerRef) -> Result<Vec<String>> {
        for shell in ["/bin/bash", "/bin/sh"] {
            let status = crate::http::head_status(
                self.transport(),
                self.version().api,
                &format!("/containers/{}/archive?path={}", c.as_str(), crate::text::url_component(shell)),
            )
            .await?;
            match status {
                200 => return Ok(vec![shell.to_owned()]),
                404 => continue,
                s if s == 409 || s >= 400 => {
                    // 404 for the container itself, or it is not running: say so.
                    let _ = self.inspect_container(c).await?;
                }
                _ => {}
            }
        }
        Err(Error::new(
            ErrorKind::NotFound,
            "This container has no shell (/bin/bash or /bin/sh): give a command to run instead.",
        ))
    }

    /// Starts a process in a running container and attaches to it.
    pub async fn exec(&self, c: &ContainerRef, req: &ExecRequest) -> Result<ExecSession> {
        let command = if req.command.trim().is_empty() {
            self.default_shell(c).await?
        } else {
            crate::shell::split(&req.command).map_err(|e| Error::invalid(format!("command: {e}")))?
        };
        if command.is_empty() {
            return Err(Error::invalid("command: nothing to run."));
        }
        for (i, e) in req.env.iter().enumerate() {
            if !e.split_once('=').is_some_and(|(k, _)| !k.is_empty() && !k.contains(char::is_whitespace)) {
                return Err(Error::invalid(format!("env.{i}: write NAME=value.")));
            }
        }
        if !req.workdir.is_empty() && !req.workdir.starts_with('/') {
            return Err(Error::invalid("workdir: use an absolute path."));
        }
        if !req.user.is_empty()
            && !req.user.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-' | ':'))
        {
            return Err(Error::invalid("user: a user name or UID, optionally with :group."));
        }
        let config = bollard::models::ExecConfig {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(req.tty),
            cmd: Some(command.clone()),
            env: (!req.env.is_empty()).then(|| req.env.clone()),
            user: (!req.user.is_empty()).then(|| req.user.clone()),
            working_dir: (!req.workdir.is_empty()).then(|| req.workdir.clone()),
            console_size: req.tty.then(|| vec![usize::from(req.rows.max(1)), usize::from(req.cols.max(1))]),
            ..Default::default()
        };
        let created = self.docker.create_exec(c.as_str(), config).await.map_err(|e| {
            let e = self.fail(e);
            if e.kind == ErrorKind::Conflict {
                Error::new(
                    ErrorKind::Conflict,
                    format!("The container is not running: start it first. ({})", e.message),
                )
            } else {
                e
            }
        })?;
        let body = format!("{{\"Detach\":false,\"Tty\":{}}}", req.tty);
        let conn =
            crate::http::hijack(self.transport(), self.version().api, &format!("/exec/{}/start", created.id), &body)
                .await?;
        let (output, input) = halves(conn, req.tty, false);
        let session =
            ExecSession { target: SessionTarget::Exec(created.id.clone()), command, tty: req.tty, output, input };
        if req.tty {
            // Engines before API 1.42 ignore ConsoleSize: size the terminal once it exists.
            let _ = self.exec_resize(&created.id, req.cols, req.rows).await;
        }
        Ok(session)
    }

    /// Attaches to the main process of a container started with -it (`docker attach`).
    /// Closing the session detaches; the process keeps running.
    pub async fn attach(&self, c: &ContainerRef, cols: u16, rows: u16) -> Result<ExecSession> {
        let info = self
            .docker
            .inspect_container(c.as_str(), None::<bollard::query_parameters::InspectContainerOptions>)
            .await
            .map_err(|e| self.fail(e))?;
        let id = info.id.clone().unwrap_or_default();
        let config = info.config.unwrap_or_default();
        if info.state.and_then(|s| s.running) != Some(true) {
            return Err(Error::new(ErrorKind::Conflict, "The container is not running: start it first."));
        }
        if config.open_stdin != Some(true) {
            return Err(Error::invalid("This container was not started with -i: there is no input to attach to. Open a terminal (exec) instead."));
        }
        let tty = config.tty == Some(true);
        let conn = crate::http::hijack(
            self.transport(),
            self.version().api,
            &format!("/containers/{}/attach?stream=1&stdin=1&stdout=1&stderr=1", c.as_str()),
            "",
        )
        .await?;
        if tty {
            let _ = self.session_resize(&SessionTarget::Attach(id.clone()), cols, rows).await;
        }
        let command = [config.entrypoint.unwrap_or_default(), config.cmd.unwrap_or_default()].concat();
        let (output, input) = halves(conn, tty, true);
        Ok(ExecSession {
            target: SessionTarget::Attach(id),
            command: crate::text::neutralise_all(command),
            tty,
            output,
            input,
        })
    }

    /// Tells the session's TTY its new size.
    pub async fn session_resize(&self, target: &SessionTarget, cols: u16, rows: u16) -> Result<()> {
        match target {
            SessionTarget::Exec(id) => self.exec_resize(id, cols, rows).await,
            SessionTarget::Attach(id) => {
                let opts = bollard::query_parameters::ResizeContainerTTYOptions {
                    h: i32::from(rows.max(1)),
                    w: i32::from(cols.max(1)),
                };
                self.docker.resize_container_tty(id, opts).await.map_err(|e| self.fail(e))
            }
        }
    }

    /// The exit code once the session's process ended; `None` while it runs (or, for an
    /// attached session, while the container does).
    pub async fn session_exit_code(&self, target: &SessionTarget) -> Result<Option<i64>> {
        match target {
            SessionTarget::Exec(id) => self.exec_exit_code(id).await,
            SessionTarget::Attach(id) => {
                let c = self
                    .docker
                    .inspect_container(id, None::<bollard::query_parameters::InspectContainerOptions>)
                    .await
                    .map_err(|e| self.fail(e))?;
                let s = c.state.unwrap_or_default();
                Ok(if s.running == Some(true) { None } else { s.exit_code })
            }
        }
    }

    /// Tells the session's TTY its new size.
    pub async fn exec_resize(&self, exec_id: &str, cols: u16, rows: u16) -> Result<()> {
        let opts =
            bollard::query_parameters::ResizeExecOptions { h: i32::from(rows.max(1)), w: i32::from(cols.max(1)) };
        self.docker.resize_exec(exec_id, opts).await.map_err(|e| self.fail(e))
    }

    /// The exit code once the process ended; `None` while it runs.
    pub async fn exec_exit_code(&self, exec_id: &str) -> Result<Option<i64>> {
        let i = self.docker.inspect_exec(exec_id).await.map_err(|e| self.fail(e))?;
        Ok(if i.running == Some(true) { None } else { i.exit_code })
    }
}

// ---------------------------------------------------------------------------------------------
// Serving a session to a window: the policy, whatever carries the bytes (the desktop shell
// plugs in its IPC channels).

/// Output bytes in flight to the window, not yet acknowledged as drawn, at most.
pub const WINDOW: u64 = 256 * 1024;

/// What the window sends a session.
pub enum Input {
    Data(Vec<u8>),
    Resize(u16, u16),
}

/// Where a served session's output goes. `false` from either means the window is gone.
pub trait SessionSink: Send + 'static {
    fn data(&mut self, bytes: Bytes) -> bool;
    fn event(&mut self, event: crate::model::ExecEvent) -> bool;
}

/// The window's acknowledgements of drawn output (the credit the reader may spend).
#[derive(Default)]
pub struct Credit {
    acked: std::sync::atomic::AtomicU64,
    changed: tokio::sync::Notify,
}

impl Credit {
    /// The window drew `bytes` more bytes.
    pub fn ack(&self, bytes: u64) {
        self.acked.fetch_add(bytes, Ordering::Relaxed);
        self.changed.notify_one();
    }
}

/// A session, served: its input (keystrokes and resizes, in order), the credit the window
/// gives back, and the two tasks' futures for the caller to spawn (input, then output).
pub struct Served {
    pub input: tokio::sync::mpsc::Sender<Input>,
    pub credit: Arc<Credit>,
    pub writer: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    pub reader: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

/// Serves `session` to a window: input goes to the process in order; output goes to `sink`
/// with at most `WINDOW` bytes unacknowledged (past that the socket is not read, so the
/// container's writes block instead of memory growing); skipped output after ^C and errors
/// are events; the exit code ends it. When the input sender goes (the tab closed), the session
/// ends as its kind needs (`ExecInput::end`).
pub fn serve(engine: Engine, session: ExecSession, mut sink: impl SessionSink) -> Served {
    let ExecSession { target, mut output, mut input, .. } = session;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Input>(256);
    let credit = Arc::new(Credit::default());
    let writer_engine = engine.clone();
    let writer_target = target.clone();
    let writer = Box::pin(async move {
        while let Some(msg) = rx.recv().await {
            match msg {
                Input::Data(bytes) => {
                    if input.write(&bytes).await.is_err() {
                        break;
                    }
                }
                Input::Resize(cols, rows) => {
                    let _ = writer_engine.session_resize(&writer_target, cols, rows).await;
                }
            }
        }
        input.end().await;
    });
    let c = Arc::clone(&credit);
    let reader = Box::pin(async move {
        use crate::model::ExecEvent;
        let mut sent: u64 = 0;
        let mut discarded: u64 = 0;
        let failure = loop {
            // Backpressure: wait for the window to draw what it has.
            while sent.saturating_sub(c.acked.load(Ordering::Relaxed)) > WINDOW {
                c.changed.notified().await;
            }
            match output.next().await {
                Ok(Some(bytes)) => {
                    if output.discarded() != discarded {
                        discarded = output.discarded();
                        sink.event(ExecEvent::Discarded { bytes: discarded });
                    }
                    sent += bytes.len() as u64;
                    if !sink.data(bytes) {
                        return; // the window is gone
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let failure_is_none = failure.is_none();
        if let Some(e) = failure {
            sink.event(ExecEvent::Error(e));
        }
        // The engine records the exit code a moment after the stream ends.
        let mut code = None;
        for _ in 0..10 {
            match engine.session_exit_code(&target).await {
                Ok(Some(c)) => {
                    code = Some(c);
                    break;
                }
                Ok(None) => tokio::time::sleep(Duration::from_millis(50)).await,
                // The stream ended because the engine went away (killed, restarted): the
                // process did not exit, the connection did; say so, not "exited".
                Err(e) if failure_is_none && e.kind.is_connection() => {
                    sink.event(ExecEvent::Error(Error::new(
                        e.kind,
                        format!("The connection to the engine closed (the engine stopped or restarted): {}", e.message),
                    )));
                    break;
                }
                Err(_) => break, // the container is gone
            }
        }
        sink.event(ExecEvent::Exit { code });
    });
    Served { input: tx, credit, writer, reader }
}
