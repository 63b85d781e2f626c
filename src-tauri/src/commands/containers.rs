use crate::state::AppState;
use bulkhead_core::{ContainerRef, Error};
use tauri::State;

/// `docker inspect <id>`; `id` is a full ID, a unique prefix or a name.
#[tauri::command]
pub async fn container_inspect(state: State<'_, AppState>, id: String) -> Result<serde_json::Value, Error> {
    let r = ContainerRef::parse(&id)?;
    state.watcher.engine()?.inspect_container(&r).await
}
