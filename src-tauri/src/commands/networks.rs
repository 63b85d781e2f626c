use crate::state::AppState;
use bulkhead_core::model::PruneResult;
use bulkhead_core::networks::{ConnectRequest, NetworkMember, NetworkPrunePlan, NetworkSummary, NewNetwork};
use bulkhead_core::refs::NetworkRef;
use bulkhead_core::{ContainerRef, Error};
use tauri::State;

/// `docker network inspect <id>`.
#[tauri::command]
pub async fn network_inspect(state: State<'_, AppState>, id: String) -> Result<serde_json::Value, Error> {
    let n = NetworkRef::parse(&id)?;
    state.watcher().engine()?.inspect_network(&n).await
}

/// The containers on a network, with their addresses and aliases.
#[tauri::command]
pub async fn network_members(state: State<'_, AppState>, id: String) -> Result<Vec<NetworkMember>, Error> {
    let n = NetworkRef::parse(&id)?;
    state.watcher().engine()?.network_members(&n).await
}

#[tauri::command]
pub async fn network_create(state: State<'_, AppState>, network: NewNetwork) -> Result<NetworkSummary, Error> {
    network.check()?;
    state.watcher().engine()?.create_network(&network).await
}

/// Removes a network; one with containers on it is refused, naming them.
#[tauri::command]
pub async fn network_remove(state: State<'_, AppState>, id: String) -> Result<(), Error> {
    let n = NetworkRef::parse(&id)?;
    state.watcher().engine()?.remove_network(&n).await
}

/// What a prune would delete; nothing is deleted.
#[tauri::command]
pub async fn network_prune_plan(state: State<'_, AppState>) -> Result<NetworkPrunePlan, Error> {
    state.watcher().engine()?.network_prune_plan().await
}

/// Deletes exactly these networks (the plan the user confirmed).
#[tauri::command]
pub async fn network_prune(state: State<'_, AppState>, ids: Vec<String>) -> Result<PruneResult, Error> {
    let refs = ids.iter().map(|n| NetworkRef::parse(n)).collect::<Result<Vec<_>, _>>()?;
    Ok(state.watcher().engine()?.prune_networks(&refs).await)
}

/// Connects a container to a network, with aliases and an optional fixed address.
#[tauri::command]
pub async fn network_connect(
    state: State<'_, AppState>,
    id: String,
    container: String,
    request: ConnectRequest,
) -> Result<(), Error> {
    let (n, c) = (NetworkRef::parse(&id)?, ContainerRef::parse(&container)?);
    request.check()?;
    state.watcher().engine()?.connect_network(&n, &c, &request).await
}

#[tauri::command]
pub async fn network_disconnect(state: State<'_, AppState>, id: String, container: String) -> Result<(), Error> {
    let (n, c) = (NetworkRef::parse(&id)?, ContainerRef::parse(&container)?);
    state.watcher().engine()?.disconnect_network(&n, &c, false).await
}
