//! A private image registry (Debian's `docker-registry`) on 127.0.0.1, for pull and push
//! tests; it lives as long as this value. The engine trusts 127.0.0.0/8 without TLS.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalRegistry {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl LocalRegistry {
    pub fn start() -> LocalRegistry {
        LocalRegistry::start_with(None)
    }

    /// A registry that refuses anyone but `user` with `password` (htpasswd, bcrypt).
    pub fn start_with_login(user: &str, password: &str) -> LocalRegistry {
        LocalRegistry::start_with(Some((user, password)))
    }

    fn start_with(login: Option<(&str, &str)>) -> LocalRegistry {
        let port = crate::free_port();
        let dir = std::env::temp_dir().join(crate::unique_name("registry"));
        std::fs::create_dir_all(dir.join("data")).expect("registry dir");
        let config = dir.join("config.yml");
        let mut yaml = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        if let Some((user, password)) = login {
            let hash = bcrypt::hash(password, 4).expect("bcrypt");
            std::fs::write(dir.join("htpasswd"), format!("{user}:{hash}\n")).expect("htpasswd");
            yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: bulkhead-test\n    path: {}\n",
                dir.join("htpasswd").display()
            ));
        }
        std::fs::write(&config, yaml).expect("registry config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (Debian package docker-registry; `make test` installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "the registry did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        LocalRegistry { child, port, dir }
    }

    /// `127.0.0.1:<port>/<path>`.
    pub fn reference(&self, path: &str) -> String {
        format!("127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
