//! What every remote carrier (TLS, SSH) must carry: each kind of call the app makes — bollard's
//! (inspect, create), ours (lists), the log fast path, exec and attach upgrades, a build's
//! streamed context, stats — works over it as it does over the local socket.

use bulkhead_core::build::{self, BuildEvent, BuildRequest};
use bulkhead_core::exec::ExecRequest;
use bulkhead_core::logs::LogOptions;
use bulkhead_core::{ContainerRef, Engine};
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::time::Duration;

/// Runs the calls against `engine` (reached over the carrier `what`), with test objects made
/// on the local engine, and cleans them up.
pub async fn serves_lists_logs_exec_attach_and_builds(engine: &Engine, what: &str) {
    let mut cleanup = Cleanup::new();

    // A container made outside the app, seen through the carrier.
    let id = create_container(
        &mut cleanup,
        &unique_name(what),
        &["sh", "-c", &format!("echo over-{what}; sleep 600")],
        None,
    )
    .await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let listed = engine.list_containers().await.unwrap();
    assert!(listed.iter().any(|c| c.id == id), "the list over {what} has the container");
    let c = ContainerRef::parse(&id).unwrap();

    // Logs: the hand-written fast path on a raw connection of the carrier.
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
    assert_eq!(lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>(), [format!("over-{what}")]);

    // Stats: a streamed body through bollard.
    let sample = tokio::time::timeout(Duration::from_secs(30), engine.stats(&c).next()).await.expect("a stats sample");
    assert!(matches!(sample, Some(Ok(_))), "{sample:?}");

    // Exec: an HTTP upgrade through hyper, both ways.
    let mut s = engine.exec(&c, &ExecRequest { command: "cat".into(), ..Default::default() }).await.unwrap();
    let ping = format!("ping over {what}");
    s.input.write(format!("{ping}\n").as_bytes()).await.unwrap();
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains(&ping) {
        match tokio::time::timeout(Duration::from_secs(30), s.output.next()).await.expect("echo").unwrap() {
            Some(b) => got.extend_from_slice(&b),
            None => panic!("the exec ended early: {:?}", String::from_utf8_lossy(&got)),
        }
    }
    s.input.end().await;

    // Attach to an -it shell, then detach: the container keeps running.
    let sh = start_interactive_sh(&mut cleanup, &unique_name("remote-attach")).await;
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

    // A build: the context streams to the engine in a request body.
    let ctx = tempfile::tempdir().unwrap();
    std::fs::copy("/bin/busybox", ctx.path().join("busybox")).unwrap();
    let case = unique_name("remote-build");
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!("{BUSYBOX_DOCKERFILE}LABEL {TEST_LABEL}={} {TEST_LABEL}.case={case}\n", std::process::id()),
    )
    .unwrap();
    cleanup.images_labelled(&format!("{TEST_LABEL}.case={case}"));
    let tag = format!("bulkhead-test/{}:{what}", unique_name("build"));
    cleanup.image(&tag);
    let plan = build::validate(&BuildRequest {
        context: ctx.path().display().to_string(),
        tags: vec![tag.clone()],
        ..Default::default()
    })
    .unwrap();
    let events = tokio::time::timeout(Duration::from_secs(120), engine.build(plan).collect::<Vec<_>>()).await.unwrap();
    assert!(events.iter().any(|e| matches!(e, BuildEvent::Done { .. })), "{events:?}");

    let state = engine.inspect_container(&shr).await.unwrap();
    assert_eq!(state["State"]["Running"], serde_json::Value::Bool(true), "detaching over {what} left it running");
}
