use crate::state::AppState;
use bulkhead_core::engines::{AddEngine, EngineEntry, EnginesView};
use bulkhead_core::model::{EngineStatus, ListEvent};
use bulkhead_core::Error;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, Webview};

#[tauri::command]
pub fn engine_status(state: State<'_, AppState>) -> EngineStatus {
    state.watcher().status()
}

#[tauri::command]
pub fn retry_connect(state: State<'_, AppState>) {
    state.watcher().retry_now();
}

/// Streams a snapshot of the lists, then every change, into `on_event`.
#[tauri::command]
pub fn watch_lists<R: Runtime>(
    state: State<'_, AppState>,
    webview: Webview<R>,
    on_event: Channel<ListEvent>,
) -> Result<(), Error> {
    let task = crate::stream::pump(state.watcher().subscribe(), on_event);
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

/// The engine switcher: every engine, and which one is in use.
#[tauri::command]
pub fn engines_list(state: State<'_, AppState>) -> EnginesView {
    let (engines, broken) = state.catalog.list();
    EnginesView { engines, broken, current: state.current_engine(), watched: state.watched_engines() }
}

/// Makes `id` the engine in use (plain TCP to another host needs `confirmed`). The webview then
/// calls `watch_lists` again, which streams the new engine's lists.
#[tauri::command]
pub fn engine_switch(state: State<'_, AppState>, id: String, confirmed: bool) -> Result<EngineStatus, Error> {
    Ok(state.switch(&id, confirmed)?.status())
}

/// "Add an engine…": writes a docker context (or an engine of Bulkhead's own).
#[tauri::command]
pub fn engine_add(state: State<'_, AppState>, engine: AddEngine) -> Result<EngineEntry, Error> {
    state.catalog.add(&engine)
}

/// Removes an engine (the UI asked first); when it was in use, `default` takes its place.
#[tauri::command]
pub fn engine_remove(state: State<'_, AppState>, id: String) -> Result<(), Error> {
    state.catalog.remove(&id)?;
    state.forget(&id);
    Ok(())
}

/// A file picker for a TLS file of "Add an engine…" (`what`: ca, cert or key), shown by the
/// backend; `None` when the user cancels. The path is only read when the engine is added.
#[tauri::command]
pub async fn pick_file<R: Runtime>(app: AppHandle<R>, what: String) -> Result<Option<String>, Error> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let title = match what.as_str() {
        "ca" => "Choose the engine's CA certificate (ca.pem)",
        "cert" => "Choose your client certificate (cert.pem)",
        "key" => "Choose your client key (key.pem)",
        _ => return Err(Error::invalid(format!("{what:?} is not a TLS file (ca, cert or key)"))),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title).add_filter("PEM files", &["pem", "crt", "key", "cert"]);
    // GTK opens on "Recent" without a folder; the docker CLI keeps its files in ~/.docker.
    if let Ok(home) = app.path().home_dir() {
        let docker = home.join(".docker");
        dialog = dialog.set_directory(if docker.is_dir() { docker } else { home });
    }
    dialog.pick_file(move |p| {
        let _ = tx.send(p);
    });
    super::chosen(rx, "file").await
}
