use crate::state::AppState;
use bulkhead_core::lifecycle::{ActionResult, ContainerAction, ProcessList};
use bulkhead_core::logs::LogOptions;
use bulkhead_core::model::{LogEvent, SavedLog, StatsEvent};
use bulkhead_core::{ContainerName, ContainerRef, Error};
use futures_util::StreamExt;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

/// `docker inspect <id>`; `id` is a full ID, a unique prefix or a name.
#[tauri::command]
pub async fn container_inspect(state: State<'_, AppState>, id: String) -> Result<serde_json::Value, Error> {
    let r = ContainerRef::parse(&id)?;
    state.watcher().engine()?.inspect_container(&r).await
}

/// One action on one or more containers. Every ID is checked before anything is done.
#[tauri::command]
pub async fn containers_act(
    state: State<'_, AppState>,
    ids: Vec<String>,
    action: ContainerAction,
) -> Result<Vec<ActionResult>, Error> {
    let refs = ids.iter().map(|i| ContainerRef::parse(i)).collect::<Result<Vec<_>, _>>()?;
    Ok(state.watcher().engine()?.act_many(&refs, action).await)
}

#[tauri::command]
pub async fn container_rename(state: State<'_, AppState>, id: String, name: String) -> Result<(), Error> {
    let (r, name) = (ContainerRef::parse(&id)?, ContainerName::parse(&name)?);
    state.watcher().engine()?.rename(&r, &name).await
}

#[tauri::command]
pub async fn container_top(state: State<'_, AppState>, id: String) -> Result<ProcessList, Error> {
    let r = ContainerRef::parse(&id)?;
    state.watcher().engine()?.top(&r).await
}

/// Streams a sample a second into `on_event` until `stream_stop` or the container stops.
#[tauri::command]
pub fn container_stats(state: State<'_, AppState>, id: String, on_event: Channel<StatsEvent>) -> Result<u32, Error> {
    let r = ContainerRef::parse(&id)?;
    let samples = state.watcher().engine()?.stats(&r).map(|s| match s {
        Ok(s) => StatsEvent::Sample(s),
        Err(e) => StatsEvent::Error(e),
    });
    let events = samples.chain(futures_util::stream::once(async { StatsEvent::End }));
    Ok(state.add_stream(crate::stream::pump(events, on_event)))
}

/// Streams log lines in frame-sized batches into `on_event`.
#[tauri::command]
pub async fn container_logs(
    state: State<'_, AppState>,
    id: String,
    options: LogOptions,
    on_event: Channel<LogEvent>,
) -> Result<u32, Error> {
    let r = ContainerRef::parse(&id)?;
    options.check()?;
    let batches = state.watcher().engine()?.logs(&r, &options).await?;
    Ok(state.add_stream(crate::stream::pump(log_events(batches), on_event)))
}

/// Batches of log lines as the window's events, ending with `End`.
pub(crate) fn log_events(
    batches: impl futures_util::Stream<Item = Result<Vec<bulkhead_core::logs::LogLine>, Error>> + Send + 'static,
) -> impl futures_util::Stream<Item = LogEvent> + Send + 'static {
    batches
        .map(|b| match b {
            Ok(lines) => LogEvent::Lines(lines),
            Err(e) => LogEvent::Error(e),
        })
        .chain(futures_util::stream::once(async { LogEvent::End }))
}

#[tauri::command]
pub fn stream_stop(state: State<'_, AppState>, id: u32) -> bool {
    state.stop_stream(id)
}

/// Asks where to save, then streams the log to that file. `None` when the user cancels.
#[tauri::command]
pub async fn logs_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    options: LogOptions,
) -> Result<Option<SavedLog>, Error> {
    use tauri_plugin_dialog::DialogExt;
    let r = ContainerRef::parse(&id)?;
    options.check()?;
    let engine = state.watcher().engine()?;
    let suggested = format!("{}.log", r.as_str());
    let (tx, rx) = tokio::sync::oneshot::channel();
    use tauri::Manager;
    let mut dialog = app.dialog().file().set_title("Save the log").set_file_name(&suggested);
    if let Ok(home) = app.path().home_dir() {
        dialog = dialog.set_directory(home);
    }
    dialog.add_filter("Log", &["log", "txt"]).save_file(move |p| {
        let _ = tx.send(p);
    });
    let Some(path) = rx.await.ok().flatten() else { return Ok(None) };
    let path = path.into_path().map_err(|e| Error::invalid(format!("Cannot save there: {e}")))?;
    let lines = engine.save_logs(&r, &options, &path).await?;
    Ok(Some(SavedLog { path: path.display().to_string(), lines }))
}

/// Opens `http://127.0.0.1:<port>/` in the user's browser, from Rust, after the user asked.
#[tauri::command]
pub fn open_port(port: u16) -> Result<(), Error> {
    if port == 0 {
        return Err(Error::invalid("Port 0 is not a published port."));
    }
    open_in_browser(&format!("http://127.0.0.1:{port}/"))
}

/// Opens an `https:` link from a terminal in the user's browser, after the UI showed the full
/// target and the user confirmed. Anything but https is refused.
#[tauri::command]
pub fn open_url(url: String) -> Result<(), Error> {
    let parsed = tauri::Url::parse(&url).map_err(|_| Error::invalid("Not a link."))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("Only https: links are opened."));
    }
    open_in_browser(parsed.as_str())
}

/// The desktop's browser (xdg-open and its kin, detached), as tauri-plugin-shell's `open` did
/// with the same crate underneath: the plugin, its scopes and its JS API are not shipped for it.
fn open_in_browser(url: &str) -> Result<(), Error> {
    open::that_detached(url).map_err(|e| Error::internal(format!("Cannot open a browser: {e}")))
}
