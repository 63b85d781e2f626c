//! A second, real Docker engine for the tests: its own `dockerd` (own data-root, exec-root,
//! pidfile; vfs storage, a bridge of its own and no iptables, so it touches nothing of the first
//! engine — `--bridge=none` would not do: dockerd then deletes `docker0`, the first engine's)
//! listening on a unix socket in a temporary folder and on `tcp://127.0.0.1:PORT` with TLS
//! certificates the test generates (client certificates required). It holds other containers
//! than the first engine, so a test can tell the two apart. The fixture image is moved across
//! with `docker save | docker -H … load` (no registry is reachable).

use crate::tls::Pki;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SecondEngine {
    dir: tempfile::TempDir,
    /// Its bridge (made by the test, removed on drop).
    bridge: String,
    pub socket: PathBuf,
    /// `127.0.0.1:PORT`, TLS with client certificates.
    pub tls_addr: String,
    pub pki: Pki,
    child: Child,
}

impl SecondEngine {
    /// Starts the engine and loads the fixture image into it; `None` (the test skipped) when
    /// this process may not start a dockerd (not root).
    pub async fn start() -> Option<SecondEngine> {
        if !Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n")) {
            crate::skip("a second dockerd needs root (make test runs as root in CI)");
            return None;
        }
        crate::fixture_image().await;
        let dir = tempfile::Builder::new().prefix("bh-dockerd-").tempdir_in("/tmp").expect("tempdir");
        let d = dir.path();
        let pki = Pki::new();
        for (f, body) in
            [("ca.pem", &pki.ca_pem), ("server.pem", &pki.server_cert_pem), ("server-key.pem", &pki.server_key_pem)]
        {
            std::fs::write(d.join(f), body).expect("tls file");
        }
        let socket = d.join("docker.sock");
        let port = crate::free_port();
        let tls_addr = format!("127.0.0.1:{port}");
        // A bridge of its own, on a link-local /24 no other network uses.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bridge = format!("bhbr{}-{k}", std::process::id() % 100_000);
        let n = (std::process::id() + k) % 250 + 1;
        let _ = Command::new("ip").args(["link", "del", &bridge]).stderr(Stdio::null()).status();
        for args in [
            vec!["link", "add", &bridge, "type", "bridge"],
            vec!["addr", "add", &format!("169.254.{n}.1/24"), "dev", &bridge],
            vec!["link", "set", &bridge, "up"],
        ] {
            let st = Command::new("ip").args(&args).status().expect("ip (iproute2)");
            assert!(st.success(), "ip {args:?}");
        }
        let child = spawn(d, &socket, &tls_addr, &bridge);
        let me = SecondEngine { dir, bridge, socket, tls_addr, pki, child };
        me.wait_until_it_answers();
        me.load_fixture();
        Some(me)
    }

    fn wait_until_it_answers(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while !self.answers() {
            assert!(Instant::now() < deadline, "the second dockerd did not answer: {}", self.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Kills the daemon and the containerd it started with SIGKILL (no shutdown: its
    /// containers' shims live on) and waits until it is gone and its socket refuses. (A
    /// containerd left running after its dockerd's SIGKILL is not taken over by the next
    /// dockerd 28: "timeout waiting for containerd to start". As a service manager would,
    /// the whole engine goes.)
    pub fn kill_hard(&mut self) {
        let containerd = std::fs::read_to_string(self.dir.path().join("exec/containerd/containerd.pid"));
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(pid) = containerd {
            let pid = pid.trim();
            let _ = Command::new("kill").args(["-KILL", pid]).stderr(Stdio::null()).status();
            // Gone, not only signalled: the next dockerd takes a containerd that still shows
            // in /proc for "still running" and then waits for its socket in vain.
            let deadline = Instant::now() + Duration::from_secs(30);
            while Path::new("/proc").join(pid).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        assert!(!self.answers(), "the killed dockerd still answers");
    }

    /// Starts the daemon again on the same folders, socket and port (after `kill_hard`) and
    /// waits until it answers.
    pub fn restart(&mut self) {
        // A stale pidfile and socket are dockerd's to clean up, as after a crash.
        self.child = spawn(self.dir.path(), &self.socket, &self.tls_addr, &self.bridge);
        self.wait_until_it_answers();
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    fn answers(&self) -> bool {
        crate::docker_answers(&self.host())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }

    fn load_fixture(&self) {
        crate::load_fixture_into(&self.host());
    }

    /// `docker -H <this engine> ARGS…`; its stdout.
    pub fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker").args(["-H", &self.host()]).args(args).output().expect("docker");
        assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A test-labelled `sleep` container on this engine (no network: none is needed).
    pub fn run_sleeper(&self, name: &str) -> String {
        crate::run_sleeper_on(&self.host(), crate::FIXTURE_IMAGE, name)
    }

    /// A test-labelled container on this engine that logs `tick` five times a second and is
    /// started again by the engine when the engine comes back (`--restart always`); its ID.
    pub fn run_ticker(&self, name: &str) -> String {
        let label = format!("{}={}", crate::TEST_LABEL, std::process::id());
        self.docker(&[
            "run",
            "-d",
            "--network",
            "none",
            "--restart",
            "always",
            "--label",
            &label,
            "--name",
            name,
            crate::FIXTURE_IMAGE,
            "sh",
            "-c",
            "while :; do echo tick; sleep 0.2; done",
        ])
    }

    /// The client's TLS files for the TCP listener.
    pub fn client_files(&self, dir: &Path) -> bulkhead_core::TlsFiles {
        std::fs::write(dir.join("ca.pem"), &self.pki.ca_pem).expect("ca.pem");
        std::fs::write(dir.join("cert.pem"), &self.pki.client_cert_pem).expect("cert.pem");
        std::fs::write(dir.join("key.pem"), &self.pki.client_key_pem).expect("key.pem");
        Pki::files(dir, true)
    }
}

/// The daemon on the folder `d` (data, exec root, pidfile, config) with its two listeners.
fn spawn(d: &Path, socket: &Path, tls_addr: &str, bridge: &str) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(d.join("dockerd.log")).expect("dockerd.log");
    Command::new("dockerd")
        .arg(format!("--data-root={}", d.join("data").display()))
        .arg(format!("--exec-root={}", d.join("exec").display()))
        .arg(format!("--pidfile={}", d.join("docker.pid").display()))
        .arg(format!("--host=unix://{}", socket.display()))
        .arg(format!("--host=tcp://{tls_addr}"))
        .arg("--tlsverify")
        .arg(format!("--tlscacert={}", d.join("ca.pem").display()))
        .arg(format!("--tlscert={}", d.join("server.pem").display()))
        .arg(format!("--tlskey={}", d.join("server-key.pem").display()))
        .arg(format!("--bridge={bridge}"))
        .args(["--storage-driver=vfs", "--iptables=false", "--ip6tables=false", "--ip-masq=false"])
        .args(["--log-level=error", "--default-ulimit=nofile=1024:1024"])
        // Its own config folder: not the user's daemon.json.
        .arg(format!("--config-file={}", write_config(d).display()))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("dockerd (make test installs docker.io)")
}

fn write_config(d: &Path) -> PathBuf {
    let f = d.join("daemon.json");
    std::fs::write(&f, "{}").expect("daemon.json");
    f
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        // Its containers go with it: stop the daemon (SIGTERM stops them), then its folder.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A daemon killed by a test that then failed (`kill_hard` without `restart`) stopped
        // nothing: its containers' shims and processes, and their network namespaces'
        // mounts, would outlive the test. They all name this folder.
        let dir = self.dir.path().display().to_string();
        if let Ok(out) = Command::new("pgrep").args(["-f", &format!("containerd-shim.*{dir}/")]).output() {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("pkill").args(["-KILL", "-P", pid]).status();
                let _ = Command::new("kill").args(["-KILL", pid]).stderr(Stdio::null()).status();
            }
        }
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        for point in mounts.lines().filter_map(|l| l.split(' ').nth(1)).filter(|p| p.starts_with(&format!("{dir}/"))) {
            let _ = Command::new("umount").arg("-l").arg(point).stderr(Stdio::null()).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
    }
}
