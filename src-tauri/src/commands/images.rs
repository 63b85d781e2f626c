use crate::state::AppState;
use bulkhead_core::build::{self, BuildEvent, BuildRequest};
use bulkhead_core::model::{ImageHistoryRow, ProgressEvent, PruneMode, PrunePlan, PruneResult};
use bulkhead_core::{Error, ImageRef};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

/// `docker image inspect <reference>`.
#[tauri::command]
pub async fn image_inspect(state: State<'_, AppState>, reference: String) -> Result<serde_json::Value, Error> {
    let r = ImageRef::parse(&reference)?;
    state.watcher().engine()?.inspect_image(&r).await
}

#[tauri::command]
pub async fn image_history(state: State<'_, AppState>, reference: String) -> Result<Vec<ImageHistoryRow>, Error> {
    let r = ImageRef::parse(&reference)?;
    state.watcher().engine()?.history(&r).await
}

/// Builds an image; events go to `on_event`; `stream_stop` cancels the build.
#[tauri::command]
pub fn image_build(
    state: State<'_, AppState>,
    request: BuildRequest,
    on_event: Channel<BuildEvent>,
) -> Result<u32, Error> {
    let plan = build::validate(&request)?;
    let events = state.watcher().engine()?.build(plan);
    Ok(state.add_stream(crate::stream::pump(events, on_event)))
}

#[tauri::command]
pub fn image_pull(
    state: State<'_, AppState>,
    reference: String,
    on_event: Channel<ProgressEvent>,
) -> Result<u32, Error> {
    let r = ImageRef::parse(&reference)?;
    let events = state.watcher().engine()?.pull(&r);
    Ok(state.add_stream(crate::stream::pump(events, on_event)))
}

#[tauri::command]
pub fn image_push(
    state: State<'_, AppState>,
    reference: String,
    on_event: Channel<ProgressEvent>,
) -> Result<u32, Error> {
    let r = ImageRef::parse(&reference)?;
    let events = state.watcher().engine()?.push(&r);
    Ok(state.add_stream(crate::stream::pump(events, on_event)))
}

#[tauri::command]
pub async fn image_tag(state: State<'_, AppState>, source: String, target: String) -> Result<(), Error> {
    let (s, t) = (ImageRef::parse(&source)?, ImageRef::parse(&target)?);
    state.watcher().engine()?.tag(&s, &t).await
}

#[tauri::command]
pub async fn image_remove(state: State<'_, AppState>, reference: String, force: bool) -> Result<Vec<String>, Error> {
    let r = ImageRef::parse(&reference)?;
    state.watcher().engine()?.remove_image(&r, force).await
}

/// What a prune would delete; nothing is deleted.
#[tauri::command]
pub async fn image_prune_plan(state: State<'_, AppState>, mode: PruneMode) -> Result<PrunePlan, Error> {
    state.watcher().engine()?.prune_plan(mode).await
}

/// Deletes exactly these images (the plan the user confirmed).
#[tauri::command]
pub async fn image_prune(state: State<'_, AppState>, ids: Vec<String>) -> Result<PruneResult, Error> {
    let refs = ids.iter().map(|i| ImageRef::parse(i)).collect::<Result<Vec<_>, _>>()?;
    Ok(state.watcher().engine()?.prune(&refs).await)
}

/// A folder picker, shown by the backend; `None` when the user cancels.
#[tauri::command]
pub async fn pick_folder<R: Runtime>(app: AppHandle<R>) -> Result<Option<String>, Error> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    use tauri::Manager;
    // Without a starting folder GTK opens on "Recent", which lists files, not folders.
    let mut dialog = app.dialog().file().set_title("Choose the folder to build");
    if let Ok(home) = app.path().home_dir() {
        dialog = dialog.set_directory(home);
    }
    dialog.pick_folder(move |p| {
        let _ = tx.send(p);
    });
    super::chosen(rx, "folder").await
}
