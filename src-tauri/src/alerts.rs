//! Desktop notifications for containers that start with a critical isolation risk. Core decides
//! what is an alert; this sends it (from Rust, over the session bus with notify-rust: the
//! webview has no notification permission) and keeps the last few for the System page.

use crate::state::AppState;
use bulkhead_core::inspect::alerts::watch_alerts;
use bulkhead_core::inspect::host::HostRoot;
use bulkhead_core::Watcher;
use futures_util::StreamExt;
use tauri::{AppHandle, Manager, Runtime};

/// Shows the alerts of one engine's containers; the task runs until it is aborted.
pub fn start<R: Runtime>(app: AppHandle<R>, watcher: &Watcher) -> tauri::async_runtime::JoinHandle<()> {
    let alerts = watch_alerts(watcher, HostRoot::from_env());
    tauri::async_runtime::spawn(async move {
        let mut alerts = std::pin::pin!(alerts);
        while let Some(a) = alerts.next().await {
            let (title, body) = (a.title.clone(), a.body.clone());
            // A blocking D-Bus call: off the async workers (its handle is not Send: dropped there).
            let shown = tauri::async_runtime::spawn_blocking(move || {
                notify_rust::Notification::new()
                    .appname("Bulkhead")
                    .icon("bulkhead")
                    .summary(&title)
                    .body(&body)
                    .show()
                    .map(drop)
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            if let Err(e) = &shown {
                eprintln!("bulkhead: could not show a desktop notification ({e}): {}: {}", a.title, a.body);
            }
            if let Some(state) = app.try_state::<AppState>() {
                state.record_alert(a, shown.is_ok());
            }
        }
    })
}
