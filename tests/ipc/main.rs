//! IPC tests: the real app (its commands, capabilities and ACL) on Tauri's mock runtime.
//! The engine is deliberately unreachable here: what is tested is the shell — argument names,
//! the `{kind, message}` error shape, refusal of bad IDs before any engine call, and the ACL.

use serde_json::{json, Value};
use std::sync::Once;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

const DEAD_SOCKET: &str = "/nonexistent/bulkhead-ipc-test.sock";

fn app() -> App<MockRuntime> {
    static ENV: Once = Once::new();
    ENV.call_once(|| std::env::set_var("DOCKER_HOST", format!("unix://{DEAD_SOCKET}")));
    bulkhead_lib::build(mock_builder()).build(bulkhead_lib::context()).expect("the app builds on the mock runtime")
}

fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    WebviewWindowBuilder::new(app, label, WebviewUrl::default()).build().expect("window")
}

fn invoke(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json response"))
}

fn assert_kind(err: &Value, kind: &str) {
    let obj = err.as_object().unwrap_or_else(|| panic!("errors are objects, got {err}"));
    assert_eq!(obj.len(), 2, "exactly kind and message: {err}");
    assert_eq!(obj["kind"], kind, "{err}");
    assert!(obj["message"].as_str().is_some_and(|m| !m.is_empty()), "{err}");
}

#[test]
fn a_container_id_that_climbs_paths_is_refused_before_the_engine() {
    let app = app();
    let w = window(&app, "main");
    for bad in ["../images/x", "..", "abc/../../images/json", "x?force=1", ""] {
        let err = invoke(&w, "container_inspect", json!({ "id": bad })).unwrap_err();
        // invalidArgument, not engineSocketMissing: the ID was parsed before any engine call.
        assert_kind(&err, "invalidArgument");
    }
    let err = invoke(&w, "image_inspect", json!({ "reference": "../../containers/json" })).unwrap_err();
    assert_kind(&err, "invalidArgument");
}

#[test]
fn a_valid_id_reaches_the_engine_and_its_absence_is_a_typed_error() {
    let app = app();
    let w = window(&app, "main");
    let err = invoke(&w, "container_inspect", json!({ "id": "abcd" })).unwrap_err();
    assert_kind(&err, "engineSocketMissing");
    assert!(err["message"].as_str().unwrap().contains(DEAD_SOCKET), "{err}");
    let err = invoke(&w, "system_info", json!({})).unwrap_err();
    assert_kind(&err, "engineSocketMissing");
}

#[test]
fn argument_names_are_the_documented_ones() {
    let app = app();
    let w = window(&app, "main");
    // `id`, not `containerId`: a wrong name is refused by Tauri, not silently defaulted.
    let err = invoke(&w, "container_inspect", json!({ "containerId": "abcd" })).unwrap_err();
    assert!(err.as_str().is_some_and(|m| m.contains("missing required key id")), "{err}");
    let err = invoke(&w, "image_inspect", json!({ "id": "busybox" })).unwrap_err();
    assert!(err.as_str().is_some_and(|m| m.contains("missing required key reference")), "{err}");
}

#[test]
fn engine_status_says_which_endpoint_and_why() {
    let app = app();
    let w = window(&app, "main");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let status = loop {
        let s = invoke(&w, "engine_status", json!({})).expect("engine_status answers");
        if s["state"] == "disconnected" || std::time::Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status["state"], "disconnected", "{status}");
    assert_eq!(status["endpoint"], format!("unix://{DEAD_SOCKET}"));
    assert_kind(&status["error"], "engineSocketMissing");
    for key in ["apiVersion", "engineApiVersion", "engineVersion"] {
        assert!(status.get(key).is_some_and(Value::is_null), "{key} is present and null: {status}");
    }
    assert_eq!(invoke(&w, "retry_connect", json!({})).expect("retry_connect"), Value::Null);
}

#[test]
fn only_the_main_window_may_call_commands() {
    let app = app();
    let other = window(&app, "other");
    for cmd in ["engine_status", "container_inspect", "system_info", "watch_lists"] {
        let err = invoke(&other, cmd, json!({ "id": "abcd" })).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("not allowed"), "{cmd} from a window without a capability must be refused: {text}");
    }
    let main = window(&app, "main");
    assert!(invoke(&main, "engine_status", json!({})).is_ok());
}

#[test]
fn commands_that_do_not_exist_are_refused() {
    let app = app();
    let w = window(&app, "main");
    assert!(invoke(&w, "remove_everything", json!({})).is_err());
    // Tauri's own core commands are not granted (no core:default).
    assert!(invoke(&w, "plugin:window|close", json!({})).is_err());
    assert!(invoke(&w, "plugin:shell|open", json!({ "path": "https://example.com" })).is_err());
}

#[test]
fn navigation_stays_on_the_app_origin() {
    for ok in ["tauri://localhost/index.html", "http://tauri.localhost/"] {
        assert!(bulkhead_lib::is_app_origin(&ok.parse().unwrap()), "{ok}");
    }
    for bad in ["https://evil.example/", "http://localhost:8080/", "file:///etc/passwd", "tauri://evil/"] {
        assert!(!bulkhead_lib::is_app_origin(&bad.parse().unwrap()), "{bad}");
    }
}
