//! Exec sessions as the webview sees them: core's `exec::serve` (the credit window, the hang-up
//! or detach, the exit) with its output plugged into two IPC Channels, its tasks on Tauri's
//! runtime and counted (the System page shows them; a test checks they all end).

use bulkhead_core::exec::{Credit, ExecSession, SessionSink};
use bulkhead_core::model::ExecEvent;
use bulkhead_core::Engine;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tauri::ipc::{Channel, InvokeResponseBody};
use tokio::sync::mpsc;

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

pub use bulkhead_core::exec::Input;

/// The webview's side of a session: raw output bytes into one Channel, events into another.
struct Channels {
    data: Channel<InvokeResponseBody>,
    events: Channel<ExecEvent>,
}

impl SessionSink for Channels {
    fn data(&mut self, bytes: bytes::Bytes) -> bool {
        self.data.send(InvokeResponseBody::Raw(bytes.to_vec())).is_ok()
    }
    fn event(&mut self, event: ExecEvent) -> bool {
        self.events.send(event).is_ok()
    }
}

pub struct SessionHandle {
    pub input: mpsc::Sender<Input>,
    credit: Arc<Credit>,
    tasks: Vec<tauri::async_runtime::JoinHandle<()>>,
}

impl SessionHandle {
    pub fn ack(&self, bytes: u64) {
        self.credit.ack(bytes);
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

/// Serves the session (core's policy: the credit window, the hang-up, the exit) on Tauri's
/// runtime, each task counted while it lives.
pub fn start(
    engine: Engine,
    session: ExecSession,
    data: Channel<InvokeResponseBody>,
    events: Channel<ExecEvent>,
) -> SessionHandle {
    let served = bulkhead_core::exec::serve(engine, session, Channels { data, events });
    let spawn = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| {
        let alive = Alive::new();
        tauri::async_runtime::spawn(async move {
            let _alive = alive;
            f.await;
        })
    };
    let writer = spawn(served.writer);
    let reader = spawn(served.reader);
    SessionHandle { input: served.input, credit: served.credit, tasks: vec![writer, reader] }
}
