use crate::state::AppState;
use bulkhead_core::model::PruneResult;
use bulkhead_core::refs::VolumeRef;
use bulkhead_core::volume_data::{TransferEvent, VolumeListing, VolumePath};
use bulkhead_core::volumes::{NewVolume, VolumePruneMode, VolumePrunePlan, VolumeSize, VolumeSummary};
use bulkhead_core::Error;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

/// `docker volume inspect <name>`.
#[tauri::command]
pub async fn volume_inspect(state: State<'_, AppState>, name: String) -> Result<serde_json::Value, Error> {
    let v = VolumeRef::parse(&name)?;
    state.watcher().engine()?.inspect_volume(&v).await
}

#[tauri::command]
pub async fn volume_create(state: State<'_, AppState>, volume: NewVolume) -> Result<VolumeSummary, Error> {
    volume.check()?;
    state.watcher().engine()?.create_volume(&volume).await
}

/// Removes a volume; one in use is refused with the names of the containers that hold it.
#[tauri::command]
pub async fn volume_remove(state: State<'_, AppState>, name: String) -> Result<(), Error> {
    let v = VolumeRef::parse(&name)?;
    state.watcher().engine()?.remove_volume(&v, false).await
}

/// Every volume's size (`/system/df`: slow on big hosts, asked for by the user only).
#[tauri::command]
pub async fn volume_sizes(state: State<'_, AppState>) -> Result<Vec<VolumeSize>, Error> {
    state.watcher().engine()?.volume_sizes().await
}

/// What a prune would delete; nothing is deleted.
#[tauri::command]
pub async fn volume_prune_plan(state: State<'_, AppState>, mode: VolumePruneMode) -> Result<VolumePrunePlan, Error> {
    state.watcher().engine()?.volume_prune_plan(mode).await
}

/// Deletes exactly these volumes (the plan the user confirmed).
#[tauri::command]
pub async fn volume_prune(state: State<'_, AppState>, names: Vec<String>) -> Result<PruneResult, Error> {
    let refs = names.iter().map(|n| VolumeRef::parse(n)).collect::<Result<Vec<_>, _>>()?;
    Ok(state.watcher().engine()?.prune_volumes(&refs).await)
}

/// One folder of a volume, read-only, through a helper container that is never started.
#[tauri::command]
pub async fn volume_browse(state: State<'_, AppState>, name: String, path: String) -> Result<VolumeListing, Error> {
    let (v, p) = (VolumeRef::parse(&name)?, VolumePath::parse(&path)?);
    state.watcher().engine()?.volume_browse(&v, &p).await
}

/// Saves a file or a folder of a volume (the root: the whole volume, as a `.tar.gz`) where
/// the user says in the native save dialog; `None` when they cancel. Events go to `on_event`;
/// `stream_stop` cancels (the part file and the helper go).
#[tauri::command]
pub async fn volume_save<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
    path: String,
    on_event: Channel<TransferEvent>,
) -> Result<Option<u32>, Error> {
    let (v, p) = (VolumeRef::parse(&name)?, VolumePath::parse(&path)?);
    let engine = state.watcher().engine()?;
    let folder = engine.volume_is_folder(&v, &p).await?;
    let (title, suggested) = match (p.as_str().is_empty(), folder) {
        (true, _) => ("Export the volume", format!("{}.tar.gz", v.as_str())),
        (false, true) => ("Save the folder", format!("{}.tar.gz", p.file_name())),
        (false, false) => ("Save the file", p.file_name().to_owned()),
    };
    let Some(dest) = super::save_path(&app, title, &suggested, folder).await? else { return Ok(None) };
    let events = engine.volume_save(&v, &p, dest);
    Ok(Some(state.add_stream(crate::stream::pump(events, on_event))))
}

/// Imports a `.tar.gz` the user picks in the native dialog into an empty volume; `None` when
/// they cancel. Every entry is checked before anything is written.
#[tauri::command]
pub async fn volume_import<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    name: String,
    on_event: Channel<TransferEvent>,
) -> Result<Option<u32>, Error> {
    use tauri_plugin_dialog::DialogExt;
    let v = VolumeRef::parse(&name)?;
    let engine = state.watcher().engine()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog =
        app.dialog().file().set_title("Import a .tar.gz into the volume").add_filter("tar.gz", &["gz", "tgz"]);
    if let Ok(home) = tauri::Manager::path(&app).home_dir() {
        dialog = dialog.set_directory(home);
    }
    dialog.pick_file(move |p| {
        let _ = tx.send(p);
    });
    let Some(src) = super::chosen(rx, "file").await? else { return Ok(None) };
    let events = engine.volume_import(&v, std::path::PathBuf::from(src));
    Ok(Some(state.add_stream(crate::stream::pump(events, on_event))))
}
