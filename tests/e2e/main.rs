//! End to end: the built `bulkhead` in a real window (WebKitGTK under Xvfb), driven through
//! tauri-driver + WebKitWebDriver, against the real engine.

// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]

use bulkhead_tests::e2e::{answer_file_chooser, wait_for, Answer, Display, Driver};
use bulkhead_tests::*;
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

/// One window at a time: the tests share the display and the machine has two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// With BULKHEAD_SCREENSHOTS=<dir>, saves a PNG of the window under that name.
async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("BULKHEAD_SCREENSHOTS") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).expect("write screenshot");
    }
}

async fn rows(client: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for e in client.find_all(Locator::Css("[data-testid=container-row]")).await.unwrap_or_default() {
        if let Ok(Some(id)) = e.attr("data-id").await {
            ids.push(id);
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_created_with_the_engine_api_appears_in_the_window_within_2s() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;

    let pill = wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    let api = pill.find(Locator::Css("[data-testid=api-version]")).await.unwrap().text().await.unwrap();
    assert!(api.contains(&engine.version().api.to_string()), "the window shows the negotiated API version: {api}");

    let mut cleanup = Cleanup::new();
    let name = unique_name("e2e");
    let t0 = Instant::now();
    let id = create_container(&mut cleanup, &name, &["sleep", "300"], None).await;
    let row = wait_for(&client, &format!("[data-testid=container-row][data-id='{id}']"), Duration::from_secs(2)).await;
    eprintln!("container created → row in the window: {:?}", t0.elapsed());
    let text = row.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(text.contains(&name), "{text}");
    assert!(text.contains(&id[..12]), "the 12-character short ID is shown: {text}");
    assert!(text.contains("created"), "{text}");

    // The filter box: the first 4 characters of the ID are enough.
    let filter = client.find(Locator::Css("[data-testid=container-filter]")).await.unwrap();
    filter.send_keys(&id[..4]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let shown = rows(&client).await;
        if shown.iter().all(|r| r.starts_with(&id[..4])) && shown.contains(&id) {
            break;
        }
        assert!(Instant::now() < deadline, "filtering by {} left {shown:?}", &id[..4]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    filter.clear().await.unwrap();

    // The "Running" toggle hides a created (never started) container.
    client.find(Locator::Css("[data-testid=show-running]")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!rows(&client).await.contains(&id), "a created container is not running");
    client.find(Locator::Css("[data-testid=show-all]")).await.unwrap().click().await.unwrap();
    wait_for(&client, &format!("[data-testid=container-row][data-id='{id}']"), Duration::from_secs(2)).await;

    // Removal outside the app takes the row away.
    drop(cleanup);
    let deadline = Instant::now() + Duration::from_secs(2);
    while rows(&client).await.contains(&id) {
        assert!(Instant::now() < deadline, "the removed container is still listed");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    // The images page lists the fixture image.
    client.find(Locator::Css("[data-testid=nav-images]")).await.unwrap().click().await.unwrap();
    let table = wait_for(&client, "[data-testid=images-table]", Duration::from_secs(5)).await;
    // WebKitWebDriver's visible text skips text inside overflow-clipped cells: read the DOM's.
    let text = table.prop("textContent").await.unwrap().unwrap_or_default();
    screenshot(&client, "images").await;
    assert!(text.contains(FIXTURE_IMAGE), "{text}");

    // The system page shows the storage location.
    client.find(Locator::Css("[data-testid=nav-system]")).await.unwrap().click().await.unwrap();
    let root = wait_for(&client, "[data-testid=docker-root-dir]", Duration::from_secs(5)).await;
    let info = engine.system_info().await.unwrap();
    assert_eq!(root.text().await.unwrap(), info.docker_root_dir);
    screenshot(&client, "system").await;

    client.close().await.unwrap();
}

/// The containers list draws its rows in place (a scroll step changes the text of the same
/// `<tr>`s): a checkbox ticked and so focused, then scrolled away, must not stay focused on the
/// row that now shows another container — a space pressed after the scroll selects nothing new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_focused_row_control_does_not_move_to_another_container_when_the_list_scrolls() {
    let _serial = SERIAL.lock().await;
    let _ = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let prefix = unique_name("e2e-focus");
    create_idle_containers(&prefix, 60, &mut cleanup).await;
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    // Only ours: other test binaries may create containers meanwhile.
    type_into(&client, "[data-testid=container-filter]", &prefix).await;
    wait_js(
        &client,
        "return document.querySelector('[data-testid=containers-table]')?.getAttribute('aria-rowcount')",
        serde_json::json!("61"),
    )
    .await;
    let first = client.find(Locator::Css("[data-testid=container-row]")).await.unwrap();
    let ticked = first.attr("data-id").await.unwrap().expect("a row's id");
    first.find(Locator::Css("[data-testid=row-select]")).await.unwrap().click().await.unwrap();
    wait_for(&client, "[data-testid=bulkbar]", Duration::from_secs(5)).await;
    let focused = "const a = document.activeElement; return a.closest('tr')?.getAttribute('data-id') ?? null";
    assert_eq!(js(&client, focused).await, serde_json::json!(ticked), "the click focused the row's checkbox");

    // Scrolled 20 rows down (the ticked row is no longer drawn; its <tr> shows another one).
    js(&client, "const s = document.querySelector('[data-testid=containers-scroll]'); s.scrollTop = 20 * document.querySelector('[data-testid=container-row]').offsetHeight; return null").await;
    wait_js(
        &client,
        &format!("return !document.querySelector(\"[data-testid=container-row][data-id='{ticked}']\")"),
        serde_json::json!(true),
    )
    .await;
    let now = js(&client, focused).await;
    assert!(now.is_null() || now == serde_json::json!(ticked), "focus stayed on the row of {now} after the scroll");
    // A space pressed now selects nothing else.
    use fantoccini::actions::InputSource;
    let space = fantoccini::actions::KeyActions::new("keyboard".into())
        .then(fantoccini::actions::KeyAction::Down { value: ' ' })
        .then(fantoccini::actions::KeyAction::Up { value: ' ' });
    client.perform_actions(space).await.unwrap();
    // The key's effect, if any, is drawn by the next frame.
    client.execute_async("requestAnimationFrame(() => arguments[0]())", vec![]).await.unwrap();
    let selected = text_content(&client, "[data-testid=bulkbar]").await;
    assert!(selected.starts_with("1 selected"), "after the scroll and a space: {selected}");
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_socket_shows_cannot_reach_the_engine_with_endpoint_and_reason() {
    let _serial = SERIAL.lock().await;
    let display = Display::get();
    let dead = "unix:///nonexistent/bulkhead-e2e.sock";
    let driver = Driver::start(&display, &[("DOCKER_HOST", dead)]);
    let client = driver.session().await;

    let down = wait_for(&client, "[data-testid=engine-down]", Duration::from_secs(30)).await;
    assert_eq!(down.attr("data-kind").await.unwrap().as_deref(), Some("engineSocketMissing"));
    let text = down.text().await.unwrap();
    assert!(text.contains("Cannot reach the engine"), "{text}");
    let endpoint = client.find(Locator::Css("[data-testid=engine-endpoint]")).await.unwrap().text().await.unwrap();
    assert_eq!(endpoint, dead);
    let reason = client.find(Locator::Css("[data-testid=engine-reason]")).await.unwrap().text().await.unwrap();
    assert!(reason.contains("No Docker socket") && reason.contains("DOCKER_HOST"), "{reason}");
    screenshot(&client, "engine-down").await;
    client.close().await.unwrap();
}

/// Types into the element matched by `css`.
async fn type_into(client: &Client, css: &str, text: &str) {
    let e = client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css} is missing"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// The text of the element `css` (textContent: what is clipped counts too).
async fn text_content(client: &Client, css: &str) -> String {
    let e = client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css} is missing"));
    e.prop("textContent").await.unwrap().unwrap_or_default()
}

async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css} is missing")).click().await.unwrap();
}

/// Waits until the row of `id` is in `state` (or, with `None`, gone).
async fn wait_row_state(client: &Client, id: &str, state: Option<&str>, within: Duration) {
    wait_state(client, &format!("[data-testid=container-row][data-id='{id}']"), state, within).await;
}

/// Waits until the element `css` has `data-state` = `state` (or, with `None`, is gone).
async fn wait_state(client: &Client, css: &str, state: Option<&str>, within: Duration) {
    let started = Instant::now();
    loop {
        let now = match client.find(Locator::Css(css)).await {
            Ok(e) => e.attr("data-state").await.ok().flatten(),
            Err(_) => None,
        };
        if now.as_deref() == state {
            return;
        }
        assert!(started.elapsed() < within, "{css}: wanted {state:?}, still {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_form_starts_httpd_with_a_port_and_a_pids_limit_and_the_ui_stops_and_removes_it() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;

    let name = unique_name("e2e-run");
    let mut cleanup = Cleanup::new();
    cleanup.container(&name); // removed by name if the test fails half-way
    let port = if std::net::TcpListener::bind("127.0.0.1:8080").is_ok() { 8080 } else { free_port() };

    click(&client, "[data-testid=run-open]").await;
    wait_for(&client, "[data-testid=run-dialog]", Duration::from_secs(5)).await;
    type_into(&client, "[data-testid=run-image]", FIXTURE_IMAGE).await;
    type_into(&client, "[data-testid=run-name]", &name).await;
    click(&client, "[data-testid=run-add-port]").await;
    type_into(&client, "[data-testid=run-port-0-host]", &port.to_string()).await;
    type_into(&client, "[data-testid=run-port-0-container]", "80").await;
    type_into(&client, "[data-testid=run-pids]", "6").await;
    type_into(
        &client,
        "[data-testid=run-command]",
        "sh -c 'mkdir -p /www && echo hello from the run form > /www/index.html && exec httpd -f -p 80 -h /www'",
    )
    .await;
    click(&client, "[data-testid=run-advanced]").await;
    click(&client, "[data-testid=run-add-label]").await;
    type_into(&client, "[data-testid=run-label-0]", &format!("{TEST_LABEL}={}", std::process::id())).await;

    // A bad value is refused next to its field, by the backend's validation.
    type_into(&client, "[data-testid=run-pids]", "0").await;
    let err = wait_for(&client, "[data-testid='error-pidsLimit']", Duration::from_secs(3)).await;
    assert!(err.text().await.unwrap().contains("0 does not mean unlimited"));
    assert!(!client.find(Locator::Css("[data-testid=run-submit]")).await.unwrap().is_enabled().await.unwrap());
    type_into(&client, "[data-testid=run-pids]", "6").await;

    // The preview is the docker run line the form stands for.
    let deadline = Instant::now() + Duration::from_secs(3);
    let preview = loop {
        let p = text_content(&client, "[data-testid=run-preview]").await;
        if p.contains("--pids-limit 6") || Instant::now() > deadline {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(preview.starts_with("docker run -d --name"), "{preview}");
    assert!(
        preview.contains(&format!("-p 127.0.0.1:{port}:80/tcp")) && preview.contains("--pids-limit 6"),
        "{preview}"
    );
    screenshot(&client, "run-form").await;

    let t0 = Instant::now();
    wait_for(&client, "[data-testid=run-submit]:not([disabled])", Duration::from_secs(3)).await.click().await.unwrap();
    let detail = wait_for(&client, "[data-testid=container-detail]", Duration::from_secs(10)).await;
    let id = detail.attr("data-id").await.unwrap().expect("the detail names the container");
    cleanup.container(&id);
    eprintln!("run submitted → detail page: {:?}", t0.elapsed());

    // It is running, in the list.
    click(&client, "[data-testid=detail-back]").await;
    wait_row_state(&client, &id, Some("running"), Duration::from_secs(5)).await;

    // It serves on 127.0.0.1:<port>, and its host cgroup says pids.max = 6.
    let body = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("the published port answers");
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        let mut b = String::new();
        s.read_to_string(&mut b).await.unwrap();
        b
    };
    assert!(body.contains("hello from the run form"), "{body}");
    let pids_max = ["pids/docker", "pids/system.slice/docker-", "docker", "system.slice/docker-"]
        .iter()
        .find_map(|p| {
            let path = if p.ends_with('-') {
                format!("/sys/fs/cgroup/{p}{id}.scope/pids.max")
            } else {
                format!("/sys/fs/cgroup/{p}/{id}/pids.max")
            };
            std::fs::read_to_string(path).ok()
        })
        .expect("the container's pids cgroup on the host");
    assert_eq!(pids_max.trim(), "6");
    let inspect = engine.inspect_container(&bulkhead_core::ContainerRef::parse(&id).unwrap()).await.unwrap();
    assert_eq!(inspect["HostConfig"]["PortBindings"]["80/tcp"][0]["HostIp"], "127.0.0.1");

    // Its detail page shows live stats with the pids limit.
    click(&client, &format!("[data-testid=container-row][data-id='{id}'] td.name")).await;
    wait_for(&client, "[data-testid=container-detail]", Duration::from_secs(5)).await;
    click(&client, "[data-testid=tab-stats]").await;
    let pids = wait_for(&client, "[data-testid=stats-pids]", Duration::from_secs(15)).await;
    let pids = pids.text().await.unwrap();
    assert!(pids.ends_with("of 6"), "{pids}");
    screenshot(&client, "stats").await;
    click(&client, "[data-testid=detail-back]").await;
    wait_row_state(&client, &id, Some("running"), Duration::from_secs(5)).await;

    // Stop it from the UI, then remove it (confirming).
    let select = format!("[data-testid=container-row][data-id='{id}'] [data-testid=row-select]");
    click(&client, &select).await;
    click(&client, "[data-testid=bulk-stop]").await;
    wait_row_state(&client, &id, Some("exited"), Duration::from_secs(15)).await;
    click(&client, &select).await;
    click(&client, "[data-testid=bulk-remove]").await;
    wait_for(&client, "[data-testid=confirm]", Duration::from_secs(3)).await;
    click(&client, "[data-testid=confirm-ok]").await;
    wait_row_state(&client, &id, None, Duration::from_secs(5)).await;
    assert!(
        docker().inspect_container(&id, None::<bollard::query_parameters::InspectContainerOptions>).await.is_err(),
        "removed from the engine"
    );

    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_render_colours_and_tell_stderr_apart_without_passing_escape_sequences() {
    let _serial = SERIAL.lock().await;
    let _ = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let script = r#"printf '\033[31mred alert\033[0m plain\n'; printf 'clip\033]52;c;ZXZpbA==\007board\n'; echo 'to stderr' >&2; printf '\033[2J\033[Hcleared\n'"#;
    let id = create_container(&mut cleanup, &unique_name("e2e-logs"), &["sh", "-c", script], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();

    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, &format!("[data-testid=container-row][data-id='{id}']"), Duration::from_secs(30)).await;
    click(&client, &format!("[data-testid=container-row][data-id='{id}'] td.name")).await;
    click(&client, "[data-testid=tab-logs]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = client.find_all(Locator::Css("[data-testid=log-row]")).await.unwrap_or_default();
        if rows.len() >= 4 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut texts = Vec::new();
    for r in &rows {
        texts.push(r.prop("textContent").await.unwrap().unwrap_or_default());
    }
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(
        texts.iter().all(|t| !t.contains('\u{1b}') && !t.contains('\u{7}')),
        "no escape sequence reaches the page: {texts:?}"
    );
    assert!(texts.contains(&"red alert plain".to_owned()), "{texts:?}");
    assert!(texts.contains(&"clipboard".to_owned()), "the OSC 52 clipboard write is swallowed: {texts:?}");
    assert!(texts.contains(&"cleared".to_owned()), "{texts:?}");
    let red = client.find(Locator::Css("[data-testid=log-row] span[style*='color']")).await.expect("a coloured span");
    assert!(red.prop("textContent").await.unwrap().unwrap_or_default().contains("red alert"));
    let err = client.find(Locator::Css("[data-testid=log-row].stream-stderr")).await.expect("a stderr row");
    assert_eq!(err.prop("textContent").await.unwrap().as_deref(), Some("to stderr"));
    screenshot(&client, "logs").await;

    // "Download" asks where with the native save dialog; cancelling saves nothing, a path
    // saves the log there (streamed, through an exclusive part file) and the toast says so.
    let dir = tempfile::tempdir().unwrap();
    click(&client, "[data-testid=logs-save]").await;
    answer_file_chooser(&display, "Save the log", Answer::Cancel).await;
    click(&client, "[data-testid=logs-save]").await;
    let target = dir.path().join("saved.log");
    answer_file_chooser(&display, "Save the log", Answer::Path(&target.display().to_string())).await;
    let toast = wait_for(&client, "[data-testid=toast]", Duration::from_secs(10)).await;
    let said = toast.text().await.unwrap();
    assert!(said.contains("Saved 4 lines") && said.contains(&target.display().to_string()), "{said}");
    let saved = std::fs::read_to_string(&target).unwrap();
    assert!(saved.contains("to stderr") && saved.contains("cleared"), "{saved}");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["saved.log"], "one file, no part file left, nothing saved by the cancelled dialog");
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_a_folder_streams_the_log_then_shows_the_new_image_and_its_layers() {
    let _serial = SERIAL.lock().await;
    let _ = engine().await;
    let mut cleanup = Cleanup::new();
    let case = unique_name("case");
    cleanup.images_labelled(&format!("{TEST_LABEL}.case={case}"));
    let dir = std::env::temp_dir().join(unique_name("e2e-ctx"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("/bin/busybox", dir.join("busybox")).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        format!("{BUSYBOX_DOCKERFILE}LABEL {TEST_LABEL}={} {TEST_LABEL}.case={case}\nRUN [\"/bin/sleep\", \"2\"]\nCOPY . /ctx/\n", std::process::id()),
    )
    .unwrap();
    std::fs::write(dir.join(".dockerignore"), "*.secret\n").unwrap();
    std::fs::write(dir.join("x.secret"), "no").unwrap();
    let tag = format!("bulkhead-test/{}:e2e", unique_name("built"));
    cleanup.image(&tag);

    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    click(&client, "[data-testid=nav-images]").await;
    click(&client, "[data-testid=build-open]").await;
    // The folder is picked the way a user picks it: "Choose…" opens the native GTK chooser
    // (the dialog plugin must be registered, or this panics), answered with the keyboard.
    click(&client, "[data-testid=build-browse]").await;
    answer_file_chooser(&display, "Choose the folder to build", Answer::Folder(&dir.display().to_string())).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let picked =
            client.find(Locator::Css("[data-testid=build-context]")).await.unwrap().prop("value").await.unwrap();
        if picked.as_deref() == Some(&dir.display().to_string()) {
            break;
        }
        assert!(Instant::now() < deadline, "the chosen folder did not reach the form: {picked:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    type_into(&client, "[data-testid=build-tag-0]", &tag).await;
    click(&client, "[data-testid=build-start]").await;

    // The log streams while the build runs, with step progress.
    let step = wait_for(&client, "[data-testid=build-step]", Duration::from_secs(30)).await;
    assert!(step.text().await.unwrap().starts_with("Step "), "step progress is shown");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = client.find(Locator::Css("[data-testid=build-log]")).await.ok();
        let text = match log {
            Some(l) => l.prop("textContent").await.unwrap().unwrap_or_default(),
            None => String::new(),
        };
        if text.contains("sleep") {
            break;
        }
        assert!(Instant::now() < deadline, "the build log did not show the running step: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    screenshot(&client, "build").await;

    // Done: the new image is selected and its layers shown.
    let detail = wait_for(&client, "[data-testid=image-detail]", Duration::from_secs(60)).await;
    let id = detail.attr("data-id").await.unwrap().expect("image id");
    cleanup.image(&id);
    wait_for(&client, "[data-testid=image-history] [data-testid=history-row]", Duration::from_secs(10)).await;
    let history = client
        .find(Locator::Css("[data-testid=image-history]"))
        .await
        .unwrap()
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(history.contains("COPY") && history.contains("sleep"), "{history}");
    screenshot(&client, "image-history").await;
    click(&client, "[data-testid=image-back]").await;
    let row = wait_for(&client, &format!("[data-testid=image-row][data-id='{id}']"), Duration::from_secs(5)).await;
    assert!(row.prop("textContent").await.unwrap().unwrap_or_default().contains(&tag));
    let _ = std::fs::remove_dir_all(&dir);
    client.close().await.unwrap();
}

/// The text of a terminal's buffer, read through xterm.js (its DOM rows join without newlines).
async fn terminal_text(client: &Client, tab: &str) -> String {
    terminal_tail(client, tab, 1_000_000).await
}

/// The last `n` lines of a terminal's buffer.
async fn terminal_tail(client: &Client, tab: &str, n: usize) -> String {
    let script = "const t = window.__bulkheadTerminals && window.__bulkheadTerminals.get(arguments[0]); if (!t) return ''; const b = t.buffer.active; const out = []; for (let i = Math.max(0, b.length - arguments[1]); i < b.length; i++) { const l = b.getLine(i); if (l) out.push(l.translateToString(true)); } return out.join(String.fromCharCode(10));";
    client
        .execute(script, vec![serde_json::json!(tab), serde_json::json!(n)])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Opens a terminal on a container from its row; the terminal's element and tab id once open.
/// Waits until the System page's diagnostic `testid` reads `want` (the page reads the backend
/// once when it opens, so it is opened again until then); fails after 30 s with `what`.
async fn diag_until(client: &Client, testid: &str, want: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        click(client, "[data-testid=nav-system]").await;
        let got =
            wait_for(client, &format!("[data-testid={testid}]"), Duration::from_secs(10)).await.text().await.unwrap();
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {testid} still reads {got}, not {want}");
        click(client, "[data-testid=nav-containers]").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn open_terminal(client: &Client, id: &str) -> (fantoccini::elements::Element, String) {
    let button = format!("[data-testid=container-row][data-id='{id}'] [data-testid=row-terminal]");
    wait_for(client, &button, Duration::from_secs(30)).await.click().await.unwrap();
    wait_for(client, "[data-testid=term-tab][data-state=open]", Duration::from_secs(15)).await;
    let host = wait_for(client, "[data-testid=terminal]", Duration::from_secs(5)).await;
    let tab = host.attr("data-tab").await.unwrap().expect("tab id");
    (host, tab)
}

async fn wait_terminal(client: &Client, tab: &str, within: Duration, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + within;
    loop {
        let text = terminal_text(client, tab).await;
        if pred(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "the terminal did not show it: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What one ^C in a `yes` flood did in the window.
struct CtrlC {
    /// From the keystroke reaching xterm.js to the prompt drawn, measured inside the page.
    in_page_ms: f64,
    /// The same, through WebDriver (dispatching a key into a busy page and polling included).
    webdriver: Duration,
    /// Bytes xterm.js drew between the keystroke and the prompt.
    drawn_after: f64,
    /// How long the keystroke took to reach the backend, as the page measured it.
    input_ms: String,
    /// Output bytes the session skipped for this ^C.
    skipped: u64,
}

impl std::fmt::Display for CtrlC {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Ctrl-C during a flood → prompt back in {:.0} ms inside the page ({:?} through WebDriver), {:.0} bytes drawn meanwhile, {} bytes skipped, the keystroke reached the backend in {} ms",
            self.in_page_ms, self.webdriver, self.drawn_after, self.skipped, self.input_ms
        )
    }
}

/// The skipped-output count the terminal's tab shows.
async fn skipped(client: &Client) -> u64 {
    let tab = wait_for(client, "[data-testid=term-tab]", Duration::from_secs(5)).await;
    tab.attr("data-skipped").await.unwrap().and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Starts `yes flood` at the shell's prompt, waits for the flood, types ^C and waits for the
/// prompt (busybox's "/ # ") to come back.
async fn ctrl_c_in_a_flood(client: &Client, tab_id: &str, input: &fantoccini::elements::Element) -> CtrlC {
    let before = skipped(client).await;
    let host = wait_for(client, "[data-testid=terminal]", Duration::from_secs(5)).await;
    let drawn = || async { host.attr("data-drawn").await.unwrap().unwrap_or_default().parse::<u64>().unwrap_or(0) };
    let drawn_before = drawn().await;
    input.send_keys("yes flood\n").await.unwrap();
    // The flood is on when half a megabyte of it has been drawn (the scrollback may already be
    // full of an earlier flood's lines).
    let deadline = Instant::now() + Duration::from_secs(20);
    while drawn().await < drawn_before + 512 * 1024 {
        assert!(Instant::now() < deadline, "no flood drawn");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(terminal_tail(client, tab_id, 5).await.contains("flood"), "the flood is on screen");
    // Measure inside the page too: from the keystroke reaching xterm.js to the prompt drawn
    // (what WebDriver adds — dispatching a key into a busy page, polling — is left out).
    let hook = "const t = window.__bulkheadTerminals.get(arguments[0]); window.__lat = {}; \
        const drawn = () => Number(document.querySelector('[data-testid=terminal]').dataset.drawn); \
        const a = t.onData(d => { if (d.includes(String.fromCharCode(3)) && !window.__lat.key) { window.__lat.key = performance.now(); window.__lat.d0 = drawn(); } }); \
        const b = t.onWriteParsed(() => { if (!window.__lat.key || window.__lat.prompt) return; const buf = t.buffer.active; \
          for (let i = buf.length - 1; i >= Math.max(0, buf.length - 5); i--) { const l = buf.getLine(i).translateToString(true).trim(); \
            if (l === '') continue; if (l === '/ #') { window.__lat.prompt = performance.now(); window.__lat.d1 = drawn(); window.__lat.input = document.querySelector('[data-testid=terminal]').dataset.inputMs; a.dispose(); b.dispose(); } break; } });";
    client.execute(hook, vec![serde_json::json!(tab_id)]).await.unwrap();
    let t0 = Instant::now();
    input.send_keys("\u{E009}c\u{E000}").await.unwrap();
    // The prompt is back when the last line of the screen is busybox's "/ # ".
    loop {
        let tail = terminal_tail(client, tab_id, 5).await;
        if tail.lines().rfind(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_end() == "/ #") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "no prompt after Ctrl-C: {tail}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let webdriver = t0.elapsed();
    let lat = client.execute("return window.__lat", vec![]).await.unwrap();
    let num = |k: &str| lat.get(k).and_then(|v| v.as_f64());
    let (Some(key), Some(prompt)) = (num("key"), num("prompt")) else {
        panic!("the page saw the keystroke and the prompt: {lat}")
    };
    // The tab's count follows the session's event, which may trail the prompt a little.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut after = skipped(client).await;
    while after == before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        after = skipped(client).await;
    }
    CtrlC {
        in_page_ms: prompt - key,
        webdriver,
        drawn_after: num("d1").unwrap_or(0.0) - num("d0").unwrap_or(0.0),
        input_ms: lat.get("input").and_then(|v| v.as_str()).unwrap_or("?").to_owned(),
        skipped: after - before,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_echoes_stops_a_flood_on_ctrl_c_and_swallows_clipboard_writes() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let id = create_container(&mut cleanup, &unique_name("e2e-term"), &["sleep", "600"], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();

    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    let (host, tab_id) = open_terminal(&client, &id).await;
    let input = client.find(Locator::Css(".xterm-helper-textarea")).await.expect("xterm's input");

    input.send_keys("echo hel''lo\n").await.unwrap();
    wait_terminal(&client, &tab_id, Duration::from_secs(20), |t| t.lines().any(|l| l.trim_end() == "hello")).await;

    // ^C in a flood: the mechanism engages (output the engine had buffered is skipped and the
    // tab says so) and the prompt comes back. How fast is `make bench`'s business.
    let flood = ctrl_c_in_a_flood(&client, &tab_id, &input).await;
    eprintln!("{flood}");
    assert!(flood.skipped > 0, "output was skipped after ^C: {flood}");
    let tab = wait_for(&client, "[data-testid=term-tab][data-state=open]", Duration::from_secs(10)).await;
    let label = tab.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(label.contains("skipped after ^C"), "the tab says output was skipped: {label}");
    input.send_keys("echo after-$((40+2))\n").await.unwrap();
    wait_terminal(&client, &tab_id, Duration::from_secs(10), |t| t.lines().any(|l| l.trim_end() == "after-42")).await;

    input.send_keys("printf '\\033]52;c;ZXZpbA==\\007osc-done\\n'\n").await.unwrap();
    wait_terminal(&client, &tab_id, Duration::from_secs(20), |t| t.lines().any(|l| l.trim_end() == "osc-done")).await;
    let swallowed = host.attr("data-osc52-swallowed").await.unwrap().unwrap_or_default();
    assert_eq!(swallowed, "1", "the clipboard write was swallowed, not performed");
    screenshot(&client, "terminal").await;

    // The backend holds one session now.
    diag_until(&client, "diag-sessions", "1", "one terminal session").await;
    click(&client, "[data-testid=nav-terminals]").await;
    // The System page says which renderer draws the terminals (WebGL where the webview has it).
    let renderer = host.attr("data-renderer").await.unwrap().unwrap_or_default();
    click(&client, "[data-testid=nav-system]").await;
    let said = wait_for(&client, "[data-testid=diag-renderer]", Duration::from_secs(5)).await.text().await.unwrap();
    eprintln!("terminal renderer: {renderer} ({said})");
    assert!(
        (renderer == "webgl" && said == "WebGL") || (renderer == "dom" && said.starts_with("DOM")),
        "{renderer} vs {said}"
    );
    click(&client, "[data-testid=nav-terminals]").await;

    input.send_keys("exit 7\n").await.unwrap();
    let closed = wait_for(&client, "[data-testid=term-tab][data-state=exited]", Duration::from_secs(20)).await;
    assert!(closed.prop("textContent").await.unwrap().unwrap_or_default().contains("exit 7"));

    // A second terminal, closed with its tab while the shell runs: nothing stays open.
    click(&client, "[data-testid=nav-containers]").await;
    wait_for(
        &client,
        &format!("[data-testid=container-row][data-id='{id}'] [data-testid=row-terminal]"),
        Duration::from_secs(5),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_for(&client, "[data-testid=term-tab][data-state=open]", Duration::from_secs(15)).await;
    diag_until(&client, "diag-sessions", "1", "one session: the exited one is not counted").await;
    click(&client, "[data-testid=nav-terminals]").await;
    for close in client.find_all(Locator::Css("[data-testid=term-close]")).await.unwrap() {
        close.click().await.unwrap();
    }
    // Closing a tab ends its session on the backend a moment later (the close is a call of its
    // own): wait for it, never read once.
    diag_until(&client, "diag-sessions", "0", "no session once the tabs closed").await;
    // And every task that served them (input and output of both sessions) has ended.
    diag_until(&client, "diag-tasks", "0", "no terminal task once the tabs closed").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let procs = engine.top(&bulkhead_core::ContainerRef::parse(&id).unwrap()).await.unwrap().processes.len();
        if procs == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "{procs} processes still run in the container after the tabs closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.close().await.unwrap();
}

/// An attach terminal closed with its tab detaches: the container's `-it sh` keeps running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_attach_terminal_detaches_and_the_container_keeps_running() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let id = start_interactive_sh(&mut cleanup, &unique_name("e2e-attach")).await;

    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, &format!("[data-testid=container-row][data-id='{id}']"), Duration::from_secs(30)).await;
    click(&client, &format!("[data-testid=container-row][data-id='{id}'] td.name")).await;
    wait_for(&client, "[data-testid=detail-attach]", Duration::from_secs(10)).await.click().await.unwrap();
    wait_for(&client, "[data-testid=term-tab][data-state=open]", Duration::from_secs(15)).await;
    let host = wait_for(&client, "[data-testid=terminal]", Duration::from_secs(5)).await;
    let tab = host.attr("data-tab").await.unwrap().expect("tab id");
    let input = client.find(Locator::Css(".xterm-helper-textarea")).await.expect("xterm's input");
    input.send_keys("X=41; echo attached-$((1+1))\n").await.unwrap();
    wait_terminal(&client, &tab, Duration::from_secs(5), |t| t.lines().any(|l| l.trim_end() == "attached-2")).await;

    // Close the tab the way a user does; the backend's session and its tasks end.
    click(&client, "[data-testid=term-close]").await;
    click(&client, "[data-testid=nav-system]").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let sessions =
            wait_for(&client, "[data-testid=diag-sessions]", Duration::from_secs(5)).await.text().await.unwrap();
        let tasks = wait_for(&client, "[data-testid=diag-tasks]", Duration::from_secs(5)).await.text().await.unwrap();
        if sessions == "0" && tasks == "0" {
            break;
        }
        assert!(Instant::now() < deadline, "{sessions} sessions, {tasks} tasks after the tab closed");
        click(&client, "[data-testid=nav-containers]").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        click(&client, "[data-testid=nav-system]").await;
    }
    // The container still runs (watched for a second: a hang-up, ^C ^D, ends this `-it sh`
    // and the container within milliseconds), and the same shell answers: it still knows X.
    let c = bulkhead_core::ContainerRef::parse(&id).unwrap();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let state = engine.container_summary(&c).await.unwrap().unwrap().state;
        assert_eq!(state, bulkhead_core::model::ContainerState::Running, "closing the tab stopped the container");
    }
    let mut again = engine.attach(&c, 80, 24).await.expect("the container still runs");
    again.input.write(b"echo still-$((X+1))\n").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("still-42") {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, again.output.next()).await {
            Ok(Ok(Some(b))) => seen.extend_from_slice(&b),
            other => {
                panic!("the shell did not answer after the tab closed: {other:?}, {}", String::from_utf8_lossy(&seen))
            }
        }
    }
    client.close().await.unwrap();
}

/// The security review in the window: a container without a pids limit shows the finding, one
/// click sets the limit, and the kernel's pids.max changes (read from the cgroup file itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pids_finding_is_fixed_in_one_click_and_the_kernel_shows_it() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let id = create_container(&mut cleanup, &unique_name("e2e-sec"), &["sleep", "300"], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let c = bulkhead_core::ContainerRef::parse(&id).unwrap();
    let host = bulkhead_core::inspect::host::HostRoot::default();
    let pids_file =
        engine.review_container(&c, &host, None).await.unwrap().kernel.cgroup.known().unwrap().pids_file.clone();
    assert_eq!(std::fs::read_to_string(&pids_file).unwrap().trim(), "max");

    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    // Every row carries a grade once the review has run.
    let badge = wait_for(
        &client,
        &format!("[data-testid=container-row][data-id='{id}'] [data-testid=grade]"),
        Duration::from_secs(30),
    )
    .await;
    let grade = badge.attr("data-grade").await.unwrap().unwrap_or_default();
    assert!(["C", "D", "F"].contains(&grade.as_str()), "an unlimited root container is not well isolated: {grade}");

    click(&client, &format!("[data-testid=container-row][data-id='{id}'] td.name")).await;
    click(&client, "[data-testid=tab-security]").await;
    wait_for(&client, "[data-testid=gauge-pids][data-max=max]", Duration::from_secs(10)).await;
    let finding =
        wait_for(&client, "[data-testid=finding][data-rule='container.no-pids-limit']", Duration::from_secs(10)).await;
    finding.find(Locator::Css("summary")).await.unwrap().click().await.unwrap();
    let text = finding.text().await.unwrap();
    assert!(text.contains("pids.max = max") && text.contains("5.29"), "evidence and the CIS reference: {text}");
    // The namespace picture: the pid namespace is the container's own, not the host's.
    let pid_ns = wait_for(&client, "[data-testid=ns-pid]", Duration::from_secs(5)).await;
    assert_eq!(pid_ns.attr("data-shared").await.unwrap().as_deref(), Some("false"));
    screenshot(&client, "security-tab").await;

    finding.find(Locator::Css("[data-testid=quick-fix]")).await.unwrap().click().await.unwrap();
    let max = wait_for(&client, "[data-testid=gauge-pids][data-max='512']", Duration::from_secs(10)).await;
    let shown = max.find(Locator::Css("[data-testid=kernel-pids-max]")).await.unwrap().text().await.unwrap();
    assert_eq!(shown, "512");
    assert_eq!(std::fs::read_to_string(&pids_file).unwrap().trim(), "512", "the kernel's own file says so");
    assert!(
        client.find(Locator::Css("[data-testid=finding][data-rule='container.no-pids-limit']")).await.is_err(),
        "the finding is gone after the fix"
    );

    click(&client, "[data-testid=nav-security]").await;
    wait_for(&client, &format!("[data-testid=risk-row][data-id='{id}']"), Duration::from_secs(15)).await;
    wait_for(&client, "[data-testid=posture]", Duration::from_secs(5)).await;
    screenshot(&client, "security").await;

    // A container that starts with the host's PID namespace raises an alert.
    let risky = unique_name("e2e-alert");
    let rid = create_container(
        &mut cleanup,
        &risky,
        &["sleep", "300"],
        Some(bollard::models::HostConfig { pid_mode: Some("host".into()), ..Default::default() }),
    )
    .await;
    docker().start_container(&rid, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        click(&client, "[data-testid=nav-system]").await;
        let alerts = wait_for(&client, "[data-testid=alerts]", Duration::from_secs(5)).await.text().await.unwrap();
        if alerts.contains(&risky) {
            assert!(alerts.contains("process namespace"), "{alerts}");
            break;
        }
        assert!(Instant::now() < deadline, "no alert for {risky}: {alerts}");
        click(&client, "[data-testid=nav-security]").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Recreate it hardened: the diff first, then the same name with its own PID namespace.
    click(&client, "[data-testid=nav-containers]").await;
    click(&client, &format!("[data-testid=container-row][data-id='{rid}'] td.name")).await;
    click(&client, "[data-testid=tab-security]").await;
    wait_for(&client, "[data-testid=ns-pid][data-shared=true]", Duration::from_secs(10)).await;
    click(&client, "[data-testid=harden-open]").await;
    let plan = wait_for(&client, "[data-testid=harden-plan]", Duration::from_secs(10)).await;
    let diff = plan.text().await.unwrap();
    assert!(diff.contains("--pid") && diff.contains("--pids-limit") && diff.contains("no-new-privileges"), "{diff}");
    screenshot(&client, "harden-plan").await;
    click(&client, "[data-testid=harden-confirm]").await;
    // The window moves to the new container: same name, its own PID namespace.
    wait_for(&client, "[data-testid=ns-pid][data-shared=false]", Duration::from_secs(20)).await;
    let all = docker()
        .list_containers(Some(bollard::query_parameters::ListContainersOptions { all: true, ..Default::default() }))
        .await
        .unwrap();
    let new = all
        .iter()
        .find(|c| c.names.as_ref().is_some_and(|n| n.iter().any(|n| n == &format!("/{risky}"))))
        .expect("same name");
    let new_id = new.id.clone().unwrap_or_default();
    cleanup.container(&new_id);
    assert_ne!(new_id, rid, "a new container");
    assert_eq!(new.state.as_ref().map(|s| s.to_string()).as_deref(), Some("running"));
    client.close().await.unwrap();
}

/// `make bench`: output into xterm.js in the real window vs the same output through core alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `make bench`"]
async fn bench_terminal_throughput_into_xterm() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let id = create_container(&mut cleanup, &unique_name("e2e-bench"), &["sleep", "600"], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let size: u64 = 20_000_000;
    let cmd = format!("stty raw -echo; head -c {size} /dev/zero | tr '\\\\000' x; stty sane");

    // Through core alone (the baseline).
    let t = Instant::now();
    let mut s = engine
        .exec(
            &bulkhead_core::ContainerRef::parse(&id).unwrap(),
            &bulkhead_core::exec::ExecRequest { command: format!("sh -c \"{cmd}\""), ..Default::default() },
        )
        .await
        .unwrap();
    let mut n = 0u64;
    while let Some(b) = s.output.next().await.unwrap() {
        n += b.len() as u64;
    }
    let core_mb_s = n as f64 / 1e6 / t.elapsed().as_secs_f64();
    assert!(n >= size);

    // Into xterm.js in the window: every byte drawn, none dropped.
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    let (host, tab) = open_terminal(&client, &id).await;
    wait_terminal(&client, &tab, Duration::from_secs(5), |t| t.contains("/ #")).await;
    let before: u64 = host.attr("data-drawn").await.unwrap().unwrap_or_default().parse().unwrap_or(0);
    let input = client.find(Locator::Css(".xterm-helper-textarea")).await.unwrap();
    input.send_keys(&format!("{cmd}\n")).await.unwrap();
    let t = Instant::now();
    let drawn = loop {
        let d: u64 = host.attr("data-drawn").await.unwrap().unwrap_or_default().parse().unwrap_or(0);
        if d >= before + size {
            break d - before;
        }
        assert!(t.elapsed() < Duration::from_secs(300), "only {} of {size} bytes drawn", d - before);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ui_mb_s = drawn as f64 / 1e6 / t.elapsed().as_secs_f64();
    let discarded = skipped(&client).await;
    let renderer = host.attr("data-renderer").await.unwrap().unwrap_or_default();
    // The same bytes parsed by xterm.js alone, in the same page: a Terminal never opened has no
    // renderer (what @xterm/headless does).
    let parse = "const [tab, size, done] = arguments; const T = window.__bulkheadTerminals.get(tab).constructor; \
        const h = new T({ cols: 80, rows: 24, scrollback: 5000 }); const chunk = new Uint8Array(65536).fill(120); \
        const t0 = performance.now(); let left = size; \
        const next = () => { if (left <= 0) return; const n = Math.min(left, chunk.length); left -= n; \
          h.write(n === chunk.length ? chunk : chunk.subarray(0, n), left <= 0 ? () => { const ms = performance.now() - t0; h.dispose(); done(ms); } : undefined); \
          if (left > 0) setTimeout(next, 0); }; next();";
    let parse_ms = client
        .execute_async(parse, vec![serde_json::json!(tab), serde_json::json!(size)])
        .await
        .unwrap()
        .as_f64()
        .expect("parse time");
    let parse_mb_s = size as f64 / 1e6 / (parse_ms / 1000.0);
    println!(
        "bench terminal-into-xterm-20mb: {ui_mb_s:.1} MB/s ({renderer} renderer) vs {parse_mb_s:.1} MB/s (xterm.js parsing the same bytes without a renderer, same page) = {:.3}x (higher is better; target ≥ 0.7x), core alone {core_mb_s:.1} MB/s, {drawn} bytes drawn of {size} sent, {discarded} discarded",
        ui_mb_s / parse_mb_s,
    );

    // ^C in a `yes` flood, five times in the same terminal: how long until the prompt is back.
    wait_terminal(&client, &tab, Duration::from_secs(10), |t| {
        t.lines().rfind(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_end() == "/ #")
    })
    .await;
    let input = client.find(Locator::Css(".xterm-helper-textarea")).await.unwrap();
    let mut runs = Vec::new();
    for _ in 0..5 {
        let r = ctrl_c_in_a_flood(&client, &tab, &input).await;
        eprintln!("bench: {r}");
        runs.push(r);
    }
    let mut ms: Vec<f64> = runs.iter().map(|r| r.in_page_ms).collect();
    ms.sort_by(f64::total_cmp);
    let mut drawn: Vec<f64> = runs.iter().map(|r| r.drawn_after).collect();
    drawn.sort_by(f64::total_cmp);
    println!(
        "bench ctrl-c-in-a-flood-window: {:.0} ms median ({:.0}–{:.0} ms over {} runs) from the keystroke in xterm.js to the prompt drawn, {:.0} bytes drawn meanwhile (median), {} bytes skipped in all (lower is better; target ≤ 300 ms)",
        ms[ms.len() / 2],
        ms[0],
        ms[ms.len() - 1],
        ms.len(),
        drawn[drawn.len() / 2],
        runs.iter().map(|r| r.skipped).sum::<u64>(),
    );
    client.close().await.unwrap();
}

/// The engine switcher in the real window: the first engine (the local socket) and a second,
/// real dockerd reached over SSH (a docker context); each shows its own containers, a terminal
/// works over SSH, switching back is instant, the choice survives a restart of the app, and an
/// engine added through "Add an engine…" is a docker context the CLI uses — removed after a
/// confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_switch_in_the_window_with_their_own_containers_a_terminal_over_ssh_and_a_kept_choice() {
    use bulkhead_core::context::{ContextStore, NewContext};
    let _serial = SERIAL.lock().await;
    let _ = engine().await;
    fixture_image().await;
    let Some(sshd) = bulkhead_tests::ssh::Sshd::start() else { return };
    let Some(second) = bulkhead_tests::dockerd::SecondEngine::start().await else { return };
    let mut cleanup = Cleanup::new();
    let first_id = create_container(&mut cleanup, &unique_name("e2e-first"), &["sleep", "300"], None).await;
    let second_id = second.run_sleeper(&unique_name("e2e-second"));

    let config = tempfile::tempdir().unwrap();
    let docker_config = config.path().join("docker");
    let store = ContextStore::new(&docker_config);
    store
        .create(&NewContext {
            name: "sshbox".into(),
            description: "the second engine, over ssh".into(),
            host: format!("ssh://bulkhead-ok{}", second.socket.display()),
            tls: None,
            skip_tls_verify: false,
        })
        .unwrap();
    // And Podman, where the switcher looks for a rootless one ($XDG_RUNTIME_DIR/podman/podman.sock).
    let runtime = tempfile::tempdir().unwrap();
    let Some(podman) = bulkhead_tests::podman::Podman::start(Some(runtime.path())).await else { return };
    let podman_id =
        run_sleeper_on(&podman.host(), bulkhead_tests::podman::FIXTURE_IN_PODMAN, &unique_name("e2e-podman"));
    let podman_engine = format!("podman:{}", podman.socket.display());
    let (dc, xdg, ssh, run) = (
        docker_config.display().to_string(),
        config.path().join("xdg").display().to_string(),
        sshd.config().display().to_string(),
        runtime.path().display().to_string(),
    );
    let env = [
        ("DOCKER_CONFIG", dc.as_str()),
        ("XDG_CONFIG_HOME", xdg.as_str()),
        ("BULKHEAD_SSH_CONFIG", ssh.as_str()),
        ("XDG_RUNTIME_DIR", run.as_str()),
    ];
    let display = Display::get();
    let driver = Driver::start(&display, &env);
    let client = driver.session().await;
    let row = |id: &str| format!("[data-testid=container-row][data-id='{id}']");
    let pill = |engine: &str| format!("[data-testid=engine-pill][data-state=connected][data-engine='{engine}']");
    let switch_to = |id: &str| {
        let client = client.clone();
        let id = id.to_owned();
        async move {
            click(&client, "[data-testid=engine-pill]").await;
            wait_for(
                &client,
                &format!("[data-testid=engine-item][data-id='{id}'] .engine-pick"),
                Duration::from_secs(10),
            )
            .await
            .click()
            .await
            .unwrap();
        }
    };

    // It starts on the docker CLI's choice (default): the first engine's container.
    wait_for(&client, &pill("default"), Duration::from_secs(30)).await;
    wait_for(&client, &row(&first_id), Duration::from_secs(10)).await;
    assert!(!rows(&client).await.contains(&second_id));

    // Over SSH to the second engine: only its containers, and the view says which engine.
    switch_to("sshbox").await;
    wait_for(&client, &pill("sshbox"), Duration::from_secs(60)).await;
    wait_for(&client, &row(&second_id), Duration::from_secs(10)).await;
    assert!(!rows(&client).await.contains(&first_id), "the first engine's container is not shown under sshbox");
    let banner = wait_for(&client, "[data-testid=view-engine][data-engine=sshbox]", Duration::from_secs(5)).await;
    assert!(banner.text().await.unwrap().contains("ssh://bulkhead-ok"), "the view names its engine");
    click(&client, "[data-testid=engine-pill]").await;
    wait_for(&client, "[data-testid=engine-menu]", Duration::from_secs(5)).await;
    screenshot(&client, "engine-switcher").await;
    click(&client, "[data-testid=engine-pill]").await;

    // A terminal over SSH in the second engine's container.
    let (_, tab) = open_terminal(&client, &second_id).await;
    let input = client.find(Locator::Css(".xterm-helper-textarea")).await.expect("xterm's input");
    input.send_keys("echo over-ssh-$((40+2))\n").await.unwrap();
    wait_terminal(&client, &tab, Duration::from_secs(30), |t| t.lines().any(|l| l.trim_end() == "over-ssh-42")).await;

    // Podman, found on this machine: its own container, and the pill says Podman.
    click(&client, "[data-testid=nav-containers]").await;
    switch_to(&podman_engine).await;
    wait_for(&client, &pill(&podman_engine), Duration::from_secs(30)).await;
    wait_for(&client, &row(&podman_id), Duration::from_secs(10)).await;
    let product =
        client.find(Locator::Css("[data-testid=engine-product]")).await.unwrap().prop("textContent").await.unwrap();
    assert!(product.unwrap_or_default().starts_with("Podman"), "the pill names Podman");
    assert!(!rows(&client).await.contains(&first_id) && !rows(&client).await.contains(&second_id));

    // Back to the first engine (still watched: its lists come at once), then to sshbox again.
    switch_to("default").await;
    wait_for(&client, &pill("default"), Duration::from_secs(10)).await;
    wait_for(&client, &row(&first_id), Duration::from_secs(10)).await;
    // The terminal opened over SSH kept running through two switches (one to an engine still
    // connecting), its tab says on which engine, and it still answers.
    click(&client, "[data-testid=nav-terminals]").await;
    let on =
        wait_for(&client, "[data-testid=term-tab][data-state=open] [data-testid=term-engine]", Duration::from_secs(5))
            .await;
    assert_eq!(on.prop("textContent").await.unwrap().unwrap_or_default().trim(), "on sshbox");
    let input = client.find(Locator::Css(".xterm-helper-textarea")).await.expect("xterm's input");
    input.send_keys("echo still-$((1+1))\n").await.unwrap();
    wait_terminal(&client, &tab, Duration::from_secs(30), |t| t.lines().any(|l| l.trim_end() == "still-2")).await;
    click(&client, "[data-testid=nav-containers]").await;
    switch_to("sshbox").await;
    wait_for(&client, &pill("sshbox"), Duration::from_secs(10)).await;

    // The choice survives a restart of the app.
    client.close().await.unwrap();
    let client = driver.session().await;
    wait_for(&client, &pill("sshbox"), Duration::from_secs(60)).await;
    wait_for(&client, &row(&second_id), Duration::from_secs(10)).await;

    // "Add an engine…": the second engine's socket, as a docker context the CLI can use.
    click(&client, "[data-testid=engine-pill]").await;
    wait_for(&client, "[data-testid=engine-add]", Duration::from_secs(5)).await.click().await.unwrap();
    wait_for(&client, "[data-testid=add-engine-dialog]", Duration::from_secs(5)).await;
    type_into(&client, "[data-testid=add-engine-name]", "second-sock").await;
    click(&client, "[data-testid=add-engine-kind-socket]").await;
    type_into(&client, "[data-testid=add-engine-socket]", &second.socket.display().to_string()).await;
    click(&client, "[data-testid=add-engine-save]").await;
    wait_for(&client, &pill("second-sock"), Duration::from_secs(30)).await;
    wait_for(&client, &row(&second_id), Duration::from_secs(10)).await;
    let out = std::process::Command::new("docker")
        .args(["--context", "second-sock", "ps", "-q", "--no-trunc"])
        .env("DOCKER_CONFIG", &docker_config)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&second_id), "docker --context second-sock ps: {out:?}");

    // Removing it asks first; the engine in use then is the default one.
    click(&client, "[data-testid=engine-pill]").await;
    wait_for(
        &client,
        "[data-testid=engine-item][data-id='second-sock'] [data-testid=engine-remove]",
        Duration::from_secs(5),
    )
    .await
    .click()
    .await
    .unwrap();
    let confirm = wait_for(&client, "[data-testid=confirm]", Duration::from_secs(5)).await;
    assert!(confirm.text().await.unwrap().contains("docker --context second-sock"), "it says what goes");
    assert!(store.get("second-sock").is_ok(), "nothing is removed before the confirmation");
    click(&client, "[data-testid=confirm-ok]").await;
    wait_for(&client, &pill("default"), Duration::from_secs(30)).await;
    assert_eq!(store.get("second-sock").unwrap_err().kind, bulkhead_core::ErrorKind::NotFound);

    // The second engine over TLS with client certificates, its files picked with "Browse…" in
    // the native file chooser; the CLI then uses the context, TLS material and all.
    let certs = tempfile::tempdir().unwrap();
    second.client_files(certs.path());
    // The menu stays open after a removal (the user may remove another).
    wait_for(&client, "[data-testid=engine-add]", Duration::from_secs(5)).await.click().await.unwrap();
    wait_for(&client, "[data-testid=add-engine-dialog]", Duration::from_secs(5)).await;
    type_into(&client, "[data-testid=add-engine-name]", "tls-box").await;
    click(&client, "[data-testid=add-engine-kind-tcp]").await;
    type_into(&client, "[data-testid=add-engine-tcp]", &format!("tcp://{}", second.tls_addr)).await;
    for (what, title, file) in [
        ("ca", "Choose the engine's CA certificate (ca.pem)", "ca.pem"),
        ("cert", "Choose your client certificate (cert.pem)", "cert.pem"),
        ("key", "Choose your client key (key.pem)", "key.pem"),
    ] {
        click(&client, &format!("[data-testid=add-engine-{what}-browse]")).await;
        let path = certs.path().join(file).display().to_string();
        answer_file_chooser(&display, title, Answer::Path(&path)).await;
        let field = format!("[data-testid=add-engine-{what}]");
        let deadline = Instant::now() + Duration::from_secs(5);
        while client.find(Locator::Css(&field)).await.unwrap().prop("value").await.unwrap().as_deref()
            != Some(path.as_str())
        {
            assert!(Instant::now() < deadline, "the {what} field did not get {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    click(&client, "[data-testid=add-engine-save]").await;
    wait_for(&client, &pill("tls-box"), Duration::from_secs(30)).await;
    wait_for(&client, &row(&second_id), Duration::from_secs(10)).await;
    let pill_text =
        client.find(Locator::Css("[data-testid=engine-pill]")).await.unwrap().prop("textContent").await.unwrap();
    assert!(pill_text.unwrap_or_default().contains("(TLS)"), "the pill says the engine is reached over TLS");
    let out = std::process::Command::new("docker")
        .args(["--context", "tls-box", "ps", "-q", "--no-trunc"])
        .env("DOCKER_CONFIG", &docker_config)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&second_id), "docker --context tls-box ps: {out:?}");
    client.close().await.unwrap();
}

/// `make bench`: from the click on another engine in the switcher to its first container row
/// painted, both engines already watched (measured inside the page: click → row in the DOM →
/// the next frame).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `make bench`"]
async fn bench_switch_engines_to_first_painted_row() {
    use bulkhead_core::context::{ContextStore, NewContext};
    let _serial = SERIAL.lock().await;
    let _ = engine().await;
    fixture_image().await;
    let Some(second) = bulkhead_tests::dockerd::SecondEngine::start().await else { return };
    let mut cleanup = Cleanup::new();
    let first_id = create_container(&mut cleanup, &unique_name("e2e-bench-first"), &["sleep", "300"], None).await;
    let second_id = second.run_sleeper(&unique_name("e2e-bench-second"));
    let config = tempfile::tempdir().unwrap();
    let docker_config = config.path().join("docker");
    ContextStore::new(&docker_config)
        .create(&NewContext {
            name: "second".into(),
            description: String::new(),
            host: second.host(),
            tls: None,
            skip_tls_verify: false,
        })
        .unwrap();
    let dc = docker_config.display().to_string();
    let display = Display::get();
    let driver = Driver::start(&display, &[("DOCKER_CONFIG", dc.as_str())]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected][data-engine=default]", Duration::from_secs(30))
        .await;
    // The menu's picks are disabled until the last switch has finished (`engine_switch` can
    // answer after the rows are painted), so a pick made at once can land on a disabled button:
    // then, after 2 s without the row, it is made again and the time is taken from the pick
    // that switched (the count is printed). Before, the script waited 30 s and failed the bench.
    let script = "const [engine, row, done] = arguments; \
        const frame = () => new Promise((r) => requestAnimationFrame(() => r())); \
        const sel = `[data-testid=engine-item][data-id='${engine}'] .engine-pick`; \
        const rowSel = `[data-testid=container-row][data-id='${row}']`; \
        (async () => { \
          for (let again = 0; ; again++) { \
            let item = document.querySelector(sel); \
            if (!item) document.querySelector('[data-testid=engine-pill]').click(); \
            while (!(item = document.querySelector(sel))) await frame(); \
            const t0 = performance.now(); item.click(); \
            while (!document.querySelector(rowSel) && performance.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 1)); \
            if (document.querySelector(rowSel)) { await frame(); done([performance.now() - t0, again]); return; } \
          } })();";
    // The switcher may still be open from the last pick (it closes when the switch is done, which
    // can be after the row is painted): the script opens it only when it is closed.
    // Connect both once (the first switch to `second` starts its watcher), then measure.
    let mut times = Vec::new();
    let mut repeated = 0;
    for i in 0..21 {
        let (engine, row) = if i % 2 == 0 { ("second", second_id.as_str()) } else { ("default", first_id.as_str()) };
        let answer = client
            .execute_async(script, vec![serde_json::json!(engine), serde_json::json!(row)])
            .await
            .unwrap_or_else(|e| panic!("switch {i} to {engine}: {e}"));
        let (ms, again) = (answer[0].as_f64().unwrap(), answer[1].as_u64().unwrap());
        repeated += again;
        if i >= 2 {
            times.push(ms);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[times.len() / 2];
    println!(
        "bench switch-engine-first-row: {median:.1} ms median from the click to the other engine's first row painted (both engines connected; {} switches, max {:.1} ms; {repeated} picks made again: the menu was still disabled by the last switch) (lower is better; target ≤ 100 ms)",
        times.len(),
        times[times.len() - 1]
    );
    client.close().await.unwrap();
}

/// Volumes and networks in the real window: a volume made with its dialog, a container that
/// mounts it from the Run form (on a network chosen there) shown under "used by", the file it
/// wrote browsed and the volume exported through the native save dialog; a network
/// made with its dialog, a running container connected from the network's page with an alias
/// and a fixed address, shown with both and on the exposure map inside its network's group;
/// in-use removal refused with the holder named; both
/// removed through the app's own paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volumes_and_networks_are_created_used_connected_and_removed_in_the_window() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let (vol, net, name) = (unique_name("e2e-vol"), unique_name("e2e-net"), unique_name("e2e-volrun"));
    cleanup.container(&name);
    cleanup.network(&net);
    cleanup.volume(&vol);
    let label = format!("{TEST_LABEL}={}", std::process::id());
    let third = 200 + (std::process::id() % 50) as u8;
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;

    // A volume, from its dialog; the app opens it.
    click(&client, "[data-testid=nav-volumes]").await;
    click(&client, "[data-testid=volume-create-open]").await;
    type_into(&client, "[data-testid=volume-create-name]", &vol).await;
    type_into(&client, "[data-testid=volume-create-labels]", &label).await;
    click(&client, "[data-testid=volume-create-save]").await;
    wait_for(&client, &format!("[data-testid=volume-detail][data-name='{vol}']"), Duration::from_secs(10)).await;
    wait_for(&client, "[data-testid=volume-users]", Duration::from_secs(5)).await;
    assert!(client.find(Locator::Css("[data-testid=volume-user]")).await.is_err(), "nobody uses it yet");

    // A network, from its dialog, with a subnet of its own.
    click(&client, "[data-testid=nav-networks]").await;
    click(&client, "[data-testid=network-create-open]").await;
    type_into(&client, "[data-testid=network-create-name]", &net).await;
    type_into(&client, "[data-testid=network-create-subnet]", &format!("10.232.{third}.0/24")).await;
    type_into(&client, "[data-testid=network-create-labels]", &label).await;
    // A wrong gateway is refused by the backend, next to nothing half-made.
    type_into(&client, "[data-testid=network-create-gateway]", "10.9.9.1").await;
    click(&client, "[data-testid=network-create-save]").await;
    let err = wait_for(&client, "[data-testid=network-create-error]", Duration::from_secs(5)).await;
    assert!(err.text().await.unwrap().contains("not inside"));
    assert!(engine.network_summary(&bulkhead_core::NetworkRef::parse(&net).unwrap()).await.unwrap().is_none());
    type_into(&client, "[data-testid=network-create-gateway]", &format!("10.232.{third}.1")).await;
    click(&client, "[data-testid=network-create-save]").await;
    let detail = wait_for(&client, "[data-testid=network-detail]", Duration::from_secs(10)).await;
    let net_id = detail.attr("data-id").await.unwrap().expect("the network's id");

    // A container from the Run form: the volume at /data, and a file written into it.
    click(&client, "[data-testid=nav-containers]").await;
    click(&client, "[data-testid=run-open]").await;
    wait_for(&client, "[data-testid=run-dialog]", Duration::from_secs(5)).await;
    type_into(&client, "[data-testid=run-image]", FIXTURE_IMAGE).await;
    type_into(&client, "[data-testid=run-name]", &name).await;
    type_into(&client, "[data-testid=run-command]", "sh -c 'echo kept > /data/note && exec sleep 600'").await;
    // On the network made above, chosen in the form.
    client.find(Locator::Css("[data-testid=run-network]")).await.unwrap().select_by_value(&net).await.unwrap();
    click(&client, "[data-testid=run-add-mount]").await;
    type_into(&client, "[data-testid=run-mount-0-source]", &vol).await;
    type_into(&client, "[data-testid=run-mount-0-target]", "/data").await;
    click(&client, "[data-testid=run-advanced]").await;
    click(&client, "[data-testid=run-add-label]").await;
    type_into(&client, "[data-testid=run-label-0]", &label).await;
    wait_for(&client, "[data-testid=run-submit]:not([disabled])", Duration::from_secs(5)).await.click().await.unwrap();
    let detail = wait_for(&client, "[data-testid=container-detail]", Duration::from_secs(15)).await;
    let id = detail.attr("data-id").await.unwrap().expect("the container's id");
    cleanup.container(&id);

    // The volume's page names it under "used by", read-write at /data.
    click(&client, "[data-testid=nav-volumes]").await;
    let row = wait_for(
        &client,
        &format!("[data-testid=volume-row][data-name='{vol}'] [data-testid=volume-used-by]"),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(row.text().await.unwrap(), "1 container");
    click(&client, &format!("[data-testid=volume-row][data-name='{vol}'] td.name")).await;
    let user = wait_for(&client, &format!("[data-testid=volume-user][data-id='{id}']"), Duration::from_secs(10)).await;
    let text = user.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(text.contains(&name) && text.contains("at /data") && text.contains("read-write"), "{text}");
    screenshot(&client, "volume-detail").await;
    // Removing it now is refused, naming the container (no confirmation for what cannot go).
    click(&client, "[data-testid=volume-remove]").await;
    let toast = wait_for(&client, "[data-testid=toast]", Duration::from_secs(5)).await;
    assert!(toast.text().await.unwrap().contains(&name));
    assert!(engine.volume_summary(&bulkhead_core::VolumeRef::parse(&vol).unwrap()).await.unwrap().is_some());

    // Its files: the note the container wrote, read-only; then the whole volume exported to a
    // .tar.gz where the native save dialog says (the app warns that a running container uses it).
    click(&client, "[data-testid=volume-tab-files]").await;
    let note = wait_for(&client, "[data-testid=volume-file][data-name=note]", Duration::from_secs(15)).await;
    assert_eq!(note.attr("data-kind").await.unwrap().as_deref(), Some("file"));
    screenshot(&client, "volume-files").await;
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("exported.tar.gz");
    click(&client, "[data-testid=volume-export]").await;
    answer_file_chooser(&display, "Export the volume", Answer::Path(&archive.display().to_string())).await;
    wait_for(&client, "[data-testid=transfer][data-state=done]", Duration::from_secs(30)).await;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(&archive).unwrap()));
    let mut found = None;
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().ends_with("note") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut e, &mut text).unwrap();
            found = Some(text);
        }
    }
    assert_eq!(found.as_deref(), Some("kept\n"), "the export holds the note the container wrote");

    // The network's page has it (the Run form put it there), with an address of the subnet.
    click(&client, "[data-testid=nav-networks]").await;
    click(&client, &format!("[data-testid=network-row][data-id='{net_id}'] td.name")).await;
    let member = format!("[data-testid=network-member][data-id='{id}']");
    let ip = wait_for(&client, &format!("{member} [data-testid=member-ipv4]"), Duration::from_secs(10)).await;
    assert!(ip.text().await.unwrap().starts_with(&format!("10.232.{third}.")), "an address of the network's subnet");
    // Disconnect it there (confirming) …
    click(&client, &format!("{member} [data-testid=member-disconnect]")).await;
    click(&client, "[data-testid=confirm-ok]").await;
    wait_for(&client, "[data-testid=network-members-empty]", Duration::from_secs(10)).await;
    // … and connect it again with aliases and a fixed address.
    wait_for(&client, "[data-testid=connect-form]", Duration::from_secs(5)).await;
    let select = client.find(Locator::Css("[data-testid=connect-container]")).await.unwrap();
    select.select_by_value(&id).await.unwrap();
    type_into(&client, "[data-testid=connect-aliases]", "db, primary").await;
    type_into(&client, "[data-testid=connect-ipv4]", &format!("10.232.{third}.9")).await;
    // The toasts of what went before sit over the lower right of the page: closed, as a user would.
    for close in client.find_all(Locator::Css("[data-testid=toast] button")).await.unwrap() {
        let _ = close.click().await;
    }
    click(&client, "[data-testid=connect-submit]").await;
    wait_for(&client, &member, Duration::from_secs(10)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ip = client
            .find(Locator::Css(&format!("{member} [data-testid=member-ipv4]")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let aliases = client
            .find(Locator::Css(&format!("{member} [data-testid=member-aliases]")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if ip.starts_with(&format!("10.232.{third}.9")) && aliases.contains("db") && aliases.contains("primary") {
            break;
        }
        assert!(Instant::now() < deadline, "the member shows its address and aliases: {ip} / {aliases}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&client, "network-detail").await;

    // Two more on the network, one published on every interface, one on 127.0.0.1 only.
    let publish = |ip: &str| {
        let port = free_port().to_string();
        bollard::models::ContainerCreateBody {
            cmd: Some(vec!["sleep".into(), "600".into()]),
            exposed_ports: Some(vec!["80/tcp".into()]),
            host_config: Some(bollard::models::HostConfig {
                network_mode: Some(net.clone()),
                port_bindings: Some(std::collections::HashMap::from([(
                    "80/tcp".to_owned(),
                    Some(vec![bollard::models::PortBinding { host_ip: Some(ip.to_owned()), host_port: Some(port) }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        }
    };
    let open_id = create_container_with(&mut cleanup, &unique_name("e2e-open"), publish("0.0.0.0")).await;
    let local_id = create_container_with(&mut cleanup, &unique_name("e2e-local"), publish("127.0.0.1")).await;
    for c in [&open_id, &local_id] {
        docker().start_container(c, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    }

    // The exposure map draws it inside its network's group (reached from the Security view).
    click(&client, "[data-testid=nav-security]").await;
    click(&client, "[data-testid=security-map]").await;
    wait_for(&client, &format!("[data-testid=map-container][data-id='{id}']"), Duration::from_secs(10)).await;
    let inside: bool = client
        .execute(
            "const box = (el) => el.querySelector('rect').getBBox(); \
             const c = box(document.querySelector(`[data-testid=map-container][data-id='${arguments[0]}']`)); \
             const n = box(document.querySelector(`[data-testid=map-network][data-id='${arguments[1]}']`)); \
             return c.x >= n.x && c.y >= n.y && c.x + c.width <= n.x + n.width && c.y + c.height <= n.y + n.height;",
            vec![serde_json::json!(id), serde_json::json!(net_id)],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false);
    assert!(inside, "the container is drawn inside its network's group");
    let everywhere = wait_for(
        &client,
        &format!("[data-testid=map-port][data-container='{open_id}'][data-reach=everywhere]"),
        Duration::from_secs(10),
    )
    .await;
    wait_for(
        &client,
        &format!("[data-testid=map-port][data-container='{local_id}'][data-reach=machine]"),
        Duration::from_secs(5),
    )
    .await;
    wait_for(&client, "[data-testid=map-zone-all]", Duration::from_secs(5)).await;
    screenshot(&client, "exposure-map").await;
    // A port on every interface offers to bind it to 127.0.0.1 (recreate hardened); not now.
    everywhere.find(Locator::Css("rect")).await.unwrap().click().await.unwrap();
    let confirm = wait_for(&client, "[data-testid=confirm]", Duration::from_secs(5)).await;
    assert!(confirm.text().await.unwrap().contains("127.0.0.1"));
    click(&client, "[data-testid=confirm-cancel]").await;
    // (WebKitWebDriver clicks an SVG group through a shape of it.)
    click(&client, &format!("[data-testid=map-container][data-id='{id}'] rect")).await;
    wait_for(&client, &format!("[data-testid=container-detail][data-id='{id}']"), Duration::from_secs(10)).await;
    click(&client, "[data-testid=nav-networks]").await;
    click(&client, &format!("[data-testid=network-row][data-id='{net_id}'] td.name")).await;
    wait_for(&client, &member, Duration::from_secs(10)).await;
    let inspect = engine.inspect_container(&bulkhead_core::ContainerRef::parse(&id).unwrap()).await.unwrap();
    assert_eq!(inspect["NetworkSettings"]["Networks"][net.as_str()]["IPAddress"], format!("10.232.{third}.9"));

    // Disconnect it from the network's page (confirming); the other two go; then remove the
    // network there.
    click(&client, &format!("{member} [data-testid=member-disconnect]")).await;
    click(&client, "[data-testid=confirm-ok]").await;
    let gone = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Css(&member)).await.is_ok() {
        assert!(Instant::now() < gone, "the disconnected container left the members");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for c in [&open_id, &local_id] {
        let force = bollard::query_parameters::RemoveContainerOptions { force: true, ..Default::default() };
        docker().remove_container(c, Some(force)).await.unwrap();
    }
    wait_for(&client, "[data-testid=network-members-empty]", Duration::from_secs(10)).await;
    click(&client, "[data-testid=network-remove]").await;
    click(&client, "[data-testid=confirm-ok]").await;
    wait_for(&client, "[data-testid=networks-table]", Duration::from_secs(10)).await;
    let gone = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Css(&format!("[data-testid=network-row][data-id='{net_id}']"))).await.is_ok() {
        assert!(Instant::now() < gone, "the removed network left the list");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(engine.network_summary(&bulkhead_core::NetworkRef::parse(&net_id).unwrap()).await.unwrap().is_none());
    client.close().await.unwrap();
}

/// Waits until the project's row says `state` (or, with `None`, is gone).
async fn wait_project_state(client: &Client, project: &str, state: Option<&str>, within: Duration) {
    wait_state(client, &format!("[data-testid=project-row][data-project='{project}']"), state, within).await;
}

/// A project that docker-compose started outside the app shows as one row with its services
/// under it; it is stopped and started as one from that row. A risky compose file, opened with
/// the native chooser, shows its review — each finding at its line — before Up; Up asks first
/// ("Up anyway"), Compose's output streams to its end, and the new project is in the list; it
/// is removed from its page, the app's own path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compose_project_is_grouped_stopped_and_started_as_one_and_a_risky_file_is_reviewed_before_up() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let lower = |s: String| s.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "");
    let (first, risky) = (lower(unique_name("e2e-proj")), lower(unique_name("e2e-risky")));
    for p in [&first, &risky] {
        for s in ["web", "worker"] {
            cleanup.container(&format!("{p}_{s}_1"));
        }
        cleanup.network(&format!("{p}_back"));
        cleanup.volume(&format!("{p}_data"));
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let file = compose_project(&a, "");
    let up = std::process::Command::new("docker-compose")
        .args(["-f", file.to_str().unwrap(), "-p", &first, "up", "-d"])
        .output()
        .expect("docker-compose (make test installs it)");
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));

    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    wait_project_state(&client, &first, Some("running"), Duration::from_secs(15)).await;
    let members =
        client.find_all(Locator::Css(&format!("[data-testid=container-row][data-project='{first}']"))).await.unwrap();
    assert_eq!(members.len(), 2, "its two services under it");
    screenshot(&client, "compose-projects").await;

    // Stopped and started as one, from its row.
    click(&client, &format!("[data-testid=project-row][data-project='{first}'] [data-testid=project-stop]")).await;
    wait_project_state(&client, &first, Some("stopped"), Duration::from_secs(30)).await;
    let p = bulkhead_core::compose::ProjectName::parse(&first).unwrap();
    assert!(engine
        .project_containers(&p)
        .await
        .unwrap()
        .iter()
        .all(|c| c.state != bulkhead_core::model::ContainerState::Running));
    click(&client, &format!("[data-testid=project-row][data-project='{first}'] [data-testid=project-start]")).await;
    wait_project_state(&client, &first, Some("running"), Duration::from_secs(30)).await;

    // A risky file: the host's process namespace and SYS_ADMIN (both start on these machines).
    let risky_file = compose_project(&b, "    pid: host\n    cap_add: [SYS_ADMIN]\n");
    let text = std::fs::read_to_string(&risky_file).unwrap();
    let pid_line = text.lines().position(|l| l.trim() == "pid: host").unwrap() + 1;
    // Named after its folder, as Compose names it: rename the folder to the project's name.
    let named = dir.path().join(&risky);
    std::fs::rename(&b, &named).unwrap();
    let risky_file = named.join("docker-compose.yml");
    click(&client, "[data-testid=compose-open]").await;
    answer_file_chooser(&display, "Open a compose file", Answer::Path(&risky_file.display().to_string())).await;
    wait_for(&client, &format!("[data-testid=compose-view][data-project='{risky}']"), Duration::from_secs(15)).await;
    let finding =
        wait_for(&client, "[data-testid=compose-finding][data-rule='container.host-pid']", Duration::from_secs(5))
            .await;
    assert_eq!(finding.attr("data-line").await.unwrap(), Some(pid_line.to_string()), "the finding points at its line");
    wait_for(
        &client,
        "[data-testid=compose-finding][data-rule='container.dangerous-capabilities']",
        Duration::from_secs(5),
    )
    .await;
    let grade = client.find(Locator::Css("[data-testid=compose-grade]")).await.unwrap();
    assert_eq!(grade.attr("data-grade").await.unwrap().as_deref(), Some("F"));
    wait_for(&client, "[data-testid=compose-tool]", Duration::from_secs(15)).await;
    screenshot(&client, "compose-review").await;
    assert!(
        engine
            .project_containers(&bulkhead_core::compose::ProjectName::parse(&risky).unwrap())
            .await
            .unwrap()
            .is_empty(),
        "nothing started yet"
    );

    // Up asks first; "Up anyway" runs Compose and its output streams to the end.
    click(&client, "[data-testid=compose-up]").await;
    let ask = wait_for(&client, "[data-testid=confirm]", Duration::from_secs(5)).await;
    assert!(ask.text().await.unwrap().contains("critical"), "the question names the findings");
    click(&client, "[data-testid=confirm-ok]").await;
    wait_for(&client, "[data-testid=compose-output][data-exit='0']", Duration::from_secs(180)).await;
    let out = text_content(&client, "[data-testid=compose-lines]").await;
    assert!(out.contains(&risky), "Compose's own output: {out}");

    // The new project is in the list; removed from its page, after a confirmation.
    click(&client, "[data-testid=back]").await;
    wait_project_state(&client, &risky, Some("running"), Duration::from_secs(15)).await;
    click(&client, &format!("[data-testid=project-row][data-project='{risky}'] td.name")).await;
    wait_for(&client, &format!("[data-testid=project-view][data-project='{risky}']"), Duration::from_secs(5)).await;
    // Its log: both services, each line tagged with its service.
    click(&client, "[data-testid=project-tab-logs]").await;
    let tags = Instant::now() + Duration::from_secs(20);
    loop {
        let mut seen = Vec::new();
        for e in client.find_all(Locator::Css("[data-testid=log-source]")).await.unwrap_or_default() {
            seen.push(e.text().await.unwrap_or_default());
        }
        if seen.iter().any(|t| t == "web") && seen.iter().any(|t| t == "worker") {
            break;
        }
        assert!(Instant::now() < tags, "both services' lines, tagged: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    screenshot(&client, "compose-project").await;
    click(&client, "[data-testid=project-view-remove]").await;
    wait_for(&client, "[data-testid=confirm-option]", Duration::from_secs(10)).await;
    click(&client, "[data-testid=confirm-ok]").await;
    // Done, the page goes back to the list (the page itself has no project rows to wait on).
    wait_for(&client, "[data-testid=containers-table]", Duration::from_secs(60)).await;
    wait_project_state(&client, &risky, None, Duration::from_secs(30)).await;
    let left = engine.project_remove_plan(&bulkhead_core::compose::ProjectName::parse(&risky).unwrap()).await.unwrap();
    assert!(left.containers.is_empty() && left.networks.is_empty(), "{left:?}");
    assert_eq!(left.volumes, vec![format!("{risky}_data")], "its volume is kept: the box was not ticked");

    let down = std::process::Command::new("docker-compose")
        .args(["-f", file.to_str().unwrap(), "-p", &first, "down", "-v"])
        .output()
        .unwrap();
    assert!(down.status.success(), "{}", String::from_utf8_lossy(&down.stderr));
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_containers_files_show_what_it_wrote_open_download_upload_edit_and_the_events_page_shows_a_start() {
    let _serial = SERIAL.lock().await;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("e2e-files");
    let id = create_container(
        &mut cleanup,
        &name,
        &["sh", "-c", "mkdir -p /work && echo hello-from-container > /work/written.txt && exec sleep 600"],
        None,
    )
    .await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let c = bulkhead_core::ContainerRef::parse(&id).unwrap();
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;

    // Its Files tab: the folder it made is marked as a change; the file it wrote, as added.
    wait_for(&client, &format!("[data-testid=container-row][data-id='{id}']"), Duration::from_secs(30)).await;
    click(&client, &format!("[data-testid=container-row][data-id='{id}'] td.name")).await;
    click(&client, "[data-testid=tab-files]").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let work = "[data-testid=file-row][data-name=work]";
    loop {
        // The script may still be writing when the tab opens: read the folder again until it is there.
        if client.find(Locator::Css(work)).await.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the folder /work never showed");
        tokio::time::sleep(Duration::from_millis(300)).await;
        click(&client, "[data-testid=files-refresh]").await;
    }
    click(&client, &format!("{work} td.name")).await;
    let written = "[data-testid=file-row][data-name='written.txt']";
    let row = wait_for(&client, written, Duration::from_secs(15)).await;
    assert_eq!(row.attr("data-change").await.unwrap().as_deref(), Some("added"));

    // Opened: its text; downloaded where the native save dialog says.
    click(&client, &format!("{written} td.name")).await;
    let text = wait_for(&client, "[data-testid=viewer-text]", Duration::from_secs(10)).await;
    assert_eq!(text.text().await.unwrap().trim(), "hello-from-container");
    screenshot(&client, "container-files").await;
    let out = tempfile::tempdir().unwrap();
    let saved = out.path().join("downloaded.txt");
    click(&client, "[data-testid=viewer-save]").await;
    answer_file_chooser(&display, "Save the file", Answer::Path(&saved.display().to_string())).await;
    wait_for(&client, "[data-testid=transfer][data-state=done]", Duration::from_secs(30)).await;
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "hello-from-container\n");

    // Upload through the native chooser: the file lands in the folder shown.
    let upload = out.path().join("uploaded.txt");
    std::fs::write(&upload, b"from the host\n").unwrap();
    click(&client, "[data-testid=files-upload]").await;
    answer_file_chooser(&display, "Upload files into the container", Answer::Path(&upload.display().to_string())).await;
    wait_for(&client, "[data-testid=file-row][data-name='uploaded.txt']", Duration::from_secs(30)).await;
    let p = |s: &str| bulkhead_core::files::ContainerPath::plain(s).unwrap();
    assert_eq!(
        engine.container_read(&c, &p("/work/uploaded.txt")).await.unwrap().text.as_deref(),
        Some("from the host\n")
    );

    // Edit, review the diff, save: the container holds the new text.
    click(&client, "[data-testid=viewer-edit]").await;
    type_into(&client, "[data-testid=viewer-editor]", "edited in the window").await;
    click(&client, "[data-testid=viewer-review]").await;
    let diff = wait_for(&client, "[data-testid=viewer-diff]", Duration::from_secs(5)).await;
    let shown = diff.text().await.unwrap();
    assert!(shown.contains("- hello-from-container") && shown.contains("+ edited in the window"), "{shown}");
    click(&client, "[data-testid=viewer-write]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = engine.container_read(&c, &p("/work/written.txt")).await.unwrap();
        if now.text.as_deref() == Some("edited in the window") {
            break;
        }
        assert!(Instant::now() < deadline, "the edit never reached the container: {:?}", now.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The events page: a container started from a terminal (the docker CLI) shows up live.
    click(&client, "[data-testid=nav-events]").await;
    wait_for(&client, "[data-testid=event-timeline]", Duration::from_secs(10)).await;
    let other = unique_name("e2e-events");
    cleanup.container(&other);
    let t0 = Instant::now();
    let out = std::process::Command::new("docker")
        .args(["run", "-d", "--name", &other, "--label", &format!("{TEST_LABEL}=e2e"), FIXTURE_IMAGE, "sleep", "60"])
        .output()
        .expect("the docker CLI");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for(
        &client,
        &format!("[data-testid=event-row][data-action=start][data-name='{other}']"),
        Duration::from_secs(30),
    )
    .await;
    eprintln!("docker run from a terminal → its start on the events page: {:?}", t0.elapsed());
    screenshot(&client, "events").await;
    client.close().await.unwrap();
}

/// `make bench`: from a container's start on the engine (the event's own time stamp) to its row
/// painted on the events page, for containers started with the docker CLI, as from a terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `make bench`"]
async fn bench_events_page_row_after_a_start() {
    let _serial = SERIAL.lock().await;
    let _ = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    click(&client, "[data-testid=nav-events]").await;
    wait_for(&client, "[data-testid=event-timeline]", Duration::from_secs(10)).await;
    // Waits for the row, then one more frame (painted); answers the wall clock then and the
    // event's time stamp, both in ms.
    let script = "const [name, done] = arguments; \
        const sel = `[data-testid=event-row][data-action=start][data-name='${name}']`; \
        (async () => { \
          let row; \
          while (!(row = document.querySelector(sel))) await new Promise((r) => setTimeout(r, 1)); \
          await new Promise((r) => requestAnimationFrame(() => r())); \
          done([Date.now(), Number(row.dataset.time) / 1e6]); \
        })();";
    let mut delays = Vec::new();
    for i in 0..11 {
        let name = unique_name("e2e-bench-ev");
        cleanup.container(&name);
        let made = std::process::Command::new("docker")
            .args(["create", "--name", &name, "--label", &format!("{TEST_LABEL}=bench"), FIXTURE_IMAGE, "sleep", "60"])
            .output()
            .expect("docker create");
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        let waiting = client.execute_async(script, vec![serde_json::json!(name)]);
        let starter = std::thread::spawn({
            let name = name.clone();
            move || std::process::Command::new("docker").args(["start", &name]).output().expect("docker start")
        });
        let answer = waiting.await.unwrap_or_else(|e| panic!("start {i}: {e}"));
        assert!(starter.join().unwrap().status.success());
        let (seen, at) = (answer[0].as_f64().unwrap(), answer[1].as_f64().unwrap());
        if i > 0 {
            delays.push(seen - at);
        }
    }
    delays.sort_by(|a, b| a.total_cmp(b));
    println!(
        "bench events-page-row-after-start: {:.1} ms median from a container's start (the engine's time stamp) to its row painted on the events page ({} starts with the docker CLI, max {:.1} ms) (lower is better; target ≤ 1000 ms)",
        delays[delays.len() / 2],
        delays.len(),
        delays[delays.len() - 1]
    );
    client.close().await.unwrap();
}

/// A value the page computes (`return …`), as JSON.
async fn js(client: &Client, script: &str) -> serde_json::Value {
    client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Waits until `script` returns `want`.
async fn wait_js(client: &Client, script: &str, want: serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = js(client, script).await;
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{script} gave {got}, not {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks `css` once it is there.
async fn click_when(client: &Client, css: &str) {
    wait_for(client, css, Duration::from_secs(10)).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// A container started with a critical isolation risk reaches the desktop: the app asks the
/// session bus's notification server (here a stand-in on a private bus that records the call)
/// to show it, and the System page says it was notified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_risky_start_is_shown_as_a_desktop_notification() {
    let _serial = SERIAL.lock().await;
    let _engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let server = bulkhead_tests::notifications::NotificationServer::start();
    let display = Display::get();
    let driver = Driver::start(&display, &[("DBUS_SESSION_BUS_ADDRESS", server.address.as_str())]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;

    let risky = unique_name("e2e-notify");
    let rid = create_container(
        &mut cleanup,
        &risky,
        &["sleep", "300"],
        Some(bollard::models::HostConfig { pid_mode: Some("host".into()), ..Default::default() }),
    )
    .await;
    docker().start_container(&rid, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let shown = loop {
        let n = server.shown.recv_timeout(Duration::from_secs(30)).expect("a Notify call on the session bus");
        if n.summary.contains(&risky) {
            break n;
        }
    };
    assert_eq!(shown.summary, format!("{risky} started with a critical isolation risk"));
    assert!(shown.body.contains("process namespace"), "{shown:?}");
    assert_eq!((shown.app_name.as_str(), shown.icon.as_str()), ("Bulkhead", "bulkhead"));

    click(&client, "[data-testid=nav-system]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let alerts = wait_for(&client, "[data-testid=alerts]", Duration::from_secs(5)).await.text().await.unwrap();
        if alerts.contains(&risky) {
            assert!(alerts.contains("(notified)"), "{alerts}");
            break;
        }
        assert!(Instant::now() < deadline, "no alert for {risky}: {alerts}");
        click(&client, "[data-testid=nav-containers]").await;
        click(&client, "[data-testid=nav-system]").await;
    }
    client.close().await.unwrap();
}

/// "As the system" follows the desktop: under a dark GTK theme (GTK_THEME=Adwaita:dark, as a
/// desktop sets it) the window is dark on first start, with no choice made; an explicit
/// "Light" wins over the desktop, and "As the system" goes back to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_the_system_follows_a_dark_gtk_theme() {
    let _serial = SERIAL.lock().await;
    let _engine = engine().await;
    let display = Display::get();
    let driver = Driver::start(&display, &[("GTK_THEME", "Adwaita:dark")]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    let system_dark = js(&client, "return matchMedia('(prefers-color-scheme: dark)').matches").await;
    assert_eq!(system_dark, true, "WebKitGTK reports the dark GTK theme as prefers-color-scheme: dark");
    wait_js(&client, "return document.documentElement.dataset.theme", "dark".into()).await;
    let bg = js(&client, "return getComputedStyle(document.documentElement).backgroundColor").await;
    assert_eq!(bg, "rgb(17, 22, 29)", "the dark page colour is painted");
    click_when(&client, "[data-testid=nav-settings]").await;
    click_when(&client, "[data-testid=theme-light]").await;
    wait_js(&client, "return document.documentElement.dataset.theme", "light".into()).await;
    click_when(&client, "[data-testid=theme-system]").await;
    wait_js(&client, "return document.documentElement.dataset.theme", "dark".into()).await;
    screenshot(&client, "settings-system-dark").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferences_and_the_window_size_survive_a_restart_and_a_broken_file_is_said_not_fatal() {
    let _serial = SERIAL.lock().await;
    let _engine = engine().await;
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let prefs_file = driver.config_home().join("bulkhead/preferences.json");

    // First run: choices made in Settings, the window resized, the Images page left open.
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    wait_js(&client, "return document.documentElement.dataset.theme", "light".into()).await;
    click_when(&client, "[data-testid=nav-settings]").await;
    click_when(&client, "[data-testid=theme-dark]").await;
    wait_js(&client, "return document.documentElement.dataset.theme", "dark".into()).await;
    let bg = js(&client, "return getComputedStyle(document.documentElement).backgroundColor").await;
    assert_eq!(bg, "rgb(17, 22, 29)", "the dark page colour is painted");
    click_when(&client, "[data-testid=density-compact]").await;
    click_when(&client, "[data-testid=col-containers-ports]").await;
    let font = wait_for(&client, "[data-testid=pref-font-size]", Duration::from_secs(5)).await;
    font.clear().await.unwrap();
    font.send_keys("17\t").await.unwrap();
    // Out of bounds: said at the field, nothing saved.
    let grace = wait_for(&client, "[data-testid=pref-stop-grace]", Duration::from_secs(5)).await;
    grace.clear().await.unwrap();
    grace.send_keys("99999\t").await.unwrap();
    let err = wait_for(&client, ".settings .field-error", Duration::from_secs(5)).await;
    assert!(err.text().await.unwrap().contains("0 to 3600"));
    screenshot(&client, "settings-dark").await;
    bulkhead_tests::e2e::resize_window(&display, "Bulkhead", 1010, 690);
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get_window_size().await.unwrap() != (1010, 690) {
        assert!(Instant::now() < deadline, "the window was not resized");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    click_when(&client, "[data-testid=nav-images]").await;
    wait_for(&client, "[data-testid=images-table]", Duration::from_secs(10)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let saved: serde_json::Value =
            std::fs::read(&prefs_file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        if saved["lastView"] == "images" && saved["terminalFontSize"] == 17 {
            assert_eq!(saved["theme"], "dark");
            assert_eq!(saved["density"], "compact");
            assert_eq!(saved["hiddenColumns"], serde_json::json!({ "containers": ["ports"] }));
            assert_eq!(saved["stopGraceSeconds"], 10, "the refused value was not saved");
            break;
        }
        assert!(Instant::now() < deadline, "the preferences file holds {saved}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The size is written soon after the resize, not only at a normal exit (a crash keeps it).
    let state_file = driver.config_home().join("dev.bulkhead.desktop/.window-state.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state: serde_json::Value =
            std::fs::read(&state_file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        if state["main"]["width"] == 1010 && state["main"]["height"] == 690 {
            break;
        }
        assert!(Instant::now() < deadline, "the window state at {} holds {state}", state_file.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.close_window().await.unwrap();
    let _ = client.close().await;

    // Second run: the same choices, page and size (and a container, for a table to look at).
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    create_container(&mut cleanup, &unique_name("e2e-prefs"), &["sleep", "300"], None).await;
    let client = driver.session().await;
    wait_for(&client, "[data-testid=images-table]", Duration::from_secs(30)).await;
    wait_js(&client, "return document.documentElement.dataset.theme", "dark".into()).await;
    wait_js(&client, "return document.documentElement.dataset.density", "compact".into()).await;
    let size = client.get_window_size().await.unwrap();
    assert_eq!(size, (1010, 690), "the window's size was restored");
    click_when(&client, "[data-testid=nav-containers]").await;
    wait_js(
        &client,
        "const t = document.querySelector('[data-testid=containers-table]'); \
         return t ? [t.classList.contains('hide-ports'), getComputedStyle(t.querySelector('th.c-ports')).display] : null",
        serde_json::json!([true, "none"]),
    )
    .await;
    click_when(&client, "[data-testid=nav-settings]").await;
    let font = wait_for(&client, "[data-testid=pref-font-size]", Duration::from_secs(5)).await;
    assert_eq!(font.prop("value").await.unwrap().as_deref(), Some("17"));
    client.close_window().await.unwrap();
    let _ = client.close().await;

    // A broken file: the window opens on the defaults, says so, and the file is kept aside.
    std::fs::write(&prefs_file, b"{\"theme\": \"dark\", \x00\xff garbage").unwrap();
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;
    wait_js(&client, "return document.documentElement.dataset.theme", "light".into()).await;
    let toast = wait_for(&client, ".toast-error", Duration::from_secs(10)).await;
    let text = toast.text().await.unwrap();
    assert!(text.contains("unusable") && text.contains("defaults"), "{text}");
    click_when(&client, "[data-testid=nav-settings]").await;
    let problems = wait_for(&client, "[data-testid=prefs-problems]", Duration::from_secs(5)).await;
    assert!(problems.text().await.unwrap().contains("not JSON"));
    let kept = std::fs::read_dir(prefs_file.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("preferences.json.broken-"))
        .count();
    assert_eq!(kept, 1, "the broken file was kept aside");
    client.close().await.unwrap();
}

/// axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now (the
/// script comes from ui/node_modules, injected through WebDriver, not shipped in the app).
async fn axe_violations(client: &Client) -> Vec<String> {
    let loaded = js(client, "return typeof window.axe").await;
    if loaded != "object" {
        let src =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/node_modules/axe-core/axe.min.js"))
                .expect("axe-core (an npm devDependency of ui/; `make test` installs it)");
        client.execute(&format!("{src}\nreturn typeof window.axe"), vec![]).await.expect("inject axe-core");
    }
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
          .then((r) => done(r.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.impact} ${v.id}: ${v.help} — ` + v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' [' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160) + ']').join(' | '))))
          .catch((e) => done(['axe failed: ' + e]));
    "#;
    let out = client.execute_async(script, vec![]).await.expect("axe.run");
    serde_json::from_value(out).expect("a list of violations")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_core_in_light_and_dark() {
    let _serial = SERIAL.lock().await;
    let _engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    // Something on each page: a running container with a published port (exposure map, review).
    let id = create_container(
        &mut cleanup,
        &unique_name("e2e-axe"),
        &["sleep", "300"],
        Some(bollard::models::HostConfig {
            port_bindings: Some(
                [(
                    "80/tcp".to_owned(),
                    Some(vec![bollard::models::PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }]),
                )]
                .into(),
            ),
            ..Default::default()
        }),
    )
    .await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session().await;
    wait_for(&client, "[data-testid=engine-pill][data-state=connected]", Duration::from_secs(30)).await;

    let pages = [
        ("containers", "[data-testid=containers-table]"),
        ("images", "[data-testid=images-table]"),
        ("volumes", "[data-testid=volumes-summary]"),
        ("networks", "[data-testid=networks-table]"),
        ("exposure", "[data-testid=exposure-summary]"),
        ("events", "[data-testid=events-view]"),
        ("terminals", ".terminals"),
        ("security", "[data-testid=posture]"),
        ("system", "[data-testid=docker-root-dir]"),
        ("settings", "[data-testid=settings]"),
    ];
    let mut found = Vec::new();
    for theme in ["light", "dark"] {
        click_when(&client, "[data-testid=nav-settings]").await;
        click_when(&client, &format!("[data-testid=theme-{theme}]")).await;
        wait_js(&client, "return document.documentElement.dataset.theme", theme.into()).await;
        for (page, ready) in pages {
            click_when(&client, &format!("[data-testid=nav-{page}]")).await;
            wait_for(&client, ready, Duration::from_secs(20)).await;
            for v in axe_violations(&client).await {
                found.push(format!("{theme} {page}: {v}"));
            }
        }
        // A container's page (overview, then its security review), the shortcuts, a confirmation.
        click_when(&client, "[data-testid=nav-containers]").await;
        click_when(&client, &format!("[data-testid=container-row][data-id='{id}'] td.name")).await;
        wait_for(&client, ".detail-head", Duration::from_secs(10)).await;
        for v in axe_violations(&client).await {
            found.push(format!("{theme} container: {v}"));
        }
        screenshot(&client, &format!("container-{theme}")).await;
        for tab in ["logs", "security", "files"] {
            click_when(&client, &format!("[data-testid=tab-{tab}]")).await;
            wait_js(
                &client,
                &format!("return !!document.querySelector('[data-testid=tab-{tab}][aria-selected=true]')"),
                true.into(),
            )
            .await;
            tokio::time::sleep(Duration::from_millis(500)).await; // what the tab loads, painted
            for v in axe_violations(&client).await {
                found.push(format!("{theme} container {tab}: {v}"));
            }
        }
        screenshot(&client, &format!("container-security-{theme}")).await;
        click_when(&client, "[data-testid=nav-containers]").await;
        wait_for(&client, "[data-testid=containers-table]", Duration::from_secs(10)).await;
        client.find(Locator::Css("body")).await.unwrap().send_keys("?").await.unwrap();
        wait_for(&client, "[data-testid=shortcuts]", Duration::from_secs(5)).await;
        for v in axe_violations(&client).await {
            found.push(format!("{theme} shortcuts: {v}"));
        }
        screenshot(&client, &format!("shortcuts-{theme}")).await;
        click_when(&client, "[data-testid=shortcuts-close]").await;
    }
    assert!(found.is_empty(), "{} serious or critical axe-core violations:\n{}", found.len(), found.join("\n"));
    client.close().await.unwrap();
}

/// The engine killed with SIGKILL under the open window and started again: the page says the
/// engine is gone (no crash, no stale rows), the container's page comes back on its Logs tab
/// with new lines and its stats resume, and the terminal tab says its connection closed and
/// offers to reopen — which works. Prints how long the window took to come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_killed_under_the_window_is_said_and_its_views_resume_when_it_is_back() {
    let _serial = SERIAL.lock().await;
    let Some(mut second) = bulkhead_tests::dockerd::SecondEngine::start().await else { return };
    let name = unique_name("e2e-kill");
    let id = second.run_ticker(&name);
    let host = second.host();
    let display = Display::get();
    let driver = Driver::start(&display, &[("DOCKER_HOST", host.as_str())]);
    let client = driver.session().await;
    let ticks = |client: &Client| {
        let client = client.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let mut n = 0;
                for r in client.find_all(Locator::Css("[data-testid=log-row]")).await.unwrap_or_default() {
                    if r.prop("textContent").await.ok().flatten().as_deref() == Some("tick") {
                        n += 1;
                    }
                }
                if n >= 2 {
                    return n;
                }
                assert!(Instant::now() < deadline, "no tick lines in the log view");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };

    // A terminal in the container, then its page on the Logs tab.
    let (_, tab_id) = open_terminal(&client, &id).await;
    let input = client.find(Locator::Css(".xterm-helper-textarea")).await.expect("xterm's input");
    input.send_keys("echo re''ady\n").await.unwrap();
    wait_terminal(&client, &tab_id, Duration::from_secs(20), |t| t.lines().any(|l| l.trim_end() == "ready")).await;
    click(&client, "[data-testid=nav-containers]").await;
    click_when(&client, &format!("[data-testid=container-row][data-id='{id}'] td.name")).await;
    click_when(&client, "[data-testid=tab-logs]").await;
    ticks(&client).await;

    second.kill_hard();
    let down = wait_for(&client, "[data-testid=engine-down]", Duration::from_secs(30)).await;
    let said = down.text().await.unwrap();
    assert!(said.contains("reconnects by itself"), "the page says what happened and what follows: {said}");
    assert!(client.find(Locator::Css("[data-testid=container-detail]")).await.is_err(), "no stale page");
    screenshot(&client, "engine-killed").await;

    second.restart();
    let back = Instant::now();
    wait_for(&client, "[data-testid=container-detail]", Duration::from_secs(60)).await;
    let page_back = back.elapsed();
    // On the Logs tab it was on, with lines from the new stream.
    ticks(&client).await;
    click_when(&client, "[data-testid=tab-stats]").await;
    wait_for(&client, "[data-testid=stats-cpu]", Duration::from_secs(30)).await;

    // The terminal: its tab says the connection closed (not "exited") and offers to reopen.
    click(&client, "[data-testid=nav-terminals]").await;
    let tab = wait_for(&client, "[data-testid=term-tab][data-state=failed]", Duration::from_secs(10)).await;
    let text = tab.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(text.contains("connection to the engine closed"), "{text}");
    click(&client, "[data-testid=term-reopen]").await;
    wait_for(&client, "[data-testid=term-tab][data-state=open]", Duration::from_secs(20)).await;
    let host_el = wait_for(&client, ".term-pane:not(.hidden) [data-testid=terminal]", Duration::from_secs(5)).await;
    let new_tab = host_el.attr("data-tab").await.unwrap().expect("tab id");
    assert_ne!(new_tab, tab_id, "a new session in the tab");
    let input = client.find(Locator::Css(".term-pane:not(.hidden) .xterm-helper-textarea")).await.expect("input");
    input.send_keys("echo ag''ain\n").await.unwrap();
    wait_terminal(&client, &new_tab, Duration::from_secs(20), |t| t.lines().any(|l| l.trim_end() == "again")).await;
    println!(
        "fault engine-sigkill-window: the container's page was back {} ms after dockerd answered",
        page_back.as_millis()
    );
    client.close().await.unwrap();
}

/// How many containers the list counts (its aria-rowcount less the header row), drawn or not.
async fn listed(client: &Client) -> u64 {
    let script = "return Number(document.querySelector('[data-testid=containers-table]')?.getAttribute('aria-rowcount') ?? 1) - 1";
    js(client, script).await.as_u64().unwrap_or(0)
}

/// Waits until the containers list holds at least `n` rows (drawn or not: its aria-rowcount).
/// Created in the same second, containers tie on their creation time, so which of them is
/// first in the list, and drawn, is not known.
async fn wait_listed(client: &Client, n: u64, timeout: Duration) {
    let started = Instant::now();
    loop {
        let count = listed(client).await;
        if count >= n {
            return;
        }
        assert!(started.elapsed() < timeout, "{count} containers listed, not {n}, after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `n` test-labelled containers named `{prefix}-{i}` (created, not started), eight at a time.
async fn create_idle_containers(prefix: &str, n: usize, cleanup: &mut Cleanup) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(8) {
        let made = futures_util::future::join_all(chunk.iter().map(|i| {
            let name = format!("{prefix}-{i}");
            async move {
                let body = bollard::models::ContainerCreateBody {
                    image: Some(FIXTURE_IMAGE.into()),
                    cmd: Some(vec!["sleep".into(), "600".into()]),
                    labels: Some(test_labels()),
                    ..Default::default()
                };
                let opts = bollard::query_parameters::CreateContainerOptions { name: Some(name), ..Default::default() };
                docker().create_container(Some(opts), body).await.expect("create").id
            }
        }))
        .await;
        for id in made {
            cleanup.container(&id);
        }
    }
}

/// `make bench`: Bulkhead against oxker (a terminal UI for Docker, `cargo install oxker`; the
/// bench setup installs it) on the same engine holding 1,000 more containers: cold start to
/// the first container row painted, five starts each, interleaved (ours from the app process's
/// start to the frame after the row, through tauri-driver as in every e2e test; oxker's from
/// its spawn in a pseudo-terminal to the first output holding one of the containers' names);
/// then the engine's CPU (dockerd's user + system time) while each sits idle on the list, less
/// the engine's CPU with neither open, and each tool's own CPU.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `make bench`"]
async fn bench_cold_start_and_idle_engine_cpu_against_oxker() {
    use bulkhead_tests::e2e::{cpu_time, spawn_in_pty, started_at};
    let _serial = SERIAL.lock().await;
    let app = std::env::var("BULKHEAD_RELEASE_APP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| bulkhead_tests::e2e::app_path());
    let oxker =
        std::path::PathBuf::from(std::env::var("BULKHEAD_OXKER").expect("BULKHEAD_OXKER (make bench installs oxker)"));
    assert!(oxker.exists(), "{} is missing (make bench installs it)", oxker.display());
    let _ = engine().await;
    fixture_image().await;
    let dockerd: u32 = std::fs::read_to_string("/var/run/docker.pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .expect("the default engine's dockerd (/var/run/docker.pid)");
    let mut cleanup = Cleanup::new();
    // oxker's output is searched for the names' prefix (a 200-column terminal shows it whole).
    let prefix = unique_name("ox");
    create_idle_containers(&prefix, 1000, &mut cleanup).await;
    let display = Display::get();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let after = |a: std::time::SystemTime, b: std::time::SystemTime| a.duration_since(b).unwrap_or_default();

    /// Opens the window; answers it and the time from the app process's start to its first
    /// container row painted.
    async fn ours_start(driver: &Driver, app: &std::path::Path) -> (Client, Duration) {
        let client = driver.session_of(app).await;
        let painted = loop {
            let v = js(&client, "return window.__bulkheadFirstRowPainted ?? null").await;
            if let Some(t) = v.as_f64() {
                break std::time::UNIX_EPOCH + Duration::from_secs_f64(t / 1000.0);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let pid = driver.app_pid(app).expect("the app's process");
        let started = started_at(pid).expect("its start");
        // Where the time went: the page's navigation start, the UI's own marks (its script
        // running, the preferences read, the app mounted, the lists' snapshot received) and
        // DOMContentLoaded, each from the process's start.
        let page = js(
            &client,
            "const n = performance.getEntriesByType('navigation')[0]; \
             const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? -1; \
             return [performance.timeOrigin, at('bulkhead:script'), n ? n.domContentLoadedEventEnd : -1, \
                     at('bulkhead:prefs'), at('bulkhead:mounted'), at('bulkhead:snapshot'), at('bulkhead:rows'), \
                     at('bulkhead:frame')]",
        )
        .await;
        let origin = std::time::UNIX_EPOCH + Duration::from_secs_f64(page[0].as_f64().unwrap_or(0.0) / 1000.0);
        let at = |t: std::time::SystemTime| t.duration_since(started).unwrap_or_default().as_millis();
        let mark = |i: usize| match page[i].as_f64() {
            Some(t) if t >= 0.0 => at(origin + Duration::from_secs_f64(t / 1000.0)).to_string(),
            _ => "?".into(),
        };
        println!(
            "(ours, ms from the process's start: page loading {}, script running {}, DOM ready {}, preferences read {}, app mounted {}, lists received {}, rows in the DOM {}, their frame {}, first row painted {})",
            at(origin),
            mark(1),
            mark(2),
            mark(3),
            mark(4),
            mark(5),
            mark(6),
            mark(7),
            at(painted)
        );
        (client, painted.duration_since(started).unwrap_or_default())
    }
    let oxker_start = || {
        let t0 = std::time::SystemTime::now();
        let (child, painted) = spawn_in_pty(&oxker, &[], &[], (200, 50), &prefix);
        let t = painted.recv_timeout(Duration::from_secs(120)).expect("oxker painted a container's name");
        (child, after(t, t0))
    };
    let stop = |mut child: std::process::Child| {
        let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
    };

    /// The floor: an empty Tauri 2 window (tests/fixtures/empty-window), from its process's
    /// start to its page's first contentful paint (WebKit's Paint Timing).
    async fn empty_start(driver: &Driver, empty: &std::path::Path) -> Duration {
        let client = driver.session_of(empty).await;
        let page = loop {
            let v = js(
                &client,
                "const p = performance.getEntriesByName('first-contentful-paint')[0]; \
                 return p ? [performance.timeOrigin, p.startTime] : null",
            )
            .await;
            if v.is_array() {
                break v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let painted = std::time::UNIX_EPOCH
            + Duration::from_secs_f64((page[0].as_f64().unwrap_or(0.0) + page[1].as_f64().unwrap_or(0.0)) / 1000.0);
        let pid = driver.app_pid(empty).expect("the empty window's process");
        let t = painted.duration_since(started_at(pid).expect("its start")).unwrap_or_default();
        client.close().await.unwrap();
        t
    }
    let empty = std::env::var("BULKHEAD_EMPTY_WINDOW").ok().map(std::path::PathBuf::from).filter(|p| p.exists());

    let (mut cold_ours, mut cold_oxker, mut cold_empty) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..6 {
        let driver = Driver::start(&display, &[]);
        let (client, t) = ours_start(&driver, &app).await;
        client.close().await.unwrap();
        drop(driver);
        let (child, u) = oxker_start();
        stop(child);
        let e = match &empty {
            Some(empty) => {
                let driver = Driver::start(&display, &[]);
                Some(empty_start(&driver, empty).await)
            }
            None => None,
        };
        // The first start of each warms the disk cache: not counted.
        if round > 0 {
            cold_ours.push(ms(t));
            cold_oxker.push(ms(u));
            cold_empty.extend(e.map(ms));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (o, x) = (median(&mut cold_ours), median(&mut cold_oxker));
    println!(
        "bench cold-start-first-row: {o:.0} ms vs oxker {x:.0} ms = {:.2}x (median of {} starts each, interleaved, from process start to the first container row painted, 1,000+ containers; ours through tauri-driver; target <= 1.0x; lower is better)",
        o / x,
        cold_ours.len()
    );
    if !cold_empty.is_empty() {
        let e = median(&mut cold_empty);
        println!(
            "bench cold-start-floor: an empty Tauri 2 window paints its page {e:.0} ms after its process starts = {:.2}x oxker (median of {} starts, interleaved with the above; what no code of ours can shorten here; ours is {:.0} ms above it; lower is better)",
            e / x,
            cold_empty.len(),
            o - e
        );
    }

    // Idle: dockerd's CPU over the same window with nothing, Bulkhead, then oxker open.
    let idle = Duration::from_secs(std::env::var("BULKHEAD_IDLE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60));
    let settle = Duration::from_secs(15);
    let engine_cpu = || cpu_time(dockerd).expect("dockerd's CPU time");
    tokio::time::sleep(settle).await;
    let c0 = engine_cpu();
    tokio::time::sleep(idle).await;
    let baseline = engine_cpu() - c0;

    let driver = Driver::start(&display, &[]);
    let (client, _) = ours_start(&driver, &app).await;
    tokio::time::sleep(settle).await;
    let (c0, a0) = (engine_cpu(), driver.cpu_of(&app).expect("the app's CPU"));
    tokio::time::sleep(idle).await;
    let (ours, ours_own) = (engine_cpu() - c0, driver.cpu_of(&app).expect("the app's CPU") - a0);
    client.close().await.unwrap();
    drop(driver);

    let (child, _) = oxker_start();
    tokio::time::sleep(settle).await;
    let (c0, x0) = (engine_cpu(), cpu_time(child.id()).expect("oxker's CPU"));
    tokio::time::sleep(idle).await;
    let (theirs, theirs_own) = (engine_cpu() - c0, cpu_time(child.id()).expect("oxker's CPU") - x0);
    stop(child);

    let (ours_net, theirs_net) = (ours.saturating_sub(baseline), theirs.saturating_sub(baseline));
    println!(
        "bench idle-engine-cpu-1000: {:.0} ms vs oxker {:.0} ms of dockerd CPU over {} s idle on the list = {:.2}x (each less the engine's own {:.0} ms with neither open; 1,000+ containers; target <= 0.1x; lower is better)",
        ms(ours_net),
        ms(theirs_net),
        idle.as_secs(),
        ms(ours_net) / ms(theirs_net).max(1.0),
        ms(baseline)
    );
    println!(
        "bench idle-own-cpu-1000: Bulkhead {:.0} ms (app and WebKit processes) vs oxker {:.0} ms of CPU over {} s idle on the list (lower is better)",
        ms(ours_own),
        ms(theirs_own),
        idle.as_secs()
    );
}

/// `make bench`: the containers list at 10,000 containers (virtualised rows): how many rows
/// the DOM holds, frames over 25 ms while it scrolls top to bottom at 600 px a frame, and the
/// time from a letter typed in the filter to the filtered list painted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `make bench`"]
async fn bench_list_at_10000_containers_scroll_and_filter() {
    let _serial = SERIAL.lock().await;
    let app = std::env::var("BULKHEAD_RELEASE_APP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| bulkhead_tests::e2e::app_path());
    let _ = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let prefix = unique_name("bench-10k");
    let made = Instant::now();
    // BULKHEAD_LIST_N: fewer, to try the bench out.
    let n: u64 = std::env::var("BULKHEAD_LIST_N").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    create_idle_containers(&prefix, n as usize, &mut cleanup).await;
    println!("({n} containers created in {:.0} s)", made.elapsed().as_secs_f64());
    let display = Display::get();
    let driver = Driver::start(&display, &[]);
    let client = driver.session_of(&app).await;
    wait_listed(&client, n, Duration::from_secs(120)).await;
    let rows = js(&client, "return document.querySelectorAll('[data-testid=container-row]').length").await;
    let rows = rows.as_u64().expect("a count");
    assert!(rows > 0 && rows < 200, "{rows} rows in the DOM for {n} containers: the list is not virtualised");

    // The review of every container is the engine's busiest moment after a start: the scroll
    // is measured once it has answered (a grade on the first row) and the engine has settled.
    wait_for(&client, "[data-testid=container-row] [data-testid=grade]", Duration::from_secs(600)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Scroll: one step a frame, top to bottom (a fast fling: 600 px a frame); each frame's time
    // from requestAnimationFrame. Then the same for an empty element as tall, in the same
    // window, scrolled the same way: the floor of this WebKit on this machine.
    client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(Some(Duration::from_secs(600)), None, None))
        .await
        .expect("script timeout");
    let scroll = "const [empty, done] = arguments; \
        let el = document.querySelector('[data-testid=containers-scroll]'); \
        if (empty) { const h = el.scrollHeight, r = el.getBoundingClientRect(); \
          const box = document.createElement('div'); box.id = 'bench-empty'; \
          box.style.cssText = `position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;height:${r.height}px;overflow:auto;z-index:1000;background:var(--bg)`; \
          const inner = document.createElement('div'); inner.style.height = `${h}px`; box.appendChild(inner); \
          document.body.appendChild(box); el = box; } \
        el.scrollTop = 0; \
        const gaps = []; let last = 0; \
        const step = (t) => { if (last) gaps.push(t - last); last = t; \
          if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) { if (empty) el.remove(); done(gaps); return; } \
          el.scrollTop += 600; requestAnimationFrame(step); }; \
        requestAnimationFrame(() => requestAnimationFrame(step));";
    let frames = |empty: bool| {
        let client = client.clone();
        async move {
            let mut gaps: Vec<f64> = client
                .execute_async(scroll, vec![serde_json::json!(empty)])
                .await
                .unwrap_or_else(|e| panic!("scroll: {e}"))
                .as_array()
                .expect("frame gaps")
                .iter()
                .filter_map(|g| g.as_f64())
                .collect();
            let dropped = gaps.iter().filter(|g| **g > 25.0).count();
            gaps.sort_by(|a, b| a.total_cmp(b));
            (dropped, gaps.len(), gaps[gaps.len() / 2], gaps[gaps.len() * 99 / 100])
        }
    };
    let list = frames(false).await;
    // At the bottom: the last row is drawn.
    let last = js(
        &client,
        "const rows = document.querySelectorAll('[data-testid=container-row]'); \
         return [rows[rows.length - 1]?.getAttribute('aria-rowindex'), \
                 document.querySelector('[data-testid=containers-table]').getAttribute('aria-rowcount')]",
    )
    .await;
    assert_eq!(last[0], last[1], "after the scroll the last row is drawn");
    let floor = frames(true).await;
    println!(
        "bench list-scroll-{n}: {} of {} frames over 25 ms (dropped), median {:.1} ms, p99 {:.1} ms, vs an empty element as tall scrolled the same way in the same window {} of {} dropped, median {:.1} ms, p99 {:.1} ms ({n} containers top to bottom at 600 px a frame, {rows} rows in the DOM; target 0 dropped; lower is better)",
        list.0, list.1, list.2, list.3, floor.0, floor.1, floor.2, floor.3
    );

    // Filter: from the input event to the frame after the list shows the matches (its
    // aria-rowcount, which counts all matches, drawn or not).
    let filter = "const [q, want, done] = arguments; \
        const input = document.querySelector('[data-testid=container-filter]'); \
        const count = () => Number(document.querySelector('[data-testid=containers-table]')?.getAttribute('aria-rowcount') ?? 0) - 1; \
        const t0 = performance.now(); input.value = q; input.dispatchEvent(new Event('input', { bubbles: true })); \
        (async () => { \
          while (count() !== want) await new Promise((r) => setTimeout(r, 0)); \
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))); \
          done(performance.now() - t0); })();";
    let queries = [format!("{prefix}-1234"), format!("{prefix}-12"), format!("{prefix}-5"), prefix.clone()].map(|q| {
        let want = (0..n).filter(|i| format!("{prefix}-{i}").contains(&q)).count();
        (q, want)
    });
    let mut times = Vec::new();
    for round in 0..6 {
        for (q, want) in &queries {
            let ms = client
                .execute_async(filter, vec![serde_json::json!(q), serde_json::json!(want)])
                .await
                .unwrap_or_else(|e| panic!("filter {q}: {e}"))
                .as_f64()
                .expect("ms");
            if round > 0 {
                times.push(ms);
            }
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "bench list-filter-{n}: {:.1} ms median from a filter typed to the matches painted, max {:.1} ms ({} filters of {n} containers to 1 and to a tenth, a hundredth and all of them) (lower is better; target <= 50 ms)",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );
    client.close().await.unwrap();
}

/// `make bench`: whole-app memory idle on 1,000 containers (PSS of the app and WebKit's
/// processes) against an empty Tauri 2 window built from tests/fixtures/empty-window, the two
/// interleaved, both release builds started the same way (tauri-driver); the app process's own
/// RSS; then PSS growth under a churn of one container created and one removed a second (each
/// listed for a few seconds) for BULKHEAD_CHURN_SECS (default 1800).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `make bench`"]
async fn bench_memory_at_1000_containers_and_under_churn() {
    let _serial = SERIAL.lock().await;
    let release = |var: &str| {
        let p = std::path::PathBuf::from(std::env::var(var).unwrap_or_else(|_| panic!("{var} (make bench sets it)")));
        assert!(p.exists(), "{} is missing (make bench builds it)", p.display());
        p
    };
    let (app, empty) = (release("BULKHEAD_RELEASE_APP"), release("BULKHEAD_EMPTY_WINDOW"));
    let _ = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let prefix = unique_name("bench-mem");
    create_idle_containers(&prefix, 1000, &mut cleanup).await;
    let settle = Duration::from_secs(10);
    let display = Display::get();
    // Without a GPU render node Bulkhead turns WebKit's accelerated compositing off (see
    // bulkhead_lib::compositing_off_without_gpu); the empty window keeps WebKit's default. The
    // empty window is then also measured drawing the way Bulkhead does, for a like-for-like ratio.
    let compositing_off = bulkhead_lib::compositing_off_without_gpu(
        std::path::Path::new("/dev/dri"),
        std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some(),
    );
    let off: &[(&str, &str)] = &[("WEBKIT_DISABLE_COMPOSITING_MODE", "1")];
    // Idle memory, each side twice, interleaved.
    let (mut ours, mut base, mut rss, mut base_rss, mut base_off) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut breakdown = [String::new(), String::new(), String::new()];
    for _round in 0..2 {
        let mut sides = vec![(&empty, 0, &[][..]), (&app, 1, &[][..])];
        if compositing_off {
            sides.push((&empty, 2, off));
        }
        for (side, which, env) in sides {
            let driver = Driver::start(&display, env);
            let client = driver.session_of(side).await;
            if which == 1 {
                wait_listed(&client, 1000, Duration::from_secs(60)).await;
            } else {
                wait_for(&client, "#painted", Duration::from_secs(30)).await;
            }
            tokio::time::sleep(settle).await;
            let m = driver.memory_of(side).expect("the app's processes");
            breakdown[which] = m.breakdown();
            match which {
                1 => {
                    ours.push(m.pss_all);
                    rss.push(m.rss_app);
                }
                0 => {
                    base.push(m.pss_all);
                    base_rss.push(m.rss_app);
                }
                _ => base_off.push(m.pss_all),
            }
            client.close().await.unwrap();
        }
    }
    let mb = |b: u64| b as f64 / (1 << 20) as f64;
    let min = |v: &[u64]| *v.iter().min().expect("a figure");
    let (o, b) = (min(&ours), min(&base));
    println!(
        "bench memory-pss-idle-1000: {:.1} MB vs an empty Tauri window {:.1} MB = {:.2}x (PSS of the app and its WebKit processes, the smaller of 2 runs each after {}s idle; target <= 1.15x; smaller is better)",
        mb(o),
        mb(b),
        o as f64 / b as f64,
        settle.as_secs()
    );
    if let Some(&b_off) = base_off.iter().min() {
        println!(
            "bench memory-pss-idle-1000-same-drawing: {:.1} MB vs {:.1} MB for the empty window also without accelerated compositing = {:.2}x (this machine has no GPU render node: Bulkhead draws without it; smaller is better)",
            mb(o),
            mb(b_off),
            o as f64 / b_off as f64
        );
    }
    println!(
        "(PSS by process, last run: Bulkhead: {}; the empty window: {}; the empty window without compositing: {})",
        breakdown[1],
        breakdown[0],
        if breakdown[2].is_empty() { "not measured" } else { &breakdown[2] }
    );
    // The app process also holds GTK and WebKit's UI side: what Bulkhead's backend adds is
    // its RSS less the empty window's.
    let (r, e) = (min(&rss), min(&base_rss));
    println!(
        "bench backend-rss-1000: {:.1} MB more than the empty window's process ({:.1} MB vs {:.1} MB RSS, 1,000 containers listed; target <= 40 MB; smaller is better)",
        mb(r.saturating_sub(e)),
        mb(r),
        mb(e)
    );

    // Churn: every second one container is created and the one created LIVE seconds before is
    // removed, the window open on the list. Each lives long enough to be listed (a container
    // created and removed within the watcher's coalescing window would never reach the page):
    // that the page lists more during the churn and as many as before after it is checked.
    const LIVE: usize = 5;
    let churn =
        Duration::from_secs(std::env::var("BULKHEAD_CHURN_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(1800));
    let driver = Driver::start(&display, &[]);
    let client = driver.session_of(&app).await;
    wait_listed(&client, 1000, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let first = driver.memory_of(&app).expect("the app's processes");
    let remove = |id: String| async move {
        docker()
            .remove_container(
                &id,
                Some(bollard::query_parameters::RemoveContainerOptions { force: true, ..Default::default() }),
            )
            .await
            .expect("remove");
    };
    // What the engine held before the churn (1,000 of ours, and whatever else it holds).
    let before = listed(&client).await;
    let started = Instant::now();
    let mut n = 0u64;
    let mut live = std::collections::VecDeque::new();
    // The most the page listed at once during the churn.
    let mut most = 0;
    // PSS along the way (a sixth of the run apart), so a leak shows as a slope and not only as
    // a difference between two ends.
    let every = churn / 6;
    let mut samples = Vec::new();
    while started.elapsed() < churn {
        let tick = Instant::now();
        if !every.is_zero() && started.elapsed() >= every * (samples.len() as u32 + 1) {
            samples.push(driver.memory_of(&app).expect("the app's processes").pss_all);
        }
        let body = bollard::models::ContainerCreateBody {
            image: Some(FIXTURE_IMAGE.into()),
            cmd: Some(vec!["true".into()]),
            labels: Some(test_labels()),
            ..Default::default()
        };
        let opts = bollard::query_parameters::CreateContainerOptions {
            name: Some(format!("{prefix}-churn-{n}")),
            ..Default::default()
        };
        let id = docker().create_container(Some(opts), body).await.expect("create").id;
        cleanup.container(&id);
        live.push_back(id);
        if live.len() > LIVE {
            remove(live.pop_front().expect("a live container")).await;
        }
        if n % 10 == 9 {
            most = most.max(listed(&client).await);
        }
        n += 1;
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed())).await;
    }
    for id in live.drain(..) {
        remove(id).await;
    }
    tokio::time::sleep(Duration::from_secs(30)).await;
    let last = driver.memory_of(&app).expect("the app's processes");
    let after = listed(&client).await;
    client.close().await.unwrap();
    let along: Vec<String> = samples.iter().map(|&p| format!("{:.1}", mb(p))).collect();
    println!(
        "bench churn-growth: PSS {:+.1} MB, app RSS {:+.1} MB over {} s ({n} containers created and removed, 1/s, each listed for {LIVE} s: the page listed {before}, up to {most} during it, {after} after; PSS from {:.1} MB, then {} every {} s, to {:.1} MB; target: no growth; smaller is better)",
        mb(last.pss_all) - mb(first.pss_all),
        mb(last.rss_app) - mb(first.rss_app),
        churn.as_secs(),
        mb(first.pss_all),
        if along.is_empty() { "-".to_owned() } else { along.join(", ") },
        every.as_secs(),
        mb(last.pss_all)
    );
    println!("(PSS by process before the churn: {}; after it: {})", first.breakdown(), last.breakdown());
    assert!(
        most > before,
        "the page never listed a churned container ({most} at most, {before} before): the churn did not reach it"
    );
    assert_eq!(after, before, "after the churn the page lists what it listed before");
}
