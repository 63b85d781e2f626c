//! IPC tests: the real app (its commands, capabilities and ACL) on Tauri's mock runtime.
//! The engine is deliberately unreachable here: what is tested is the shell — argument names,
//! the `{kind, message}` error shape, refusal of bad IDs before any engine call, and the ACL.

// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use std::sync::Once;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

const DEAD_SOCKET: &str = "/nonexistent/bulkhead-ipc-test.sock";

fn app() -> App<MockRuntime> {
    static ENV: Once = Once::new();
    ENV.call_once(|| {
        std::env::set_var("DOCKER_HOST", format!("unix://{DEAD_SOCKET}"));
        // The app's own config folder (engines, preferences): never the user's.
        let config = std::env::temp_dir().join(format!("bulkhead-ipc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&config);
        std::env::set_var("XDG_CONFIG_HOME", &config);
    });
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
    for cmd in [
        "engine_status",
        "container_inspect",
        "system_info",
        "watch_lists",
        "security_audit",
        "security_fix",
        "engines_list",
        "engine_switch",
        "engine_add",
        "engine_remove",
    ] {
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

#[test]
fn every_container_command_refuses_a_climbing_id_before_the_engine() {
    let app = app();
    let w = window(&app, "main");
    let calls = [
        ("containers_act", json!({ "ids": ["abcd", "../images/x"], "action": { "action": "kill" } })),
        ("container_rename", json!({ "id": "../x", "name": "fine-name" })),
        ("container_rename", json!({ "id": "abcd", "name": "../evil" })),
        ("container_top", json!({ "id": "a/b" })),
        ("logs_save", json!({ "id": "..", "options": {} })),
        ("security_review", json!({ "container": "../images/x" })),
        ("security_fix", json!({ "container": "../x", "fix": { "kind": "pidsLimit", "limit": 512 } })),
        ("security_harden_plan", json!({ "container": "../../x" })),
        ("security_harden", json!({ "container": "a b" })),
    ];
    for (cmd, args) in calls {
        let err = invoke(&w, cmd, args).unwrap_err();
        assert_kind(&err, "invalidArgument");
    }
}

#[test]
fn the_run_form_is_checked_by_the_backend() {
    let app = app();
    let w = window(&app, "main");
    let check = invoke(
        &w,
        "run_check",
        json!({ "request": { "image": "busybox", "name": "x", "pidsLimit": "0", "ports": [{ "hostIp": "0.0.0.0", "hostPort": "8080", "containerPort": "80", "protocol": "tcp" }] } }),
    )
    .expect("run_check answers");
    let fields: Vec<&str> = check["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["name", "pidsLimit"], "{check}");
    assert_eq!(check["warnings"][0]["field"], "ports.0.hostIp");
    assert!(check["command"].as_str().unwrap().starts_with("docker run -d --name x -p 0.0.0.0:8080:80/tcp"), "{check}");

    // Running re-validates: a request the UI should have refused is refused, typed.
    let err = invoke(&w, "run_container", json!({ "request": { "image": "../../containers/create" } })).unwrap_err();
    assert_kind(&err, "invalidArgument");
    assert!(err["message"].as_str().unwrap().starts_with("image:"), "{err}");

    let parsed = invoke(
        &w,
        "run_parse",
        json!({ "line": "docker run -itd -p 8080:80 --name web --pids-limit 6 --privileged image" }),
    )
    .unwrap();
    assert_eq!(parsed["request"]["name"], "web");
    assert_eq!(parsed["request"]["pidsLimit"], "6");
    assert_eq!(parsed["unsupported"], json!(["--privileged"]));
    assert_kind(&invoke(&w, "run_parse", json!({ "line": "docker ps" })).unwrap_err(), "invalidArgument");
}

#[test]
fn actions_are_tagged_and_a_wrong_shape_is_refused() {
    let app = app();
    let w = window(&app, "main");
    // A well-formed action reaches the engine (dead here).
    let err = invoke(&w, "containers_act", json!({ "ids": ["abcd"], "action": { "action": "stop", "timeout": 3 } }))
        .unwrap_err();
    assert_kind(&err, "engineSocketMissing");
    // An unknown action is refused by deserialisation.
    assert!(invoke(&w, "containers_act", json!({ "ids": ["abcd"], "action": { "action": "explode" } })).is_err());
    assert!(invoke(&w, "open_port", json!({ "port": 70000 })).is_err());
    assert_kind(&invoke(&w, "open_port", json!({ "port": 0 })).unwrap_err(), "invalidArgument");
}

#[test]
fn image_commands_refuse_bad_references_and_bad_builds_before_the_engine() {
    let app = app();
    let w = window(&app, "main");
    for (cmd, args) in [
        ("image_history", json!({ "reference": "../../containers/json" })),
        ("image_remove", json!({ "reference": "a/../b", "force": false })),
        ("image_tag", json!({ "source": "busybox", "target": "Bad Tag" })),
        ("image_prune", json!({ "ids": ["sha256:abc", "../x"] })),
        ("image_build", json!({ "request": { "context": "relative/dir" }, "onEvent": "__CHANNEL__:1" })),
        (
            "image_build",
            json!({ "request": { "context": "/", "dockerfile": "../etc/passwd" }, "onEvent": "__CHANNEL__:1" }),
        ),
    ] {
        let err = invoke(&w, cmd, args).unwrap_err();
        assert_kind(&err, "invalidArgument");
    }
    assert!(
        invoke(&w, "image_prune_plan", json!({ "mode": "everything" })).is_err(),
        "an unknown prune mode is refused"
    );
}

#[test]
fn a_quick_fix_of_the_wrong_shape_and_bad_review_fingerprints_are_refused() {
    let app = app();
    let w = window(&app, "main");
    for fix in [
        json!({ "kind": "privileged" }),
        json!({ "kind": "pidsLimit" }),
        json!({ "kind": "pidsLimit", "limit": "512" }),
    ] {
        let err = invoke(&w, "security_fix", json!({ "container": "abcd", "fix": fix })).unwrap_err();
        assert!(err.to_string().contains("fix"), "{err}");
    }
    // Out of range: refused by the backend before the engine is asked (which is unreachable here).
    let err = invoke(&w, "security_fix", json!({ "container": "abcd", "fix": { "kind": "pidsLimit", "limit": 0 } }))
        .unwrap_err();
    assert_kind(&err, "invalidArgument");
    // The review fingerprints a window says it holds are checked before the engine is asked.
    for held in [json!(["../../etc"]), json!(["0123456789ABCDEF"]), json!([""])] {
        let err = invoke(&w, "security_audit", json!({ "held": held })).unwrap_err();
        assert_kind(&err, "invalidArgument");
    }
    let err = invoke(&w, "security_audit", json!({ "held": ["0123456789abcdef"] })).unwrap_err();
    assert_kind(&err, "engineSocketMissing");
}

/// The engine commands check what they are given before anything is written or switched (only
/// refusals here: a valid engine would be written to this user's docker config).
#[test]
fn engine_commands_refuse_bad_input_before_anything_changes() {
    let app = app();
    let w = window(&app, "main");
    let view = invoke(&w, "engines_list", json!({})).expect("engines_list");
    assert_eq!(view["current"], "default", "DOCKER_HOST is set: the default context, as the CLI does");
    assert_eq!(view["engines"][0]["id"], "default");
    let add = |engine: Value| invoke(&w, "engine_add", json!({ "engine": engine }));
    assert_kind(&add(json!({ "name": "-bad", "host": "unix:///x.sock" })).unwrap_err(), "invalidArgument");
    assert_kind(&add(json!({ "name": "default", "host": "unix:///x.sock" })).unwrap_err(), "invalidArgument");
    assert_kind(&add(json!({ "name": "ok-name", "host": "ftp://x" })).unwrap_err(), "invalidArgument");
    assert_kind(&add(json!({ "name": "ok-name", "host": "ssh://me:pw@box" })).unwrap_err(), "invalidArgument");
    assert_kind(&add(json!({ "name": "ok-name", "host": "tcp://10.9.8.7:2375" })).unwrap_err(), "confirmationNeeded");
    assert!(
        add(json!({ "name": "ok-name", "host": "unix:///x.sock", "shell": "rm -rf /" })).is_err(),
        "unknown fields are refused"
    );
    assert_kind(
        &invoke(&w, "engine_switch", json!({ "id": "no-such-engine", "confirmed": false })).unwrap_err(),
        "notFound",
    );
    assert_kind(&invoke(&w, "engine_remove", json!({ "id": "default" })).unwrap_err(), "invalidArgument");
    let after = invoke(&w, "engines_list", json!({})).expect("engines_list");
    assert_eq!(after["engines"], view["engines"], "nothing was added");
    assert_eq!(after["current"], "default");
}

#[test]
fn volume_and_network_commands_refuse_bad_input_before_the_engine() {
    let app = app();
    let w = window(&app, "main");
    for (cmd, args) in [
        ("volume_inspect", json!({ "name": "../../containers/json" })),
        ("volume_remove", json!({ "name": "a/b" })),
        ("volume_prune", json!({ "names": ["fine", "../x"] })),
        ("volume_create", json!({ "volume": { "name": "../etc" } })),
        ("volume_create", json!({ "volume": { "name": "data", "labels": ["no-equals"] } })),
        ("network_inspect", json!({ "id": "../x" })),
        ("network_members", json!({ "id": "a b" })),
        ("network_remove", json!({ "id": "" })),
        ("network_prune", json!({ "ids": ["abcd", "x/../y"] })),
        ("network_create", json!({ "network": { "name": "web", "subnet": "10.0.0.0/99" } })),
        ("network_create", json!({ "network": { "name": "bridge" } })),
        ("network_connect", json!({ "id": "web", "container": "../x", "request": {} })),
        ("network_connect", json!({ "id": "web", "container": "abcd", "request": { "aliases": ["a b"] } })),
        ("network_connect", json!({ "id": "web", "container": "abcd", "request": { "ipv4": "fd00::1" } })),
        ("network_disconnect", json!({ "id": "web", "container": "a/b" })),
    ] {
        let err = invoke(&w, cmd, args.clone()).unwrap_err();
        assert_kind(&err, "invalidArgument");
    }
    assert!(invoke(&w, "volume_prune_plan", json!({ "mode": "everything" })).is_err(), "an unknown mode is refused");
    let other = window(&app, "other");
    for cmd in ["volume_create", "volume_remove", "network_create", "network_connect", "network_prune"] {
        let err = invoke(&other, cmd, json!({ "name": "x", "id": "x" })).unwrap_err();
        assert!(err.to_string().contains("not allowed"), "{cmd} from another window: {err}");
    }
}

#[test]
fn compose_commands_refuse_bad_input_before_the_engine_or_compose() {
    let app = app();
    let w = window(&app, "main");
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.yaml");
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
    }
    std::fs::write(&bomb, text).unwrap();
    let bomb = bomb.display().to_string();
    for (cmd, args) in [
        ("project_act", json!({ "project": "Shop", "action": "start" })),
        ("project_act", json!({ "project": "../x", "action": "stop" })),
        ("project_remove_plan", json!({ "project": "" })),
        ("project_remove", json!({ "project": "a b", "volumes": true })),
        ("project_logs", json!({ "project": "-x", "options": {}, "onEvent": "__CHANNEL__:1" })),
        ("compose_review", json!({ "path": "relative/compose.yaml" })),
        ("compose_review", json!({ "path": "/proc/self/environ" })),
        ("compose_review", json!({ "path": "/etc/shadow" })),
        ("compose_review", json!({ "path": bomb })),
        (
            "compose_run",
            json!({ "path": "/srv/x.yaml", "project": "Bad Name", "command": "up", "onEvent": "__CHANNEL__:1" }),
        ),
    ] {
        let err = invoke(&w, cmd, args.clone()).unwrap_err();
        assert_kind(&err, "invalidArgument");
    }
    assert!(
        invoke(&w, "project_act", json!({ "project": "shop", "action": "explode" })).is_err(),
        "an unknown action is refused"
    );
    assert!(invoke(
        &w,
        "compose_run",
        json!({ "path": "/x.yml", "project": "p", "command": "rm", "onEvent": "__CHANNEL__:1" })
    )
    .is_err());
    let other = window(&app, "other");
    for cmd in ["project_act", "project_remove", "compose_open", "compose_review", "compose_run", "compose_tool"] {
        let err = invoke(&other, cmd, json!({ "project": "x", "path": "/x" })).unwrap_err();
        assert!(err.to_string().contains("not allowed"), "{cmd} from another window: {err}");
    }
}

#[test]
fn file_and_event_commands_refuse_bad_input_before_the_engine() {
    let app = app();
    let w = window(&app, "main");
    for (cmd, args) in [
        ("files_browse", json!({ "id": "../x", "path": "/" })),
        ("files_browse", json!({ "id": "abcd", "path": "etc" })),
        ("files_browse", json!({ "id": "abcd", "path": "/etc/../../root" })),
        ("files_browse", json!({ "id": "abcd", "path": "/%2E%2E/etc" })),
        ("files_read", json!({ "id": "abcd", "path": "/a%00b" })),
        ("files_read", json!({ "id": "abcd", "path": "/%FF" })),
        ("files_changes", json!({ "id": "a/b" })),
        ("files_write", json!({ "id": "abcd", "path": "relative", "text": "x", "sha256": "00" })),
        ("files_save", json!({ "id": "abcd", "path": "/../x", "onEvent": "__CHANNEL__:1" })),
        ("files_conflicts", json!({ "id": "abcd", "path": "/tmp", "seq": 999_999 })),
        (
            "files_upload",
            json!({ "id": "abcd", "path": "/tmp", "seq": 999_999, "overwrite": false, "onEvent": "__CHANNEL__:1" }),
        ),
        (
            "files_upload",
            json!({ "id": "abcd", "path": "/./tmp", "seq": 1, "overwrite": false, "onEvent": "__CHANNEL__:1" }),
        ),
        ("events_watch", json!({ "query": { "kinds": ["secrets"] }, "onEvent": "__CHANNEL__:1" })),
        ("events_watch", json!({ "query": { "container": "../x" }, "onEvent": "__CHANNEL__:1" })),
        ("events_watch", json!({ "query": { "labels": ["=x"] }, "onEvent": "__CHANNEL__:1" })),
    ] {
        let err = invoke(&w, cmd, args.clone()).unwrap_err();
        assert_kind(&err, "invalidArgument");
    }
    // A drop the backend never recorded cannot be uploaded: paths come from the window's own
    // event only, never from the webview.
    let err = invoke(&w, "files_upload", json!({ "id": "abcd", "path": "/tmp", "paths": ["/etc/shadow"], "seq": 7, "overwrite": false, "onEvent": "__CHANNEL__:1" })).unwrap_err();
    assert_kind(&err, "invalidArgument");
    let other = window(&app, "other");
    for cmd in ["files_browse", "files_write", "files_upload", "files_pick", "events_watch"] {
        let err = invoke(&other, cmd, json!({ "id": "abcd", "path": "/" })).unwrap_err();
        assert!(err.to_string().contains("not allowed"), "{cmd} from another window: {err}");
    }
}

#[test]
fn preferences_are_checked_by_the_backend_and_kept_in_the_apps_config_folder() {
    let app = app();
    let w = window(&app, "main");
    let got = invoke(&w, "prefs_get", json!({})).expect("prefs_get");
    let path = got["path"].as_str().unwrap().to_owned();
    let config = std::env::var("XDG_CONFIG_HOME").unwrap();
    assert!(path.starts_with(&config) && path.ends_with("/bulkhead/preferences.json"), "{path}");
    assert_eq!(got["problems"], json!([]));
    let mut prefs = got["prefs"].clone();
    assert_eq!(prefs["theme"], "system");
    let set = |p: &Value| invoke(&w, "prefs_set", json!({ "prefs": p }));
    for (field, bad) in [
        ("terminalFontSize", json!(200)),
        ("terminalFontSize", json!(-1)),
        ("terminalScrollback", json!(1_000_000)),
        ("stopGraceSeconds", json!(99_999)),
        ("theme", json!("purple")),
        ("density", json!(null)),
        ("lastView", json!("../../etc")),
        ("defaultEngine", json!("")),
        ("defaultEngine", json!("x\u{202e}y\n")),
        ("hiddenColumns", json!({ "containers": ["name"] })),
        ("hiddenColumns", json!({ "secrets": [] })),
    ] {
        let mut p = prefs.clone();
        p[field] = bad.clone();
        let err = set(&p).expect_err(&format!("{field} = {bad} is refused"));
        if err.get("kind").is_some() {
            assert_kind(&err, "invalidArgument");
        }
    }
    let mut extra = prefs.clone();
    extra["shell"] = json!("rm -rf /");
    assert!(set(&extra).is_err(), "unknown fields are refused");
    assert!(!std::path::Path::new(&path).exists(), "nothing refused was written");

    prefs["theme"] = json!("dark");
    prefs["terminalFontSize"] = json!(16);
    prefs["hiddenColumns"] = json!({ "containers": ["ports"] });
    prefs["lastView"] = json!("images");
    assert_eq!(set(&prefs).expect("saved"), prefs);
    assert_eq!(invoke(&w, "prefs_get", json!({})).expect("prefs_get")["prefs"], prefs);
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(on_disk, prefs);
    // Another window may not read or write them.
    let other = window(&app, "other");
    assert!(invoke(&other, "prefs_get", json!({})).is_err());
    assert!(invoke(&other, "prefs_set", json!({ "prefs": prefs })).is_err());
}
