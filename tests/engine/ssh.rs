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
