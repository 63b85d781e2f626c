use crate::state::AppState;
use bulkhead_core::inspect::fleet::{parse_held, FleetReview};
use bulkhead_core::inspect::harden::{HardenOutcome, HardenPlan};
use bulkhead_core::inspect::host::HostRoot;
use bulkhead_core::inspect::report::ContainerReport;
use bulkhead_core::inspect::rules::QuickFix;
use bulkhead_core::{ContainerRef, Error};
use tauri::State;

/// The whole review: the engine and host first, then every container (and its image); what
/// did not change since the last audit is reused. Only the container reviews whose
/// fingerprints are not in `held` (what the window already has) are sent.
#[tauri::command]
pub async fn security_audit(state: State<'_, AppState>, held: Vec<String>) -> Result<FleetReview, Error> {
    let held = parse_held(&held)?;
    let engine = state.watcher().engine()?;
    let report = engine.audit_cached(&state.reviews(), &HostRoot::from_env()).await?;
    let fleet = FleetReview::new(report, &held);
    // The review's burst is over: what it freed goes back to the system (off the async threads).
    drop(tokio::task::spawn_blocking(crate::memory::release));
    Ok(fleet)
}

/// One container's review, with the kernel's values read now.
#[tauri::command]
pub async fn security_review(state: State<'_, AppState>, container: String) -> Result<ContainerReport, Error> {
    let c = ContainerRef::parse(&container)?;
    let engine = state.watcher().engine()?;
    let host = HostRoot::from_env();
    let facts = engine.engine_facts(&host).await?;
    engine.review_container_shared(&c, &host, Some(&facts)).await
}

/// Applies a one-click limit (`docker update`) and returns the review re-read from the kernel.
#[tauri::command]
pub async fn security_fix(
    state: State<'_, AppState>,
    container: String,
    fix: QuickFix,
) -> Result<ContainerReport, Error> {
    let c = ContainerRef::parse(&container)?;
    fix.validate()?;
    let engine = state.watcher().engine()?;
    let host = HostRoot::from_env();
    let facts = engine.engine_facts(&host).await?;
    let r = engine.apply_quick_fix(&c, fix, &host, Some(&facts)).await?;
    state.reviews().keep(&r);
    Ok(r)
}

/// What "Recreate hardened" would change, as a diff.
#[tauri::command]
pub async fn security_harden_plan(state: State<'_, AppState>, container: String) -> Result<HardenPlan, Error> {
    let c = ContainerRef::parse(&container)?;
    state.watcher().engine()?.harden_plan(&c).await
}

/// Recreates the container hardened; on failure the original is back as it was.
#[tauri::command]
pub async fn security_harden(state: State<'_, AppState>, container: String) -> Result<HardenOutcome, Error> {
    let c = ContainerRef::parse(&container)?;
    state.watcher().engine()?.recreate_hardened(&c).await
}
