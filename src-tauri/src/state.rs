//! What the shell keeps between commands.

use bulkhead_core::inspect::review::ReviewCache;
use bulkhead_core::Watcher;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use tauri::async_runtime::JoinHandle;

pub struct AppState {
    pub watcher: Watcher,
    /// The security review kept between audits, following the watcher's events.
    pub reviews: Arc<ReviewCache>,
    /// Exec sessions, by the id the backend issued.
    pub sessions: Mutex<HashMap<u32, crate::sessions::SessionHandle>>,
    /// The live-lists stream of each webview (one at most: a reload replaces the old one).
    list_streams: Mutex<HashMap<String, JoinHandle<()>>>,
    /// Log and stats streams, by the id the backend issued.
    streams: Mutex<HashMap<u32, JoinHandle<()>>>,
    next_stream: AtomicU32,
    /// The latest alerts (newest first), for the System page.
    alerts: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    /// `reviews` follows `watcher` on the async runtime from now on.
    pub fn new(watcher: Watcher) -> Self {
        let reviews = ReviewCache::new();
        reviews.follow(&watcher, tauri::async_runtime::handle().inner());
        AppState {
            watcher,
            reviews,
            sessions: Mutex::default(),
            list_streams: Mutex::default(),
            streams: Mutex::default(),
            next_stream: AtomicU32::new(1),
            alerts: Mutex::default(),
        }
    }

    /// Registers `task` as the webview's list stream, stopping the one it had.
    pub fn replace_list_stream(&self, webview: &str, task: JoinHandle<()>) {
        if let Some(old) = lock(&self.list_streams).insert(webview.to_owned(), task) {
            old.abort();
        }
    }

    pub fn stop_list_stream(&self, webview: &str) -> bool {
        lock(&self.list_streams).remove(webview).map(|t| t.abort()).is_some()
    }

    /// Registers a log or stats stream; the id is what the UI passes to `stream_stop`.
    pub fn add_stream(&self, task: JoinHandle<()>) -> u32 {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        let mut streams = lock(&self.streams);
        // Forget the streams that ended by themselves.
        streams.retain(|_, t| !t.inner().is_finished());
        streams.insert(id, task);
        id
    }

    pub fn stop_stream(&self, id: u32) -> bool {
        lock(&self.streams).remove(&id).map(|t| t.abort()).is_some()
    }

    /// Registers an exec session; returns its id.
    pub fn add_session(&self, s: crate::sessions::SessionHandle) -> u32 {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        let mut sessions = lock(&self.sessions);
        // Forget sessions whose process ended (their tab shows the exit; nothing is running).
        let ended: Vec<u32> = sessions.iter().filter(|(_, s)| s.is_finished()).map(|(k, _)| *k).collect();
        for k in ended {
            if let Some(s) = sessions.remove(&k) {
                s.close();
            }
        }
        sessions.insert(id, s);
        id
    }

    /// Runs `f` on a session; `None` when there is no such session.
    pub fn with_session<T>(&self, id: u32, f: impl FnOnce(&crate::sessions::SessionHandle) -> T) -> Option<T> {
        lock(&self.sessions).get(&id).map(f)
    }

    /// What is open right now; ended sessions and streams are not counted.
    pub fn diagnostics(&self) -> bulkhead_core::model::ShellDiagnostics {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        bulkhead_core::model::ShellDiagnostics {
            terminal_sessions: count(lock(&self.sessions).values().filter(|s| !s.is_finished()).count()),
            terminal_tasks: count(crate::sessions::live_tasks()),
            alerts: lock(&self.alerts).clone(),
            streams: count(lock(&self.streams).values().filter(|t| !t.inner().is_finished()).count()),
            list_streams: count(lock(&self.list_streams).values().filter(|t| !t.inner().is_finished()).count()),
        }
    }

    pub fn record_alert(&self, a: bulkhead_core::inspect::alerts::Alert, notified: bool) {
        let mut alerts = lock(&self.alerts);
        let how = if notified { "notified" } else { "no notification service" };
        alerts.insert(0, format!("{} — {} ({how})", a.title, a.body));
        alerts.truncate(20);
    }

    pub fn close_session(&self, id: u32) -> bool {
        lock(&self.sessions).remove(&id).map(|s| s.close()).is_some()
    }

    /// Stops every stream; called on exit.
    pub fn close_all(&self) {
        for (_, s) in lock(&self.sessions).drain() {
            s.close();
        }
        for (_, t) in lock(&self.list_streams).drain() {
            t.abort();
        }
        for (_, t) in lock(&self.streams).drain() {
            t.abort();
        }
    }
}
