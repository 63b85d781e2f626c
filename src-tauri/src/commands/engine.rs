use crate::state::AppState;
use bulkhead_core::model::{EngineStatus, ListEvent};
use bulkhead_core::Error;
use tauri::ipc::Channel;
use tauri::{Runtime, State, Webview};

#[tauri::command]
pub fn engine_status(state: State<'_, AppState>) -> EngineStatus {
    state.watcher.status()
}

#[tauri::command]
pub fn retry_connect(state: State<'_, AppState>) {
    state.watcher.retry_now();
}

/// Streams a snapshot of the lists, then every change, into `on_event`.
#[tauri::command]
pub fn watch_lists<R: Runtime>(
    state: State<'_, AppState>,
    webview: Webview<R>,
    on_event: Channel<ListEvent>,
) -> Result<(), Error> {
    let task = crate::stream::pump(state.watcher.subscribe(), on_event);
    state.replace_list_stream(webview.label(), task);
    Ok(())
}

#[tauri::command]
pub fn unwatch_lists<R: Runtime>(state: State<'_, AppState>, webview: Webview<R>) -> bool {
    state.stop_list_stream(webview.label())
}

/// What the shell holds open (terminal sessions, streams).
#[tauri::command]
pub fn diagnostics(state: State<'_, AppState>) -> bulkhead_core::model::ShellDiagnostics {
    state.diagnostics()
}
