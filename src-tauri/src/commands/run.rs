use crate::state::AppState;
use bulkhead_core::run::{self, ParsedRun, RunCheck, RunOutcome, RunRequest};
use bulkhead_core::Error;
use tauri::State;

/// Field errors, warnings and the `docker run …` preview, as the form is typed.
#[tauri::command]
pub fn run_check(request: RunRequest) -> RunCheck {
    run::check(&request)
}

/// A pasted `docker run …` line, read into the form.
#[tauri::command]
pub fn run_parse(line: String) -> Result<ParsedRun, Error> {
    run::parse_command(&line)
}

/// Creates and starts the container; validation is redone here, before the engine is asked.
#[tauri::command]
pub async fn run_container(state: State<'_, AppState>, request: RunRequest) -> Result<RunOutcome, Error> {
    let plan = run::validate(&request)?;
    state.watcher().engine()?.run_planned(plan).await
}
