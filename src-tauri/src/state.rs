//! What the shell keeps between commands.

use bulkhead_core::engines::EngineCatalog;
use bulkhead_core::inspect::review::ReviewCache;
use bulkhead_core::{Result, Watcher};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::sync::{Mutex, OnceLock};
use tauri::async_runtime::JoinHandle;

/// One engine the app has connected to: its watcher keeps running when the user switches
/// away, so switching back is instant.
struct LiveEngine {
    watcher: Watcher,
    /// The security review kept between audits, following the watcher's events.
    reviews: Arc<ReviewCache>,
    follow: tokio::task::JoinHandle<()>,
    /// Alerts for this engine, when the app wired them (`on_engine`).
    alerts: Option<JoinHandle<()>>,
}

struct Engines {
    current: String,
    live: HashMap<String, LiveEngine>,
}

/// Called for each engine the app starts watching (the desktop alerts); returns its task.
type OnEngine = Box<dyn Fn(&Watcher) -> JoinHandle<()> + Send + Sync>;

pub struct AppState {
    /// Every engine the user can switch to, and where the choice is remembered.
    pub catalog: EngineCatalog,
    engines: Mutex<Engines>,
    on_engine: OnceLock<OnEngine>,
    /// Exec sessions, by the id the backend issued.
    pub sessions: Mutex<HashMap<u32, crate::sessions::SessionHandle>>,
    /// The live-lists stream of each webview (one at most: a reload replaces the old one).
    list_streams: Mutex<HashMap<String, JoinHandle<()>>>,
    /// Log and stats streams, by the id the backend issued.
    streams: Mutex<HashMap<u32, JoinHandle<()>>>,
    next_stream: AtomicU32,
    /// The latest alerts (newest first), for the System page.
    alerts: Mutex<Vec<String>>,
    /// Files dropped on the window: the last few drops' paths by number, and who listens.
    drops: Mutex<Vec<(u64, Vec<std::path::PathBuf>)>>,
    drop_tx: tokio::sync::broadcast::Sender<Dropped>,
    next_drop: std::sync::atomic::AtomicU64,
    /// The preferences file, what is in it now, and what was wrong with it at start-up.
    prefs: bulkhead_core::prefs::PrefsStore,
    prefs_now: Mutex<bulkhead_core::prefs::PrefsLoaded>,
}

pub use bulkhead_core::files::Dropped;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn watch(id: &str, catalog: &EngineCatalog) -> LiveEngine {
    let runtime = tauri::async_runtime::handle();
    let watcher = Watcher::start_engine(runtime.inner(), id, catalog.endpoint(id));
    let reviews = ReviewCache::new();
    let follow = reviews.follow(&watcher, runtime.inner());
    LiveEngine { watcher, reviews, follow, alerts: None }
}

impl AppState {
    /// Starts watching the engine the app starts on (see `EngineCatalog::start`).
    pub fn new(catalog: EngineCatalog) -> Self {
        let prefs = bulkhead_core::prefs::PrefsStore::new(catalog.config_dir());
        let loaded = prefs.load();
        let start = catalog.start(loaded.prefs.default_engine.as_deref());
        let prefs_now = Mutex::new(loaded);
        let first = watch(&start.id, &catalog);
        AppState {
            engines: Mutex::new(Engines { current: start.id.clone(), live: HashMap::from([(start.id, first)]) }),
            catalog,
            on_engine: OnceLock::new(),
            sessions: Mutex::default(),
            list_streams: Mutex::default(),
            streams: Mutex::default(),
            next_stream: AtomicU32::new(1),
            alerts: Mutex::default(),
            drops: Mutex::default(),
            drop_tx: tokio::sync::broadcast::channel(16).0,
            next_drop: std::sync::atomic::AtomicU64::new(1),
            prefs,
            prefs_now,
        }
    }

    /// The preferences as loaded (with the problems found at start-up) or last saved.
    pub fn prefs_loaded(&self) -> bulkhead_core::prefs::PrefsLoaded {
        lock(&self.prefs_now).clone()
    }

    /// Checks and writes the preferences; what is kept in memory changes only once written.
    pub fn save_prefs(&self, prefs: &bulkhead_core::prefs::Preferences) -> Result<(), bulkhead_core::Error> {
        let mut now = lock(&self.prefs_now);
        self.prefs.save(prefs)?;
        now.prefs = prefs.clone();
        now.problems.clear();
        Ok(())
    }

    /// Records files dropped on the window (from the window's own event, never the webview)
    /// and tells the listening views.
    pub fn record_drop(&self, paths: Vec<std::path::PathBuf>) -> Dropped {
        let d = self.record_paths(paths);
        let _ = self.drop_tx.send(d.clone());
        d
    }

    /// Records the user's own files (a drop, or a pick in the native chooser) under a number
    /// the webview can name them by.
    pub fn record_paths(&self, paths: Vec<std::path::PathBuf>) -> Dropped {
        let seq = self.next_drop.fetch_add(1, Ordering::Relaxed);
        let names = paths
            .iter()
            .map(|p| bulkhead_core::text::neutralise(&p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()))
            .collect();
        {
            let mut d = lock(&self.drops);
            d.push((seq, paths));
            let extra = d.len().saturating_sub(8);
            d.drain(..extra);
        }
        Dropped { seq, names }
    }

    /// The paths of drop `seq`.
    pub fn dropped(&self, seq: u64) -> Result<Vec<std::path::PathBuf>> {
        lock(&self.drops)
            .iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| bulkhead_core::Error::invalid("That drop is no longer known: drop the files again."))
    }

    /// Every drop from now on (a listener that falls behind skips what it missed).
    pub fn drops(&self) -> impl futures_util::Stream<Item = Dropped> + Send + 'static {
        use tokio::sync::broadcast::error::RecvError;
        futures_util::stream::unfold(self.drop_tx.subscribe(), |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(d) => return Some((d, rx)),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }

    /// Wires `f` (the desktop alerts) to every engine watched, from now on and already.
    pub fn on_engine(&self, f: OnEngine) {
        let mut engines = lock(&self.engines);
        for e in engines.live.values_mut() {
            e.alerts = Some(f(&e.watcher));
        }
        let _ = self.on_engine.set(f);
    }

    /// The watcher of the engine in use.
    pub fn watcher(&self) -> Watcher {
        let engines = lock(&self.engines);
        engines.live[&engines.current].watcher.clone()
    }

    /// The review cache of the engine in use.
    pub fn reviews(&self) -> Arc<ReviewCache> {
        let engines = lock(&self.engines);
        Arc::clone(&engines.live[&engines.current].reviews)
    }

    /// The id of the engine in use.
    pub fn current_engine(&self) -> String {
        lock(&self.engines).current.clone()
    }

    /// The ids of the engines being watched.
    pub fn watched_engines(&self) -> Vec<String> {
        let mut ids: Vec<String> = lock(&self.engines).live.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Makes `id` the engine in use, watching it from now on if it was not yet, and remembers
    /// the choice. Plain TCP to another host needs `confirmed`.
    pub fn switch(&self, id: &str, confirmed: bool) -> Result<Watcher> {
        self.catalog.usable(id, confirmed)?;
        let watcher = {
            let mut engines = lock(&self.engines);
            if !engines.live.contains_key(id) {
                let mut live = watch(id, &self.catalog);
                if let Some(f) = self.on_engine.get() {
                    live.alerts = Some(f(&live.watcher));
                }
                engines.live.insert(id.to_owned(), live);
            }
            engines.current = id.to_owned();
            engines.live[id].watcher.clone()
        };
        self.catalog.save_choice(id)?;
        Ok(watcher)
    }

    /// Stops watching `id` (it was removed); when it was in use, `default` takes its place.
    pub fn forget(&self, id: &str) {
        let mut engines = lock(&self.engines);
        if engines.current == id {
            let default = bulkhead_core::context::DEFAULT_CONTEXT;
            if !engines.live.contains_key(default) {
                let live = watch(default, &self.catalog);
                engines.live.insert(default.to_owned(), live);
            }
            engines.current = default.to_owned();
        }
        if let Some(e) = engines.live.remove(id) {
            e.follow.abort();
            if let Some(a) = e.alerts {
                a.abort();
            }
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
