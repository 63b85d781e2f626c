//! Compose projects and files: group actions and logs through the Engine API, the review of a
//! compose file, and the user's own Compose run against the engine in use.

use crate::state::AppState;
use bulkhead_core::compose::{
    self, ComposeCommand, ComposeOutput, ComposeReport, ComposeTool, ProjectAction, ProjectName, ProjectRemovePlan,
    ProjectResult,
};
use bulkhead_core::inspect::host::HostRoot;
use bulkhead_core::logs::LogOptions;
use bulkhead_core::model::LogEvent;
use bulkhead_core::Error;
use std::path::PathBuf;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

#[tauri::command]
pub async fn project_act(
    state: State<'_, AppState>,
    project: String,
    action: ProjectAction,
) -> Result<ProjectResult, Error> {
    let p = ProjectName::parse(&project)?;
    state.watcher().engine()?.project_act(&p, action).await
}

#[tauri::command]
pub async fn project_remove_plan(state: State<'_, AppState>, project: String) -> Result<ProjectRemovePlan, Error> {
    let p = ProjectName::parse(&project)?;
    state.watcher().engine()?.project_remove_plan(&p).await
}

#[tauri::command]
pub async fn project_remove(
    state: State<'_, AppState>,
    project: String,
    volumes: bool,
) -> Result<ProjectResult, Error> {
    let p = ProjectName::parse(&project)?;
    state.watcher().engine()?.project_remove(&p, volumes).await
}

/// Every container's log of the project, interleaved in time order, tagged by service.
#[tauri::command]
pub async fn project_logs(
    state: State<'_, AppState>,
    project: String,
    options: LogOptions,
    on_event: Channel<LogEvent>,
) -> Result<u32, Error> {
    let p = ProjectName::parse(&project)?;
    options.check()?;
    let batches = state.watcher().engine()?.project_logs(&p, &options).await?;
    Ok(state.add_stream(crate::stream::pump(super::containers::log_events(batches), on_event)))
}

#[tauri::command]
pub async fn compose_tool() -> Result<Option<ComposeTool>, Error> {
    Ok(compose::run::find_tool().await)
}

async fn review(state: &AppState, path: PathBuf) -> Result<ComposeReport, Error> {
    // The engine in use decides what user-namespace remapping and AppArmor mean; the file is
    // reviewed without it when it is not connected.
    let facts = match state.watcher().engine() {
        Ok(engine) => engine.engine_facts(&HostRoot::from_env()).await.ok(),
        Err(_) => None,
    };
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || compose::review_file(&path, &shown, facts.as_ref()))
        .await
        .map_err(|e| Error::internal(format!("The review stopped: {e}")))?
}

/// A native chooser for a compose file (shown by the backend: the path never comes from the
/// webview), then the file read and reviewed. `None` when the user cancels.
#[tauri::command]
pub async fn compose_open<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<ComposeReport>, Error> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title("Open a compose file").add_filter("Compose files", &["yaml", "yml"]);
    if let Ok(home) = app.path().home_dir() {
        dialog = dialog.set_directory(home);
    }
    dialog.pick_file(move |p| {
        let _ = tx.send(p);
    });
    let Some(path) = super::chosen(rx, "compose file").await? else { return Ok(None) };
    Ok(Some(review(&state, PathBuf::from(path)).await?))
}

/// Reviews a compose file a project's labels name (the path is checked as any compose file is:
/// absolute, a regular UTF-8 file of bounded size, not under /proc, /sys or /dev — and, since a
/// label is hostile, named `.yml` or `.yaml`).
#[tauri::command]
pub async fn compose_review(state: State<'_, AppState>, path: String) -> Result<ComposeReport, Error> {
    let path = PathBuf::from(path);
    compose::file::named_like_compose(&path)?;
    review(&state, path).await
}

/// Runs `up -d`, `down`, `pull` or `build` with the user's Compose against the engine in use;
/// its output streams into `on_event`; `stream_stop` cancels it.
#[tauri::command]
pub async fn compose_run(
    state: State<'_, AppState>,
    path: String,
    project: String,
    command: ComposeCommand,
    on_event: Channel<ComposeOutput>,
) -> Result<u32, Error> {
    let p = ProjectName::parse(&project)?;
    let path = PathBuf::from(path);
    compose::file::named_like_compose(&path)?;
    let engine = state.watcher().engine()?;
    let tool = compose::run::find_tool()
        .await
        .ok_or_else(|| Error::new(bulkhead_core::ErrorKind::NotFound, compose::run::INSTALL_HINT))?;
    let out = compose::run::run(&tool, &path, p.as_str(), command, engine.endpoint())?;
    Ok(state.add_stream(crate::stream::pump(out, on_event)))
}
