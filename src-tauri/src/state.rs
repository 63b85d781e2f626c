//! What the shell keeps between commands.

use bulkhead_core::Watcher;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct AppState {
    pub watcher: Watcher,
    /// The live-lists stream of each webview (one at most: a reload replaces the old one).
    pub list_streams: Mutex<HashMap<String, tauri::async_runtime::JoinHandle<()>>>,
}

impl AppState {
    pub fn new(watcher: Watcher) -> Self {
        AppState { watcher, list_streams: Mutex::new(HashMap::new()) }
    }

    /// Registers `task` as the webview's list stream, stopping the one it had.
    pub fn replace_list_stream(&self, webview: &str, task: tauri::async_runtime::JoinHandle<()>) {
        let mut streams = self.list_streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = streams.insert(webview.to_owned(), task) {
            old.abort();
        }
    }

    pub fn stop_list_stream(&self, webview: &str) -> bool {
        let mut streams = self.list_streams.lock().unwrap_or_else(|p| p.into_inner());
        streams.remove(webview).map(|t| t.abort()).is_some()
    }

    /// Stops every stream; called on exit.
    pub fn close_all(&self) {
        let mut streams = self.list_streams.lock().unwrap_or_else(|p| p.into_inner());
        for (_, t) in streams.drain() {
            t.abort();
        }
    }
}
