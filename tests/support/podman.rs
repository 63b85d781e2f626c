//! Debian's `podman` serving its Docker-compatible API on a socket of the test's own
//! (`podman system service --time=0 unix://…`), with its own storage root (vfs), run root and
//! containers.conf: cgroupfs, file events, no network namespace set-up, and the ulimits these
//! VMs need (`nofile=1024:1024`, `nproc=4096:4096`). The fixture image is moved across with
//! `docker save | docker -H unix://… load`. Its containers are removed on drop (conmon keeps
//! them running after the service stops).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Podman {
    dir: tempfile::TempDir,
    pub socket: PathBuf,
    child: Child,
    /// The throwaway user a rootless service runs as (made by the test, removed on drop).
    user: Option<String>,
}

/// How the fixture image is named inside Podman (it qualifies short names with localhost/).
pub const FIXTURE_IN_PODMAN: &str = "localhost/bulkhead-test/busybox:fixture";

impl Podman {
    /// Starts the service under `runtime_dir/podman/podman.sock` when given (where the app looks
    /// for a rootless one), else in its own folder; `None` (skipped) without podman or root.
    pub async fn start(runtime_dir: Option<&Path>) -> Option<Podman> {
        Podman::start_as(None, runtime_dir).await
    }

    /// A rootless Podman: the service runs as a user made for this test (`bhpm<pid>`, with the
    /// subordinate ids useradd gives it), removed again on drop with everything it ran.
    pub async fn start_rootless() -> Option<Podman> {
        if !Path::new("/usr/bin/newuidmap").exists() {
            crate::skip("no newuidmap (make test installs uidmap, which rootless Podman needs)");
            return None;
        }
        let user = format!("bhpm{}", std::process::id());
        let _ = Command::new("userdel").args(["-r", &user]).stderr(Stdio::null()).status();
        if Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n")) {
            let made = Command::new("useradd").args(["--create-home", "--shell", "/bin/sh", &user]).status();
            assert!(made.is_ok_and(|s| s.success()), "useradd {user}");
        }
        Podman::start_as(Some(&user), None).await
    }

    async fn start_as(user: Option<&str>, runtime_dir: Option<&Path>) -> Option<Podman> {
        if !Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n")) {
            crate::skip("the podman service of the tests runs as root (make test runs as root in CI)");
            return None;
        }
        if Command::new("podman").arg("--version").output().is_err() {
            crate::skip("no podman (make test installs Debian's podman)");
            return None;
        }
        crate::fixture_image().await;
        let dir = tempfile::Builder::new().prefix("bh-podman-").tempdir_in("/tmp").expect("tempdir");
        let d = dir.path();
        // Some of these VMs mount cgroup v1 with a cgroup2 tree beside it that holds a controller
        // (hugetlb): crun 1.8 then refuses every container ("cgroups in hybrid mode not
        // supported"), runc runs them. runc comes with docker.io.
        let hybrid =
            std::fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers").is_ok_and(|c| !c.trim().is_empty());
        let runtime = if hybrid { "runtime = \"runc\"\n" } else { "" };
        std::fs::write(
            d.join("containers.conf"),
            format!(
                "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\nnetns = \"none\"\n\
                 [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n{runtime}"
            ),
        )
        .expect("containers.conf");
        let socket = match (runtime_dir, user) {
            (Some(r), _) => r.join("podman").join("podman.sock"),
            (None, Some(_)) => d.join("run").join("podman").join("podman.sock"),
            (None, None) => d.join("podman.sock"),
        };
        std::fs::create_dir_all(socket.parent().expect("parent")).expect("socket folder");
        if let Some(u) = user {
            // Its folders are the user's; the runtime folder private, as XDG wants it.
            let st = Command::new("chown").args(["-R", &format!("{u}:{u}")]).arg(d).status().expect("chown");
            assert!(st.success(), "chown {u}");
            let _ = Command::new("chmod").arg("755").arg(d).status();
            let _ = Command::new("chmod").arg("700").arg(d.join("run")).status();
        }
        let log = std::fs::File::create(d.join("podman.log")).expect("podman.log");
        let child = Podman::command(d, user)
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("podman system service");
        let me = Podman { dir, socket, child, user: user.map(str::to_owned) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !me.answers() {
            assert!(Instant::now() < deadline, "podman did not answer: {}", me.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        crate::load_fixture_into(&me.host());
        Some(me)
    }

    fn command(d: &Path, user: Option<&str>) -> Command {
        let mut c = match user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--", "env"])
                    .arg(format!("HOME=/home/{u}"))
                    .arg(format!("XDG_RUNTIME_DIR={}", d.join("run").display()))
                    .arg(format!("CONTAINERS_CONF={}", d.join("containers.conf").display()))
                    .arg("podman")
                    .arg(format!("--runroot={}", d.join("run").join("containers").display()));
                c
            }
            None => {
                let mut c = Command::new("podman");
                c.env("CONTAINERS_CONF", d.join("containers.conf"))
                    .arg(format!("--runroot={}", d.join("run").display()));
                c
            }
        };
        c.arg(format!("--root={}", d.join("root").display())).arg("--storage-driver=vfs");
        c
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    fn answers(&self) -> bool {
        crate::docker_answers(&self.host())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("podman.log")).unwrap_or_default()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = Podman::command(self.dir.path(), self.user.as_deref()).args(["rm", "-a", "-f", "-t", "0"]).output();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
        // conmon of an exec lingers (--exit-delay 300) after its container is gone: only those
        // of this folder, which is unique to this test.
        let _ = Command::new("pkill").arg("-f").arg(self.dir.path()).status();
        if let Some(u) = &self.user {
            // Everything it still runs, then the user itself (home and subordinate ids too).
            let _ = Command::new("pkill").args(["-KILL", "-u", u]).status();
            std::thread::sleep(Duration::from_millis(200));
            let _ = Command::new("userdel").args(["-r", "-f", u]).stderr(Stdio::null()).status();
        }
        // conmon may still be writing its exit files as it dies: try again for a moment.
        for _ in 0..20 {
            if std::fs::remove_dir_all(self.dir.path()).is_ok() || !self.dir.path().exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
