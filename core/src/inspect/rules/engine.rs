//! Engine and host rules (CIS Docker Benchmark sections 1–3).

use super::{when, EngineCheck, Rule, Scope, Severity};

pub static RULES: &[(Rule, EngineCheck)] = &[
    (
        Rule::new(
            Scope::Engine,
            "engine.tcp-unencrypted",
            Severity::Critical,
            "The engine's API is reached over unencrypted TCP",
            "Anyone who can reach the port can run a privileged container on the host: no password, no TLS.",
            "Listen on the Unix socket only, or require TLS client certificates (--tlsverify with tcp://…:2376).",
            Some("2.7"),
            Some("RULE #1"),
        ),
        |e| when(e.tcp_plain, || vec![format!("endpoint {}", e.endpoint)]),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.tls-unverified",
            Severity::High,
            "The engine's TLS certificate is not verified",
            "The connection is encrypted, but to whoever answers: anyone in between can pose as the engine and read or change every command, registry credentials included.",
            "Give the engine's CA (ca.pem) and turn verification back on (DOCKER_TLS_VERIFY=1, or SkipTLSVerify false in the context).",
            Some("2.7"),
            Some("RULE #1"),
        ),
        |e| when(e.tls_unverified, || vec![format!("endpoint {}", e.endpoint)]),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.socket-permissions",
            Severity::High,
            "The API socket is open to more than root and the docker group",
            "Whoever can write to the socket controls the engine, which is root on the host.",
            "chown root:docker /var/run/docker.sock && chmod 660 /var/run/docker.sock (the engine sets this when it creates the socket).",
            Some("3.15, 3.16"),
            Some("RULE #1"),
        ),
        |e| {
            let s = e.socket.known()?;
            let mode = u32::from_str_radix(&s.mode, 8).unwrap_or(0o777);
            let ev = [
                (mode & 0o007 != 0).then(|| format!("{} mode {} lets every user of the host in", s.path, s.mode)),
                // A rootless engine's socket belongs to the user who runs it, as it should.
                (s.owner != "root" && !e.rootless).then(|| format!("{} is owned by {}", s.path, s.owner)),
                (mode & 0o020 != 0 && s.group != "docker" && s.group != "root")
                    .then(|| format!("{} is writable by group {}", s.path, s.group)),
            ];
            let ev: Vec<String> = ev.into_iter().flatten().collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.socket-group",
            Severity::Info,
            "Who controls the engine",
            "Every member of the socket's group can run a privileged container: each one is effectively root on the host.",
            "Keep the group to the people who administer this machine: gpasswd -d <user> docker.",
            Some("1.1.2"),
            Some("RULE #1"),
        ),
        |e| {
            let members = e.socket_group_members.known()?;
            let group = e.socket.known().map_or("docker", |s| s.group.as_str());
            when(!members.is_empty(), || vec![format!("group {group}: {}", members.join(", "))])
        },
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.no-userns-remap",
            Severity::Medium,
            "User-namespace remapping is off",
            "Without remapping, root in every container is root on the host: any breakout is a full compromise.",
            "Set \"userns-remap\": \"default\" in /etc/docker/daemon.json (or run the engine rootless).",
            Some("2.9"),
            Some("RULE #11"),
        ),
        |e| when(!e.userns_remap && !e.rootless, || vec!["SecurityOptions has no name=userns".into()]),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.not-rootless",
            Severity::Low,
            "The engine runs as root",
            "A rootless engine runs, with its containers, as an ordinary user: an escape reaches that user, not root.",
            "Consider rootless mode (dockerd-rootless-setuptool.sh install).",
            Some("2.1"),
            Some("RULE #11"),
        ),
        |e| when(!e.rootless, || vec!["SecurityOptions has no name=rootless".into()]),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.live-restore-off",
            Severity::Low,
            "Live restore is off",
            "Restarting or upgrading the engine stops every container.",
            "Set \"live-restore\": true in /etc/docker/daemon.json.",
            Some("2.15"),
            None,
        ),
        |e| when(!e.live_restore, || vec!["LiveRestoreEnabled = false".into()]),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.icc",
            Severity::Low,
            "Containers on the default bridge can all reach each other",
            "Any container on the default network can connect to every other one's ports: one compromised container probes the rest.",
            "Set \"icc\": false in /etc/docker/daemon.json, and put containers that must talk on a network of their own.",
            Some("2.2"),
            Some("RULE #5"),
        ),
        |e| when(e.icc == Some(true), || vec!["bridge network: com.docker.network.bridge.enable_icc = true".into()]),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.insecure-registries",
            Severity::Medium,
            "Images are pulled from registries without TLS",
            "An image pulled over plain HTTP can be swapped on the way.",
            "Remove the entries from \"insecure-registries\" and give those registries TLS certificates.",
            Some("2.5"),
            Some("RULE #13"),
        ),
        |e| when(!e.insecure_registries.is_empty(), || e.insecure_registries.clone()),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.experimental",
            Severity::Low,
            "Experimental features are on",
            "Experimental features are not meant for production and have had less security review.",
            "Remove \"experimental\": true from /etc/docker/daemon.json.",
            Some("2.18"),
            None,
        ),
        |e| when(e.experimental, || vec!["ExperimentalBuild = true".into()]),
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.log-unbounded",
            Severity::Low,
            "Container logs grow without limit",
            "The default json-file driver keeps every line: a chatty (or hostile) container fills the host's disk.",
            "Set \"log-opts\": {\"max-size\": \"10m\", \"max-file\": \"3\"} in /etc/docker/daemon.json (or use the local driver).",
            Some("2.13"),
            Some("RULE #7"),
        ),
        |e| {
            if e.logging_driver != "json-file" {
                return None;
            }
            let opts = e.log_opts.known()?;
            when(!opts.iter().any(|o| o.starts_with("max-size")), || {
                vec![format!("logging driver json-file, log-opts: {}", if opts.is_empty() { "none".into() } else { opts.join(", ") })]
            })
        },
    ),
    (
        Rule::new(
            Scope::Engine,
            "engine.storage-on-root",
            Severity::Info,
            "Images and containers share the host's root filesystem",
            "When containers fill the storage directory, the host's own root filesystem is full too.",
            "Put the storage directory (data-root) on a partition of its own.",
            Some("1.1.1"),
            None,
        ),
        |e| when(e.storage_on_root_fs.known() == Some(&true), || vec![format!("{} is on the same filesystem as /", e.storage_dir)]),
    ),
];
