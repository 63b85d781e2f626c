use crate::state::AppState;
use bulkhead_core::{Error, ImageRef};
use tauri::State;

/// `docker image inspect <reference>`.
#[tauri::command]
pub async fn image_inspect(state: State<'_, AppState>, reference: String) -> Result<serde_json::Value, Error> {
    let r = ImageRef::parse(&reference)?;
    state.watcher.engine()?.inspect_image(&r).await
}
