//! Lists every command the webview may call. Listing them in the AppManifest is what makes
//! Tauri enforce capabilities for app commands: an unlisted command is not callable, and a
//! listed one only by windows whose capability grants its `allow-…` permission.

/// Every `#[tauri::command]` of the app, once. `generate_handler!` in src/lib.rs lists the same.
const COMMANDS: &[&str] = &[
    "engine_status",
    "retry_connect",
    "watch_lists",
    "unwatch_lists",
    "diagnostics",
    "engines_list",
    "engine_switch",
    "engine_add",
    "engine_remove",
    "system_info",
    "container_inspect",
    "containers_act",
    "container_rename",
    "container_top",
    "container_stats",
    "container_logs",
    "stream_stop",
    "logs_save",
    "open_port",
    "open_url",
    "exec_open",
    "exec_input",
    "exec_resize",
    "exec_ack",
    "exec_close",
    "run_check",
    "run_parse",
    "run_container",
    "image_inspect",
    "image_history",
    "image_build",
    "image_pull",
    "image_push",
    "image_tag",
    "image_remove",
    "image_prune_plan",
    "image_prune",
    "pick_folder",
    "pick_file",
    "security_audit",
    "security_review",
    "security_fix",
    "security_harden_plan",
    "security_harden",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
