use crate::state::AppState;
use bulkhead_core::model::SystemInfo;
use bulkhead_core::Error;
use tauri::State;

#[tauri::command]
pub async fn system_info(state: State<'_, AppState>) -> Result<SystemInfo, Error> {
    state.watcher().engine()?.system_info().await
}
