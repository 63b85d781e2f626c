//! End to end: the built `bulkhead` in a real window (WebKitGTK under Xvfb), driven through
//! tauri-driver + WebKitWebDriver, against the real engine.

use bulkhead_tests::e2e::{wait_for, Display, Driver};
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
