//! A real `sshd` on 127.0.0.1 for the SSH-engine tests: a throwaway host key, throwaway client
//! keys, the test process's own user (so no account is made or changed), and an ssh_config
//! file with one host alias per case — each with its own key and known_hosts — that the client
//! side gets through `SshAddr::config` (`ssh -F`) or `BULKHEAD_SSH_CONFIG`. (Setting `HOME`
//! would not do: ssh finds `~/.ssh` through the passwd entry, not through `$HOME`.)
//!
//! Hosts of the config:
//! - `bulkhead-ok`: an authorised key and the server's key in known_hosts; the remote `docker`
//!   reaches the engine `make test` started.
//! - `bulkhead-nodocker`: an authorised key whose sessions get `PATH=/nonexistent`, so
//!   `docker` is not found on the remote side.
//! - `bulkhead-wrongkey`: a key the server does not know.
//! - `bulkhead-unknownhost`: an empty known_hosts (the host key was never accepted).
//! - `bulkhead-closed`: a port nobody listens on.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("port").port()
}

impl Sshd {
    /// Starts sshd; `None` (and the test is skipped) only when there is no sshd here —
    /// `make test` installs openssh-server.
    pub fn start() -> Option<Sshd> {
        let sshd = Path::new("/usr/sbin/sshd");
        if !sshd.exists() {
            crate::skip("no /usr/sbin/sshd (make test installs openssh-server)");
            return None;
        }
        let dir = tempfile::Builder::new().prefix("bulkhead-sshd-").tempdir().expect("tempdir");
        let d = dir.path();
        for key in ["host_key", "id_ok", "id_nodocker", "id_wrong"] {
            run(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"]).arg(d.join(key)));
        }
        let public =
            |k: &str| std::fs::read_to_string(d.join(format!("{k}.pub"))).expect("public key").trim().to_owned();
        std::fs::write(
            d.join("authorized_keys"),
            format!("{}\nenvironment=\"PATH=/nonexistent\" {}\n", public("id_ok"), public("id_nodocker")),
        )
        .expect("authorized_keys");
        let user = whoami();
        let port = free_port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {pid}\nAuthorizedKeysFile {ak}\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nPermitUserEnvironment PATH\n\
                 AllowUsers {user}\nLogLevel ERROR\n",
                hk = d.join("host_key").display(),
                pid = d.join("sshd.pid").display(),
                ak = d.join("authorized_keys").display(),
            ),
        )
        .expect("sshd_config");
        // sshd, as root, wants its privilege-separation folder.
        let _ = std::fs::create_dir_all("/run/sshd");
        std::fs::write(d.join("known_hosts"), format!("[127.0.0.1]:{port} {}\n", public("host_key")))
            .expect("known_hosts");
        std::fs::write(d.join("known_hosts_empty"), "").expect("known_hosts");
        let closed = free_port();
        let host = |alias: &str, port: u16, key: &str, known: &str| {
            format!(
                "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {key}\n  IdentitiesOnly yes\n  \
                 IdentityAgent none\n  UserKnownHostsFile {known}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  \
                 ControlMaster no\n  ControlPath none\n",
                key = d.join(key).display(),
                known = d.join(known).display(),
            )
        };
        std::fs::write(
            d.join("ssh_config"),
            [
                host("bulkhead-ok", port, "id_ok", "known_hosts"),
                host("bulkhead-nodocker", port, "id_nodocker", "known_hosts"),
                host("bulkhead-wrongkey", port, "id_wrong", "known_hosts"),
                host("bulkhead-unknownhost", port, "id_ok", "known_hosts_empty"),
                host("bulkhead-closed", closed, "id_ok", "known_hosts"),
            ]
            .concat(),
        )
        .expect("ssh_config");
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Its log (e.g. the readiness probe's early close) stays in its folder.
            .stderr(std::fs::File::create(d.join("sshd.log")).expect("sshd.log"))
            .spawn()
            .expect("sshd");
        let me = Sshd { dir, port, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sshd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(me)
    }

    /// The client configuration (`ssh -F`).
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("ssh_config")
    }

    /// An SSH engine address for one of the config's hosts, reaching the engine `make test`
    /// started (its socket path when it is not the default one).
    pub fn addr(&self, alias: &str) -> bulkhead_core::SshAddr {
        let mut addr = bulkhead_core::SshAddr::parse(&self.url(alias)).expect("ssh url");
        addr.config = Some(self.config());
        addr
    }

    /// `ssh://ALIAS[/socket]`, the socket being the local engine's when it is not the default.
    pub fn url(&self, alias: &str) -> String {
        match bulkhead_core::Endpoint::from_env() {
            Ok(bulkhead_core::Endpoint::Unix(p)) if p != Path::new(bulkhead_core::engine::DEFAULT_SOCKET) => {
                format!("ssh://{alias}{}", p.display())
            }
            _ => format!("ssh://{alias}"),
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
