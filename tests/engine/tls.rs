//! The real engine behind TLS with client certificates (a TLS-terminating proxy the test puts in
//! front of its socket): every kind of call the app makes — bollard's (inspect, create), ours
//! (lists), the log fast path, exec and attach upgrades, a build's streamed context — works over
//! the TLS transport as it does over the socket.

use bulkhead_core::{Endpoint, Engine};
use bulkhead_tests::tls::{Pki, TlsProxy};
use bulkhead_tests::*;
use std::sync::atomic::Ordering;

async fn engine_over_tls(pki: &Pki, dir: &std::path::Path) -> (TlsProxy, Engine) {
    let Endpoint::Unix(socket) = Endpoint::from_env().expect("DOCKER_HOST") else {
        panic!("the TLS proxy fronts a unix-socket engine (make test starts one)")
    };
    let proxy = TlsProxy::start(pki, socket).await;
    let endpoint = Endpoint::Tls { addr: proxy.addr.clone(), files: Pki::files(dir, true) };
    let engine = Engine::connect(&endpoint).await.unwrap_or_else(|e| panic!("connect over TLS: {}", e.message));
    (proxy, engine)
}

#[tokio::test]
async fn the_real_engine_behind_tls_serves_lists_logs_exec_attach_and_builds() {
    fixture_image().await;
    let pki = Pki::new();
    let dir = pki.cert_path();
    let (proxy, engine) = engine_over_tls(&pki, dir.path()).await;
    assert!(engine.endpoint().to_string().ends_with("(TLS)"), "{}", engine.endpoint());
    crate::remote::serves_lists_logs_exec_attach_and_builds(&engine, "tls").await;
    assert!(proxy.accepted.load(Ordering::SeqCst) > 0, "the calls went through the TLS proxy");
}

#[tokio::test]
async fn a_wrong_ca_or_a_missing_client_certificate_fails_the_handshake_with_a_typed_error() {
    let pki = Pki::new();
    let dir = pki.cert_path();
    let Endpoint::Unix(socket) = Endpoint::from_env().expect("DOCKER_HOST") else { panic!("unix engine") };
    let proxy = TlsProxy::start(&pki, socket).await;
    let tls = |files| Endpoint::Tls { addr: proxy.addr.clone(), files };

    // Another CA: the engine's certificate is not trusted, and the error says so and where.
    let other = Pki::new().cert_path();
    let mut files = Pki::files(dir.path(), true);
    files.ca = Some(other.path().join("ca.pem"));
    let e = Engine::connect(&tls(files)).await.unwrap_err();
    assert_eq!(e.kind, bulkhead_core::ErrorKind::Engine, "{}", e.message);
    assert!(e.message.contains("TLS handshake") && e.message.contains(&proxy.addr), "{}", e.message);

    // No client certificate: the engine refuses it.
    let mut files = Pki::files(dir.path(), true);
    files.cert = None;
    files.key = None;
    let e = Engine::connect(&tls(files)).await.unwrap_err();
    assert!(e.kind == bulkhead_core::ErrorKind::Engine || e.kind.is_connection(), "{e:?}");
    assert_eq!(proxy.accepted.load(Ordering::SeqCst), 0, "no handshake completed");

    // Verification skipped (any server certificate taken), the client's still sent: it answers.
    let files = bulkhead_core::TlsFiles { ca: None, ..Pki::files(dir.path(), false) };
    let engine = Engine::connect(&tls(files)).await.unwrap();
    assert!(engine.endpoint().to_string().ends_with("(TLS, not verified)"), "{}", engine.endpoint());
    engine.list_containers().await.unwrap();
}

/// A real second dockerd on tcp://127.0.0.1 with TLS and client certificates (not a proxy):
/// its own containers, and none of the first engine's.
#[tokio::test]
async fn a_second_dockerd_over_tls_serves_its_own_containers() {
    let Some(second) = bulkhead_tests::dockerd::SecondEngine::start().await else { return };
    let name = unique_name("second-tls");
    let id = second.run_sleeper(&name);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = Endpoint::Tls { addr: second.tls_addr.clone(), files: second.client_files(dir.path()) };
    let remote = Engine::connect(&endpoint).await.unwrap_or_else(|e| panic!("connect to the second dockerd: {e:?}"));
    let listed = remote.list_containers().await.unwrap();
    assert_eq!(listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [id.as_str()], "only its own container");
    let first = engine().await.list_containers().await.unwrap();
    assert!(!first.iter().any(|c| c.id == id), "the first engine does not have it");
    // Over TCP there is no way to its host's kernel: the rows say so, never pass.
    let host = bulkhead_core::inspect::host::HostRoot::default();
    let kernel =
        remote.review_container(&bulkhead_core::ContainerRef::parse(&id).unwrap(), &host, None).await.unwrap().kernel;
    match &kernel.cgroup {
        bulkhead_core::inspect::facts::Probe::Unknown { reason } => {
            assert!(reason.starts_with("remote engine"), "{reason}")
        }
        known => panic!("a kernel fact of a TCP engine: {known:?}"),
    }

    // The wrong CA: the handshake fails with a typed error that names the engine.
    let mut files = second.client_files(dir.path());
    let other = Pki::new().cert_path();
    files.ca = Some(other.path().join("ca.pem"));
    let e = Engine::connect(&Endpoint::Tls { addr: second.tls_addr.clone(), files }).await.unwrap_err();
    assert!(e.message.contains("TLS handshake") && e.message.contains(&second.tls_addr), "{}", e.message);
}
