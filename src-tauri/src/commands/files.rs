use crate::state::AppState;
use bulkhead_core::archive::TransferEvent;
use bulkhead_core::files::{ContainerListing, ContainerPath, Dropped, FileChange, FileContent};
use bulkhead_core::{ContainerRef, Error};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

/// One folder of a container (a percent-encoded absolute path), marked with what it changed.
#[tauri::command]
pub async fn files_browse(state: State<'_, AppState>, id: String, path: String) -> Result<ContainerListing, Error> {
    let (c, p) = (ContainerRef::parse(&id)?, ContainerPath::parse(&path)?);
    state.watcher().engine()?.container_browse(&c, &p).await
}

/// What the container changed since its image (`docker diff`).
#[tauri::command]
pub async fn files_changes(state: State<'_, AppState>, id: String) -> Result<Vec<FileChange>, Error> {
    let c = ContainerRef::parse(&id)?;
    state.watcher().engine()?.container_changes(&c).await
}

/// The start of a file for the viewer (text up to 1 MiB, or bytes for a hex view).
#[tauri::command]
pub async fn files_read(state: State<'_, AppState>, id: String, path: String) -> Result<FileContent, Error> {
    let (c, p) = (ContainerRef::parse(&id)?, ContainerPath::parse(&path)?);
    state.watcher().engine()?.container_read(&c, &p).await
}

/// Saves a file (as itself) or a folder (as .tar.gz) where the user says in the native save
/// dialog; `None` when they cancel. `stream_stop` cancels (the part file goes).
#[tauri::command]
pub async fn files_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    path: String,
    on_event: Channel<TransferEvent>,
) -> Result<Option<u32>, Error> {
    let (c, p) = (ContainerRef::parse(&id)?, ContainerPath::parse(&path)?);
    let engine = state.watcher().engine()?;
    let folder = engine.container_is_folder(&c, &p).await?;
    let name = if p.is_root() { "container".to_owned() } else { p.file_name().to_owned() };
    let (title, suggested) =
        if folder { ("Save the folder", format!("{name}.tar.gz")) } else { ("Save the file", name) };
    let Some(dest) = super::save_path(&app, title, &suggested, folder).await? else { return Ok(None) };
    Ok(Some(state.add_stream(crate::stream::pump(engine.container_save(&c, &p, dest), on_event))))
}

/// The user picks files to upload in the native chooser; they are recorded like a drop (the
/// paths stay here) and the window gets their number and names; `None` when cancelled.
#[tauri::command]
pub async fn files_pick<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<Option<Dropped>, Error> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title("Upload files into the container");
    if let Ok(home) = tauri::Manager::path(&app).home_dir() {
        dialog = dialog.set_directory(home);
    }
    dialog.pick_files(move |p| {
        let _ = tx.send(p);
    });
    let Some(picked) = rx.await.ok().flatten() else { return Ok(None) };
    let paths = picked
        .into_iter()
        .map(|f| f.into_path().map_err(|e| Error::invalid(format!("Not a usable file: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(state.record_paths(paths)))
}

/// Which names of drop (or pick) `seq` already exist in the folder: the window asks before
/// replacing them.
#[tauri::command]
pub async fn files_conflicts(
    state: State<'_, AppState>,
    id: String,
    path: String,
    seq: u64,
) -> Result<Vec<String>, Error> {
    let (c, p) = (ContainerRef::parse(&id)?, ContainerPath::parse(&path)?);
    let names = bulkhead_core::files::names_of(&state.dropped(seq)?)?;
    state.watcher().engine()?.container_existing(&c, &p, &names).await
}

/// Uploads drop (or pick) `seq` — paths the backend recorded, never from the webview — into a
/// folder of the container. A name that exists there is refused unless `overwrite`.
#[tauri::command]
pub async fn files_upload(
    state: State<'_, AppState>,
    id: String,
    path: String,
    seq: u64,
    overwrite: bool,
    on_event: Channel<TransferEvent>,
) -> Result<u32, Error> {
    let (c, p) = (ContainerRef::parse(&id)?, ContainerPath::parse(&path)?);
    let sources = state.dropped(seq)?;
    let engine = state.watcher().engine()?;
    Ok(state.add_stream(crate::stream::pump(engine.container_upload(&c, &p, sources, overwrite), on_event)))
}

/// Files dropped on the window: their names and the drop's number, as they come.
#[tauri::command]
pub fn watch_drops(state: State<'_, AppState>, on_event: Channel<Dropped>) -> u32 {
    state.add_stream(crate::stream::pump(state.drops(), on_event))
}

/// Saves an edited text file, if it is still what was opened (`sha256`); the file as it is now.
#[tauri::command]
pub async fn files_write(
    state: State<'_, AppState>,
    id: String,
    path: String,
    text: String,
    sha256: String,
) -> Result<FileContent, Error> {
    let (c, p) = (ContainerRef::parse(&id)?, ContainerPath::parse(&path)?);
    state.watcher().engine()?.container_write_text(&c, &p, &text, &sha256).await
}
