//! The desktop shell: wires core into Tauri. Business logic lives in bulkhead-core.

pub mod alerts;
pub mod cli;
pub mod commands;
pub mod memory;
pub mod sessions;
pub mod state;
pub mod stream;

use bulkhead_core::engines::EngineCatalog;
use state::AppState;
use tauri::{Builder, Manager, Runtime};

/// Builds the app on any runtime: the real one in `run`, the mock one in the IPC tests.
pub fn build<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    // The first engine's watcher starts with the app, before any window, on Tauri's async
    // runtime: the engine picked last time, unless DOCKER_HOST/DOCKER_CONTEXT say otherwise.
    builder
        .manage(AppState::new(EngineCatalog::from_env()))
        // "Browse…" (Build) and "Save log" open native dialogs from Rust; an unregistered
        // plugin panics at its first use.
        .plugin(tauri_plugin_dialog::init())
        // Size, position and maximised state of the window, saved when it closes and restored
        // when it is created. Not its visibility or decorations.
        .plugin(tauri_plugin_window_state::Builder::new().with_state_flags(WINDOW_STATE).build())
        .plugin(navigation_guard())
        // Files dropped on the window: recorded here, from the window's own event, so an
        // upload's paths never come from the webview.
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                if let Some(state) = window.try_state::<AppState>() {
                    state.record_drop(paths.clone());
                }
            }
            tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_) => {
                save_window_state_soon(window.app_handle())
            }
            _ => {}
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            let state = app.state::<AppState>();
            state.on_engine(Box::new(move |w| alerts::start(handle.clone(), w)));
            if let Some(window) = app.get_webview_window("main") {
                commands::prefs::apply_theme(&window, state.prefs_loaded().prefs.theme);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::engine::engine_status,
            commands::engine::retry_connect,
            commands::engine::watch_lists,
            commands::engine::unwatch_lists,
            commands::engine::diagnostics,
            commands::engine::engines_list,
            commands::engine::engine_switch,
            commands::engine::engine_add,
            commands::engine::engine_remove,
            commands::system::system_info,
            commands::containers::container_inspect,
            commands::containers::containers_act,
            commands::containers::container_rename,
            commands::containers::container_top,
            commands::containers::container_stats,
            commands::containers::container_logs,
            commands::containers::stream_stop,
            commands::containers::logs_save,
            commands::containers::open_port,
            commands::containers::open_url,
            commands::exec::exec_open,
            commands::exec::exec_input,
            commands::exec::exec_resize,
            commands::exec::exec_ack,
            commands::exec::exec_close,
            commands::run::run_check,
            commands::run::run_parse,
            commands::run::run_container,
            commands::images::image_inspect,
            commands::images::image_history,
            commands::images::image_build,
            commands::images::image_pull,
            commands::images::image_push,
            commands::images::image_tag,
            commands::images::image_remove,
            commands::images::image_prune_plan,
            commands::images::image_prune,
            commands::images::pick_folder,
            commands::engine::pick_file,
            commands::security::security_audit,
            commands::security::security_review,
            commands::security::security_fix,
            commands::security::security_harden_plan,
            commands::security::security_harden,
            commands::volumes::volume_inspect,
            commands::volumes::volume_create,
            commands::volumes::volume_remove,
            commands::volumes::volume_sizes,
            commands::volumes::volume_prune_plan,
            commands::volumes::volume_prune,
            commands::volumes::volume_browse,
            commands::volumes::volume_save,
            commands::volumes::volume_import,
            commands::compose::project_act,
            commands::compose::project_remove_plan,
            commands::compose::project_remove,
            commands::compose::project_logs,
            commands::compose::compose_tool,
            commands::compose::compose_open,
            commands::compose::compose_review,
            commands::compose::compose_run,
            commands::networks::network_inspect,
            commands::networks::network_members,
            commands::networks::network_create,
            commands::networks::network_remove,
            commands::networks::network_prune_plan,
            commands::networks::network_prune,
            commands::networks::network_connect,
            commands::networks::network_disconnect,
            commands::files::files_browse,
            commands::files::files_changes,
            commands::files::files_read,
            commands::files::files_save,
            commands::files::files_pick,
            commands::files::files_conflicts,
            commands::files::files_upload,
            commands::files::watch_drops,
            commands::files::files_write,
            commands::events::events_watch,
            commands::prefs::prefs_get,
            commands::prefs::prefs_set,
        ])
}

/// What the window-state plugin keeps: not the window's visibility or decorations.
const WINDOW_STATE: tauri_plugin_window_state::StateFlags = tauri_plugin_window_state::StateFlags::SIZE
    .union(tauri_plugin_window_state::StateFlags::POSITION)
    .union(tauri_plugin_window_state::StateFlags::MAXIMIZED);

/// The window-state plugin writes its file only when the app exits normally: a crash, a
/// SIGKILL or a session closed from outside (WebDriver's) would lose a resize. So the state
/// is also written half a second after the window stops moving or resizing.
fn save_window_state_soon<R: Runtime>(app: &tauri::AppHandle<R>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::AppHandleExt;
    static LATEST: AtomicU64 = AtomicU64::new(0);
    let me = LATEST.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if LATEST.load(Ordering::SeqCst) == me {
            if let Err(e) = app.save_window_state(WINDOW_STATE) {
                eprintln!("bulkhead: cannot save the window's size and position: {e}");
            }
        }
    });
}

/// Keeps every webview on the app's own origin: hostile text can't navigate the window away.
fn navigation_guard<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard").on_navigation(|_webview, url| is_app_origin(url)).build()
}

/// The app's own pages: tauri://localhost (Linux, macOS) or http(s)://tauri.localhost (Windows).
pub fn is_app_origin(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// The app's real context — config, capabilities, embedded UI — on any runtime, so the IPC
/// tests run the real ACL on the mock runtime.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Whether WebKitGTK should draw without accelerated compositing: on a machine with no GPU
/// render node (a VM, a remote X display, Xvfb) its compositing runs on a software GL, which
/// on our test VM cost ~140 ms a scroll step (16 ms without it) and ~70 MB more in the web
/// process. The user's own WEBKIT_DISABLE_COMPOSITING_MODE, set either way, is left alone.
pub fn compositing_off_without_gpu(dev_dri: &std::path::Path, env_set: bool) -> bool {
    if env_set {
        return false;
    }
    let has_render_node = std::fs::read_dir(dev_dri)
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false);
    !has_render_node
}

pub fn run() {
    #[cfg(target_os = "linux")]
    if compositing_off_without_gpu(
        std::path::Path::new("/dev/dri"),
        std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some(),
    ) {
        // Before any thread exists and before WebKit reads its environment.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let app = build(tauri::Builder::default()).build(context()).unwrap_or_else(|e| {
        eprintln!("bulkhead: cannot start the window: {e}");
        std::process::exit(1);
    });
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<AppState>() {
                state.close_all();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::compositing_off_without_gpu;

    #[test]
    fn compositing_is_turned_off_only_without_a_render_node_and_never_over_the_users_choice() {
        let dir = std::env::temp_dir().join(format!("bulkhead-dri-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(compositing_off_without_gpu(&dir, false), "no /dev/dri at all");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("card0"), b"").expect("card0");
        assert!(compositing_off_without_gpu(&dir, false), "a card but no render node");
        std::fs::write(dir.join("renderD128"), b"").expect("renderD128");
        assert!(!compositing_off_without_gpu(&dir, false), "a render node: WebKit's default");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!compositing_off_without_gpu(&dir, true), "the user's own setting wins");
    }
}
