//! The real engine behind TLS with client certificates (a TLS-terminating proxy the test puts in
//! front of its socket): every kind of call the app makes — bollard's (inspect, create), ours
//! (lists), the log fast path, exec and attach upgrades, a build's streamed context — works over
//! the TLS transport as it does over the socket.

use bulkhead_core::build::{self, BuildEvent, BuildRequest};
use bulkhead_core::exec::ExecRequest;
use bulkhead_core::logs::LogOptions;
use bulkhead_core::{ContainerRef, Endpoint, Engine};
use bulkhead_tests::tls::{Pki, TlsProxy};
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use std::time::Duration;

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
    let mut cleanup = Cleanup::new();

    // A container made outside the app, seen through the TLS transport.
    let id = create_container(&mut cleanup, &unique_name("tls"), &["sh", "-c", "echo over-tls; sleep 600"], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let listed = engine.list_containers().await.unwrap();
    assert!(listed.iter().any(|c| c.id == id), "the list over TLS has the container");
    let c = ContainerRef::parse(&id).unwrap();

    // Logs: the hand-written fast path on a raw TLS connection.
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = engine
            .logs(&c, &LogOptions { tail: None, ..Default::default() })
            .await
            .unwrap()
            .map(|b| b.unwrap())
            .concat()
            .await;
        if !lines.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["over-tls"]);

    // Exec: an HTTP upgrade through hyper, both ways.
    let mut s = engine.exec(&c, &ExecRequest { command: "cat".into(), ..Default::default() }).await.unwrap();
    s.input.write(b"ping over tls\n").await.unwrap();
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("ping over tls") {
        match tokio::time::timeout(Duration::from_secs(30), s.output.next()).await.expect("echo").unwrap() {
            Some(b) => got.extend_from_slice(&b),
            None => panic!("the exec ended early: {:?}", String::from_utf8_lossy(&got)),
        }
    }
    s.input.end().await;

    // Attach to an -it shell, then detach: the container keeps running.
    let sh = start_interactive_sh(&mut cleanup, &unique_name("tls-attach")).await;
    let shr = ContainerRef::parse(&sh).unwrap();
    let mut a = engine.attach(&shr, 80, 24).await.unwrap();
    a.input.write(b"echo attached-$((6*7))\r").await.unwrap();
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("attached-42") {
        match tokio::time::timeout(Duration::from_secs(30), a.output.next()).await.expect("attach output").unwrap() {
            Some(b) => got.extend_from_slice(&b),
            None => panic!("the attach ended early"),
        }
    }
    a.input.end().await;
    drop(a.output);

    // A build: the context streams to the engine in a request body over TLS.
    let ctx = tempfile::tempdir().unwrap();
    std::fs::copy("/bin/busybox", ctx.path().join("busybox")).unwrap();
    let case = unique_name("tls-build");
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!("{BUSYBOX_DOCKERFILE}LABEL {TEST_LABEL}={} {TEST_LABEL}.case={case}\n", std::process::id()),
    )
    .unwrap();
    cleanup.images_labelled(&format!("{TEST_LABEL}.case={case}"));
    let tag = format!("bulkhead-test/{}:tls", unique_name("build"));
    cleanup.image(&tag);
    let plan = build::validate(&BuildRequest {
        context: ctx.path().display().to_string(),
        tags: vec![tag.clone()],
        ..Default::default()
    })
    .unwrap();
    let events = tokio::time::timeout(Duration::from_secs(120), engine.build(plan).collect::<Vec<_>>()).await.unwrap();
    assert!(events.iter().any(|e| matches!(e, BuildEvent::Done { .. })), "{events:?}");

    assert!(proxy.accepted.load(Ordering::SeqCst) > 0, "the calls went through the TLS proxy");
    let state = engine.inspect_container(&shr).await.unwrap();
    assert_eq!(state["State"]["Running"], serde_json::Value::Bool(true), "detaching over TLS left it running");
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
