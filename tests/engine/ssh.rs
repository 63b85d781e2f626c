//! The real engine over SSH, as the docker CLI reaches it: a real sshd on 127.0.0.1 (test-made
//! keys and known_hosts), the system's `ssh` running `docker system dial-stdio` on the "remote"
//! side. Every call the app makes works over it, and each way it fails is a typed error that
//! carries what ssh printed.

use bulkhead_core::model::{ConnectionState, ListEvent, ProgressEvent};
use bulkhead_core::{Endpoint, Engine, ErrorKind, ImageRef, Watcher};
use bulkhead_tests::registry::LocalRegistry;
use bulkhead_tests::ssh::Sshd;
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::time::Duration;

#[tokio::test]
async fn the_real_engine_over_ssh_serves_lists_events_logs_stats_exec_attach_builds_and_push_pull() {
    let _ = engine().await;
    fixture_image().await;
    let Some(sshd) = Sshd::start() else { return };
    let endpoint = Endpoint::Ssh(sshd.addr("bulkhead-ok"));
    let remote = Engine::connect(&endpoint).await.unwrap_or_else(|e| panic!("connect over ssh: {e:?}"));
    assert!(remote.endpoint().to_string().starts_with("ssh://bulkhead-ok"), "{}", remote.endpoint());
    crate::remote::serves_lists_logs_exec_attach_and_builds(&remote, "ssh").await;

    // The watcher: a snapshot over ssh, then a change made outside the app arrives as an event.
    let watcher = Watcher::start(Ok(endpoint.clone()));
    let mut events = Box::pin(watcher.subscribe());
    let connected = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(ev) = events.next().await {
            if let ListEvent::Snapshot { status, .. } = &ev {
                if status.state == ConnectionState::Connected {
                    return;
                }
            }
        }
    })
    .await;
    assert!(connected.is_ok(), "a connected snapshot over ssh: {:?}", watcher.status());
    let mut cleanup = Cleanup::new();
    let id = create_container(&mut cleanup, &unique_name("ssh-watch"), &["sleep", "300"], None).await;
    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(ev) = events.next().await {
            if matches!(&ev, ListEvent::ContainerChanged(c) if c.id == id) {
                return;
            }
        }
    })
    .await;
    assert!(seen.is_ok(), "the created container arrived over ssh");

    // Push and pull: progress streams over ssh; the registry is on this machine, which is the
    // remote host here too.
    let registry = LocalRegistry::start();
    let reference = registry.reference(&format!("bulkhead-test/{}:ssh", unique_name("reg")));
    cleanup.image(&reference);
    let r = ImageRef::parse(&reference).unwrap();
    remote.tag(&ImageRef::parse(FIXTURE_IMAGE).unwrap(), &r).await.unwrap();
    let pushed = tokio::time::timeout(Duration::from_secs(120), remote.push(&r).collect::<Vec<_>>()).await.unwrap();
    assert!(matches!(pushed.last(), Some(ProgressEvent::Done { .. })), "{pushed:?}");
    remote.remove_image(&r, false).await.unwrap();
    let pulled = tokio::time::timeout(Duration::from_secs(120), remote.pull(&r).collect::<Vec<_>>()).await.unwrap();
    assert!(matches!(pulled.last(), Some(ProgressEvent::Done { .. })), "{pulled:?}");
}

#[tokio::test]
async fn each_ssh_failure_is_a_typed_error_with_what_ssh_printed() {
    let Some(sshd) = Sshd::start() else { return };
    let cases = [
        ("bulkhead-wrongkey", ErrorKind::SshAuth, "Permission denied"),
        ("bulkhead-unknownhost", ErrorKind::SshHostKey, "Host key verification failed"),
        ("bulkhead-nodocker", ErrorKind::RemoteDockerMissing, "docker"),
        ("bulkhead-closed", ErrorKind::EngineUnreachable, "Connection refused"),
    ];
    for (alias, kind, said) in cases {
        let e = Engine::connect(&Endpoint::Ssh(sshd.addr(alias))).await.unwrap_err();
        assert_eq!(e.kind, kind, "{alias}: {}", e.message);
        assert!(e.message.contains(said) && e.message.contains(alias), "{alias}: {}", e.message);
    }
}

/// `bulkhead audit --context NAME` and `-H ssh://…`, as `docker --context` takes them: the
/// containers of the engine over SSH, with the kernel facts of the SSH host.
#[tokio::test]
async fn audit_takes_a_context_or_a_host_as_the_cli_does() {
    let _ = engine().await;
    fixture_image().await;
    let Some(sshd) = Sshd::start() else { return };
    let mut cleanup = Cleanup::new();
    let name = unique_name("ssh-audit");
    let id = create_container(&mut cleanup, &name, &["sleep", "300"], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let config = tempfile::tempdir().unwrap();
    let store = bulkhead_core::context::ContextStore::new(config.path());
    store
        .create(&bulkhead_core::context::NewContext {
            name: "sshbox".into(),
            description: "over ssh".into(),
            host: sshd.url("bulkhead-ok"),
            tls: None,
            skip_tls_verify: false,
        })
        .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bulkhead_tests::e2e::app_path())
            .arg("audit")
            .args(args)
            .env("DOCKER_CONFIG", config.path())
            .env("BULKHEAD_SSH_CONFIG", sshd.config())
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DISPLAY")
            .output()
            .expect("bulkhead audit runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let url = sshd.url("bulkhead-ok");
    for how in [["--context", "sshbox"], ["-H", url.as_str()]] {
        let (code, out, err) = run(&[&name, how[0], how[1], "--format", "json"]);
        assert_eq!(code, Some(0), "{how:?}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["containers"][0]["name"], name.as_str(), "{how:?}");
        assert!(
            json["engine"]["facts"]["endpoint"].as_str().unwrap().starts_with("ssh://bulkhead-ok"),
            "{}",
            json["engine"]
        );
        // The kernel of the SSH host, read over SSH.
        let kernel = &json["containers"][0]["kernel"];
        assert_eq!(kernel["cgroup"]["status"], "known", "{kernel}");
        assert!(kernel["source"].as_str().unwrap().starts_with("ssh://bulkhead-ok"), "{kernel}");
    }
    let (code, _, err) = run(&["--context", "nope"]);
    assert_eq!(code, Some(3));
    assert!(err.contains("\"nope\" does not exist"), "{err}");
    let (code, _, err) = run(&["--context", "sshbox", "-H", "unix:///x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("conflicting options"), "{err}");
}

/// The review of an SSH engine's container reads the kernel of the SSH host — over SSH — and
/// judges it as for a local one. Here the SSH host is this machine, so the two must agree.
#[tokio::test]
async fn the_review_over_ssh_reads_the_kernel_of_the_ssh_host() {
    use bulkhead_core::inspect::host::HostRoot;
    let local = engine().await;
    fixture_image().await;
    let Some(sshd) = Sshd::start() else { return };
    let mut cleanup = Cleanup::new();
    let limits = bollard::models::HostConfig { pids_limit: Some(77), ..Default::default() };
    let id = create_container(&mut cleanup, &unique_name("ssh-kernel"), &["sleep", "300"], Some(limits)).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let c = bulkhead_core::ContainerRef::parse(&id).unwrap();
    let remote = Engine::connect(&Endpoint::Ssh(sshd.addr("bulkhead-ok"))).await.unwrap();
    let host = HostRoot::default();
    let over_ssh = remote.review_container(&c, &host, None).await.unwrap().kernel;
    let here = local.review_container(&c, &host, None).await.unwrap().kernel;
    assert!(over_ssh.source.as_deref().is_some_and(|s| s.starts_with("ssh://bulkhead-ok")), "{:?}", over_ssh.source);
    assert_eq!(here.source, None, "this machine's kernel");
    let (g, h) = (over_ssh.cgroup.known().expect("the cgroup, read over ssh"), here.cgroup.known().unwrap());
    assert_eq!(g.pids_max, Some(77), "{g:?}");
    assert_eq!((g.version, &g.driver, &g.path, g.memory_max), (h.version, &h.driver, &h.path, h.memory_max));
    assert_eq!(over_ssh.namespaces, here.namespaces, "the same namespaces against the host's");
    assert_eq!(over_ssh.uid_map, here.uid_map);
    assert_eq!(over_ssh.status, here.status);

    // A stopped container has no process to read, there as here.
    let now = bollard::query_parameters::StopContainerOptions { t: Some(0), ..Default::default() };
    docker().stop_container(&id, Some(now)).await.unwrap();
    let stopped = remote.review_container(&c, &host, None).await.unwrap().kernel;
    assert!(
        matches!(&stopped.cgroup, bulkhead_core::inspect::facts::Probe::Unknown { reason } if reason.contains("not running")),
        "{:?}",
        stopped.cgroup
    );
}
