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
    /// The app's own config folder and docker config folder, unless the test gave them: a test
    /// never reads or writes the user's engine choice or docker contexts.
    config: tempfile::TempDir,
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
        let config = tempfile::tempdir().expect("config folder");
        cmd.env("XDG_CONFIG_HOME", config.path().join("xdg")).env("DOCKER_CONFIG", config.path().join("docker"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start tauri-driver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "tauri-driver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port, config }
    }

    /// The app's XDG_CONFIG_HOME (Bulkhead's folder is `bulkhead/` in it; Tauri's own, with the
    /// window state, `dev.bulkhead.desktop/`). It lives as long as the driver: sessions of one
    /// driver are runs of the app by the same user.
    pub fn config_home(&self) -> PathBuf {
        self.config.path().join("xdg")
    }

    /// Opens the app window in a new WebDriver session.
    pub async fn session(&self) -> Client {
        self.session_of(&app_path()).await
    }

    /// Opens the window of the app at `app` (an installed or extracted binary, say).
    pub async fn session_of(&self, app: &std::path::Path) -> Client {
        // The test crate links two rustls providers (its own aws-lc-rs, the app's ring), so
        // rustls cannot pick one by itself for the WebDriver client: name the process default.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app.to_string_lossy() }));
        caps.insert("browserName".into(), "wry".into());
        ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("WebDriver session with the app")
    }
}

/// Memory of the app this driver started (the process whose executable is `app`) and of every
/// process below it (WebKit's web and network processes): PSS summed over all of them, and
/// the app process's own RSS, both in bytes. `None` until the app runs.
pub struct Memory {
    pub pss_all: u64,
    pub rss_app: u64,
    pub processes: usize,
    /// Each process's command name (comm) and PSS, the app first.
    pub by_process: Vec<(String, u64)>,
}

impl Memory {
    /// "app 120 MB, WebKitWebProces 300 MB, …" (comm is cut at 15 characters by the kernel).
    pub fn breakdown(&self) -> String {
        self.by_process
            .iter()
            .map(|(name, pss)| format!("{name} {:.0} MB", *pss as f64 / (1 << 20) as f64))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Driver {
    /// The process of the app at `app` that this driver's session started.
    pub fn app_pid(&self, app: &std::path::Path) -> Option<u32> {
        let app = std::fs::canonicalize(app).ok()?;
        descendants(self.child.id())
            .into_iter()
            .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|exe| exe == app))
    }

    /// CPU time (user + system) of the app and every process below it (WebKit's).
    pub fn cpu_of(&self, app: &std::path::Path) -> Option<Duration> {
        let pid = self.app_pid(app)?;
        Some(std::iter::once(pid).chain(descendants(pid)).filter_map(cpu_time).sum())
    }

    pub fn memory_of(&self, app: &std::path::Path) -> Option<Memory> {
        let pid = self.app_pid(app)?;
        let kb = |file: &str, key: &str, p: u32| -> u64 {
            std::fs::read_to_string(format!("/proc/{p}/{file}"))
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.strip_prefix(key)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        let all: Vec<u32> = std::iter::once(pid).chain(descendants(pid)).collect();
        let by_process: Vec<(String, u64)> = all
            .iter()
            .map(|&p| {
                let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
                (comm.trim().to_owned(), kb("smaps_rollup", "Pss:", p))
            })
            .collect();
        Some(Memory {
            pss_all: by_process.iter().map(|(_, pss)| pss).sum(),
            rss_app: kb("status", "VmRSS:", pid),
            processes: all.len(),
            by_process,
        })
    }
}

/// The fields of /proc/<pid>/stat after the command name (field 3, the state, first).
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    Some(stat.rsplit_once(')')?.1.split_whitespace().skip(1).map(|f| f.parse().unwrap_or(0)).collect())
}

/// CPU time a process has used (utime + stime).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let f = stat_fields(pid)?;
    // utime and stime are fields 14 and 15; the vector starts at field 4.
    let ticks = f.get(10)? + f.get(11)?;
    Some(Duration::from_secs_f64(ticks as f64 / rustix::param::clock_ticks_per_second() as f64))
}

/// When a process started, on the wall clock (10 ms resolution: the kernel counts clock ticks
/// since boot, and boot is placed on the wall clock through CLOCK_BOOTTIME).
pub fn started_at(pid: u32) -> Option<std::time::SystemTime> {
    let f = stat_fields(pid)?;
    let start = Duration::from_secs_f64(*f.get(18)? as f64 / rustix::param::clock_ticks_per_second() as f64);
    let up = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    let boot = std::time::SystemTime::now() - Duration::new(up.tv_sec as u64, up.tv_nsec as u32);
    Some(boot + start)
}

/// A program in a pseudo-terminal of `cols` x `rows` (a session leader with it as its
/// controlling terminal, as in a terminal emulator). A thread drains its output: the time the
/// output first holds `token` is sent on the channel.
pub fn spawn_in_pty(
    program: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    (cols, rows): (u16, u16),
    token: &str,
) -> (Child, std::sync::mpsc::Receiver<std::time::SystemTime>) {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(std::ffi::OsStr::new(&*name.to_string_lossy()))
        .expect("open the pty's slave");
    rustix::termios::tcsetwinsize(
        &slave,
        rustix::termios::Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 },
    )
    .expect("window size");
    // setsid(1) --ctty: a new session whose controlling terminal is stdin (the slave), exec'd in
    // place (the child is not a group leader, so setsid does not fork).
    let mut cmd = Command::new("setsid");
    cmd.arg("--ctty").arg(program).args(args).env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdin(slave.try_clone().expect("slave"))
        .stdout(slave.try_clone().expect("slave"))
        .stderr(slave)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let (tx, rx) = std::sync::mpsc::channel();
    let token = token.as_bytes().to_vec();
    let mut master = std::fs::File::from(master);
    let mut answer = master.try_clone().expect("the pty's master");
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut seen, mut buf, mut sent) = (Vec::new(), [0u8; 65536], false);
        let mut tail = Vec::new();
        // Until the program ends (EIO once the slave is closed everywhere).
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            // Answer what a terminal emulator answers: the cursor position (DSR 6n; crossterm
            // waits for it before its first frame) and the device attributes (DA).
            tail.extend_from_slice(&buf[..n]);
            let has = |t: &[u8], q: &[u8]| t.windows(q.len()).any(|w| w == q);
            if has(&tail, b"\x1b[6n") {
                let _ = answer.write_all(b"\x1b[1;1R");
            }
            if has(&tail, b"\x1b[c") {
                let _ = answer.write_all(b"\x1b[?62;c");
            }
            tail.drain(..tail.len().saturating_sub(3));
            if !sent {
                seen.extend_from_slice(&buf[..n]);
                if seen.windows(token.len()).any(|w| w == token) {
                    let _ = tx.send(std::time::SystemTime::now());
                    sent = true;
                    seen = Vec::new();
                }
            }
        }
    });
    (child, rx)
}

/// The processes below `pid` (children, grandchildren, …), read from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // pid (comm) state ppid …; comm may hold spaces and parentheses.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut out = vec![];
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for &(c, pp) in &parents {
            if pp == p && !out.contains(&c) {
                out.push(c);
                todo.push(c);
            }
        }
    }
    out
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The app WebKitWebDriver started, noted now: a test that panicked leaves its session
        // open, and an app showing a native dialog then outlives the driver.
        let below = descendants(self.child.id());
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        std::thread::sleep(Duration::from_millis(200));
        for p in below {
            if std::path::Path::new(&format!("/proc/{p}")).exists() {
                let _ = Command::new("kill").args(["-KILL", &p.to_string()]).status();
            }
        }
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

/// Runs xdotool on the display; its standard output. Panics with what it said when it fails.
fn xdotool(display: &Display, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", &display.name)
        .output()
        .expect("xdotool (Debian package xdotool; `make test` installs it)");
    assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Resizes the one shown window titled `title` as a window manager does (a ConfigureNotify from
/// X, not a WebDriver command: WebKitWebDriver's window rect does not reach the app's window).
pub fn resize_window(display: &Display, title: &str, width: u32, height: u32) {
    let shown: Vec<String> = windows_titled(display, title).into_iter().filter(|w| viewable(display, w)).collect();
    assert_eq!(shown.len(), 1, "one shown window titled {title}: {shown:?}");
    xdotool(display, &["windowsize", &shown[0], &width.to_string(), &height.to_string()]);
}

/// The X windows whose title is exactly `title` (mapped or not).
pub fn windows_titled(display: &Display, title: &str) -> Vec<String> {
    let out = Command::new("xdotool")
        .args(["search", "--name", &format!("^{}$", regex_escape(title))])
        .env("DISPLAY", &display.name)
        .output()
        .expect("xdotool (Debian package xdotool; `make test` installs it)");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

/// Whether the window is mapped and shown (xwininfo, from Debian's x11-utils).
fn viewable(display: &Display, window: &str) -> bool {
    Command::new("xwininfo")
        .args(["-id", window])
        .env("DISPLAY", &display.name)
        .output()
        .expect("xwininfo (Debian package x11-utils; `make test` installs it)")
        .stdout
        .windows(b"IsViewable".len())
        .any(|w| w == b"IsViewable")
}

fn regex_escape(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// How a native file chooser is answered.
pub enum Answer<'a> {
    /// Type this absolute path into the chooser's location field and press Enter.
    Path(&'a str),
    /// Go into this folder (its path typed into the location field) and choose it.
    Folder(&'a str),
    /// Press Escape.
    Cancel,
}

/// Waits for the app's native GTK file chooser titled `title` to be shown on `display` (seen
/// with xdotool, as a user sees a window) and answers it with the keyboard, as a user would.
/// There is no window manager under Xvfb: the dialog gets the input focus through xdotool.
pub async fn answer_file_chooser(display: &Display, title: &str, answer: Answer<'_>) {
    let started = Instant::now();
    let window = loop {
        let visible: Vec<String> =
            windows_titled(display, title).into_iter().filter(|w| viewable(display, w)).collect();
        if let Some(w) = visible.last() {
            break w.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no file chooser titled {title:?} was shown");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let GTK finish building the dialog before it gets keys.
    tokio::time::sleep(Duration::from_millis(500)).await;
    xdotool(display, &["windowfocus", &window]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    match answer {
        Answer::Path(path) => {
            // Ctrl+L opens the location field (in a save dialog it selects the name field's text).
            xdotool(display, &["key", "--clearmodifiers", "ctrl+l"]);
            tokio::time::sleep(Duration::from_millis(200)).await;
            xdotool(display, &["key", "--clearmodifiers", "ctrl+a"]);
            xdotool(display, &["type", "--delay", "15", path]);
            tokio::time::sleep(Duration::from_millis(300)).await;
            xdotool(display, &["key", "Return"]);
        }
        Answer::Folder(path) => {
            xdotool(display, &["key", "--clearmodifiers", "ctrl+l"]);
            tokio::time::sleep(Duration::from_millis(200)).await;
            xdotool(display, &["key", "--clearmodifiers", "ctrl+a"]);
            xdotool(display, &["type", "--delay", "15", &format!("{}/", path.trim_end_matches('/'))]);
            tokio::time::sleep(Duration::from_millis(300)).await;
            // The first Enter goes into the folder; with nothing selected there, the next one
            // chooses it.
            xdotool(display, &["key", "Return"]);
            tokio::time::sleep(Duration::from_millis(700)).await;
            if windows_titled(display, title).iter().any(|w| viewable(display, w)) {
                xdotool(display, &["key", "Return"]);
            }
        }
        Answer::Cancel => {
            xdotool(display, &["key", "Escape"]);
        }
    }
    // The dialog goes away once answered.
    let started = Instant::now();
    while windows_titled(display, title).iter().any(|w| viewable(display, w)) {
        assert!(started.elapsed() < Duration::from_secs(10), "the file chooser {title:?} stayed open after the answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
