use crate::state::AppState;
use bulkhead_core::model::PruneResult;
use bulkhead_core::refs::VolumeRef;
use bulkhead_core::volumes::{NewVolume, VolumePruneMode, VolumePrunePlan, VolumeSize, VolumeSummary};
use bulkhead_core::Error;
use tauri::State;

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
