//! Driving the real app window: Xvfb (when there is no display), tauri-driver (which runs
//! WebKitWebDriver, which starts the built `bulkhead`), and a fantoccini WebDriver session.

use fantoccini::{Client, ClientBuilder, Locator};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An X display: the caller's, or a private Xvfb that lives as long as this value.
pub struct Display {
    pub name: String,
    xvfb: Option<Child>,
}

impl Display {
    pub fn get() -> Display {
        if let Ok(d) = std::env::var("DISPLAY") {
            if !d.is_empty() {
                return Display { name: d, xvfb: None };
            }
        }
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1400x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian package xvfb; `make test` installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("Xvfb display number");
        Display { name: format!(":{}", line.trim()), xvfb: Some(child) }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(c) = &mut self.xvfb {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The app binary the tests drive: $BULKHEAD_APP, or target/debug/bulkhead.
pub fn app_path() -> PathBuf {
    if let Ok(p) = std::env::var("BULKHEAD_APP") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/bulkhead");
    assert!(p.exists(), "{} is missing: build the app first (`make test` does)", p.display());
    p
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|d| d.join("tauri-driver")).collect::<Vec<_>>())
        .and_then(|c| c.into_iter().find(|p| p.exists()))
    {
        return p;
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let p = PathBuf::from(home).join(".cargo/bin/tauri-driver");
    assert!(
        p.exists(),
        "tauri-driver is not installed (`cargo install tauri-driver --locked --version ^2`; `make test` does)"
    );
    p
}

/// A running tauri-driver; stopped with SIGTERM on drop (SIGKILL would orphan WebKitWebDriver).
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    /// Starts tauri-driver; the app it launches inherits `env` (e.g. DOCKER_HOST).
    pub fn start(display: &Display, env: &[(&str, &str)]) -> Driver {
        let port = crate::free_port();
        let native = crate::free_port();
        let mut cmd = Command::new(tauri_driver());
        cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("DISPLAY", &display.name)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start tauri-driver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "tauri-driver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }

    /// Opens the app window in a new WebDriver session.
    pub async fn session(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app_path().to_string_lossy() }));
        caps.insert("browserName".into(), "wry".into());
        ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("WebDriver session with the app")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `css` matches an element, or fails after `timeout`.
pub async fn wait_for(client: &Client, css: &str, timeout: Duration) -> fantoccini::elements::Element {
    let started = Instant::now();
    loop {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            return e;
        }
        assert!(started.elapsed() < timeout, "{css} did not appear within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
