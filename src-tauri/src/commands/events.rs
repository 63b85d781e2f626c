use crate::state::AppState;
use bulkhead_core::events::{EventQuery, EventsEvent};
use bulkhead_core::Error;
use tauri::ipc::Channel;
use tauri::State;

/// The engine's events (history from `since`, live unless `until`) into `on_event`; the id
/// is for `stream_stop`.
#[tauri::command]
pub async fn events_watch(
    state: State<'_, AppState>,
    query: EventQuery,
    on_event: Channel<EventsEvent>,
) -> Result<u32, Error> {
    query.check()?;
    let events = state.watcher().engine()?.events(&query)?;
    Ok(state.add_stream(crate::stream::pump(events, on_event)))
}
