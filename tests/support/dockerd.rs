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
        let log = std::fs::File::create(d.join("dockerd.log")).expect("dockerd.log");
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
        let child = Command::new("dockerd")
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
            .expect("dockerd (make test installs docker.io)");
        let me = SecondEngine { dir, bridge, socket, tls_addr, pki, child };
        let deadline = Instant::now() + Duration::from_secs(90);
        while !me.answers() {
            assert!(Instant::now() < deadline, "the second dockerd did not answer: {}", me.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        me.load_fixture();
        Some(me)
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

    /// The client's TLS files for the TCP listener.
    pub fn client_files(&self, dir: &Path) -> bulkhead_core::TlsFiles {
        std::fs::write(dir.join("ca.pem"), &self.pki.ca_pem).expect("ca.pem");
        std::fs::write(dir.join("cert.pem"), &self.pki.client_cert_pem).expect("cert.pem");
        std::fs::write(dir.join("key.pem"), &self.pki.client_key_pem).expect("key.pem");
        Pki::files(dir, true)
    }
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
        // containerd-shim processes of its containers may outlive it for a moment.
        let _ =
            Command::new("umount").arg("-R").arg("-l").arg(self.dir.path().join("exec")).stderr(Stdio::null()).status();
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
    }
}
