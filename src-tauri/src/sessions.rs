//! Exec sessions as the webview sees them: raw output bytes into a Channel with a credit window
//! (the UI acknowledges what xterm.js has drawn; past the window we stop reading the socket, so
//! the container's writes block instead of memory growing), input and resizes through one task
//! per session, an exit event at the end.

use bulkhead_core::exec::ExecSession;
use bulkhead_core::model::ExecEvent;
use bulkhead_core::Engine;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tauri::ipc::{Channel, InvokeResponseBody};
use tokio::sync::{mpsc, Notify};

/// Tasks serving sessions that are alive: a guard in each task's future counts it until the
/// future ends or is dropped (aborted).
static LIVE_TASKS: AtomicUsize = AtomicUsize::new(0);

struct Alive;

impl Alive {
    fn new() -> Self {
        LIVE_TASKS.fetch_add(1, Ordering::Relaxed);
        Alive
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        LIVE_TASKS.fetch_sub(1, Ordering::Relaxed);
    }
}

pub fn live_tasks() -> usize {
    LIVE_TASKS.load(Ordering::Relaxed)
}

/// At most this many output bytes are in flight to the webview, unacknowledged.
pub const WINDOW: u64 = 256 * 1024;

pub enum Input {
    Data(Vec<u8>),
    Resize(u16, u16),
}

pub struct SessionHandle {
    pub input: mpsc::Sender<Input>,
    acked: Arc<AtomicU64>,
    acked_changed: Arc<Notify>,
    tasks: Vec<tauri::async_runtime::JoinHandle<()>>,
}

impl SessionHandle {
    pub fn ack(&self, bytes: u64) {
        self.acked.fetch_add(bytes, Ordering::Relaxed);
        self.acked_changed.notify_one();
    }

    /// The process ended and its exit was reported.
    pub fn is_finished(&self) -> bool {
        self.tasks.last().is_some_and(|t| t.inner().is_finished())
    }

    /// Ends the session: input hangs up (the writer task finishes by itself once its sender
    /// is gone), output stops being read.
    pub fn close(self) {
        let SessionHandle { input, mut tasks, .. } = self;
        drop(input);
        if let Some(reader) = tasks.pop() {
            reader.abort();
        }
    }
}

pub fn start(
    engine: Engine,
    session: ExecSession,
    data: Channel<InvokeResponseBody>,
    events: Channel<ExecEvent>,
) -> SessionHandle {
    let ExecSession { target, mut output, mut input, .. } = session;
    let (tx, mut rx) = mpsc::channel::<Input>(256);
    let acked = Arc::new(AtomicU64::new(0));
    let acked_changed = Arc::new(Notify::new());

    let writer_engine = engine.clone();
    let writer_target = target.clone();
    let alive = Alive::new();
    let writer = tauri::async_runtime::spawn(async move {
        let _alive = alive;
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
        // The tab closed (or the process ended): core ends the session as its kind needs
        // (an exec's shell is hung up, an attached main process is detached from).
        input.end().await;
    });

    let (a, n) = (acked.clone(), acked_changed.clone());
    let alive = Alive::new();
    let reader = tauri::async_runtime::spawn(async move {
        let _alive = alive;
        let mut sent: u64 = 0;
        let mut discarded: u64 = 0;
        let failure = loop {
            // Backpressure: wait for the webview to draw what it has.
            while sent.saturating_sub(a.load(Ordering::Relaxed)) > WINDOW {
                n.notified().await;
            }
            match output.next().await {
                Ok(Some(bytes)) => {
                    if output.discarded() != discarded {
                        discarded = output.discarded();
                        let _ = events.send(ExecEvent::Discarded { bytes: discarded });
                    }
                    sent += bytes.len() as u64;
                    if data.send(InvokeResponseBody::Raw(bytes.to_vec())).is_err() {
                        return; // the webview is gone
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        if let Some(e) = failure {
            let _ = events.send(ExecEvent::Error(e));
        }
        // The engine records the exit code a moment after the stream ends.
        let mut code = None;
        for _ in 0..10 {
            match engine.session_exit_code(&target).await {
                Ok(Some(c)) => {
                    code = Some(c);
                    break;
                }
                Ok(None) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                Err(_) => break, // the container is gone
            }
        }
        let _ = events.send(ExecEvent::Exit { code });
    });
    SessionHandle { input: tx, acked, acked_changed, tasks: vec![writer, reader] }
}
