//! Thin adapters: parse what the webview sent into core types, call core, return its result.

pub mod containers;
pub mod engine;
pub mod exec;
pub mod images;
pub mod networks;
pub mod run;
pub mod security;
pub mod system;
pub mod volumes;

/// What a native chooser answered, as a path the webview can show; `None` when cancelled.
pub(crate) async fn chosen(
    rx: tokio::sync::oneshot::Receiver<Option<tauri_plugin_dialog::FilePath>>,
    what: &str,
) -> Result<Option<String>, bulkhead_core::Error> {
    match rx.await.ok().flatten() {
        Some(p) => p
            .into_path()
            .map(|p| Some(p.display().to_string()))
            .map_err(|e| bulkhead_core::Error::invalid(format!("Not a usable {what}: {e}"))),
        None => Ok(None),
    }
}
