//! Thin adapters: parse what the webview sent into core types, call core, return its result.

pub mod compose;
pub mod containers;
pub mod engine;
pub mod events;
pub mod exec;
pub mod files;
pub mod images;
pub mod networks;
pub mod prefs;
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

/// A native save dialog shown by the backend (the path never comes from the webview); `None`
/// when the user cancels. `archive`: offer the .tar.gz filter.
pub(crate) async fn save_path<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    title: &str,
    suggested: &str,
    archive: bool,
) -> Result<Option<std::path::PathBuf>, bulkhead_core::Error> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title).set_file_name(suggested);
    if let Ok(home) = app.path().home_dir() {
        dialog = dialog.set_directory(home);
    }
    if archive {
        dialog = dialog.add_filter("tar.gz", &["gz", "tgz"]);
    }
    dialog.save_file(move |p| {
        let _ = tx.send(p);
    });
    Ok(chosen(rx, "file").await?.map(std::path::PathBuf::from))
}
