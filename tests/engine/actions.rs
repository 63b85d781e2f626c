//! The Run form's create-and-start, the life-cycle actions, top, stats and logs, against the
//! real engine — and a table of bad inputs, each refused with its typed error, creating nothing.

use bulkhead_core::lifecycle::ContainerAction;
use bulkhead_core::logs::{LogOptions, LogStream};
use bulkhead_core::model::ContainerState;
use bulkhead_core::run::{PortRequest, RunRequest};
use bulkhead_core::{ContainerName, ContainerRef, Engine, ErrorKind};
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::time::Duration;

fn request(name: &str, command: &str) -> RunRequest {
    RunRequest {
        image: FIXTURE_IMAGE.into(),
        name: name.into(),
        command: command.into(),
        pids_limit: "6".into(),
        labels: vec![format!("{TEST_LABEL}={}", std::process::id())],
        ..RunRequest::default()
    }
}

/// Runs through core and registers the container for cleanup.
async fn run(engine: &Engine, cleanup: &mut Cleanup, req: &RunRequest) -> String {
    let out = engine.run(req).await.unwrap_or_else(|e| panic!("run {}: {:?} {}", req.name, e.kind, e.message));
    cleanup.container(&out.id);
    out.id
}

async fn state_of(engine: &Engine, id: &str) -> ContainerState {
    engine
        .container_summary(&ContainerRef::parse(id).unwrap())
        .await
        .unwrap()
        .map_or(ContainerState::Unknown, |c| c.state)
}

async fn exists(name: &str) -> bool {
    docker().inspect_container(name, None::<bollard::query_parameters::InspectContainerOptions>).await.is_ok()
}

/// The host's view of a container's pids limit, from its cgroup (v1 or v2, either driver).
pub fn host_pids_max(id: &str) -> Option<String> {
    let candidates = [
        format!("/sys/fs/cgroup/pids/docker/{id}/pids.max"),
        format!("/sys/fs/cgroup/pids/system.slice/docker-{id}.scope/pids.max"),
        format!("/sys/fs/cgroup/docker/{id}/pids.max"),
        format!("/sys/fs/cgroup/system.slice/docker-{id}.scope/pids.max"),
    ];
    candidates.iter().find_map(|p| std::fs::read_to_string(p).ok()).map(|s| s.trim().to_owned())
}

async fn http_get(port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..50 {
        if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let _ = s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").await;
            let mut buf = String::new();
            if s.read_to_string(&mut buf).await.is_ok() && !buf.is_empty() {
                return buf;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing answered on 127.0.0.1:{port}");
}

pub const HTTPD: &str =
    "sh -c 'mkdir -p /www && echo hello from bulkhead > /www/index.html && exec httpd -f -p 80 -h /www'";

#[tokio::test]
async fn run_publishes_the_port_on_127_0_0_1_and_sets_the_pids_limit_in_the_host_cgroup() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let port = free_port();
    let mut req = request(&unique_name("run"), HTTPD);
    req.ports = vec![PortRequest {
        host_ip: "127.0.0.1".into(),
        host_port: port.to_string(),
        container_port: "80".into(),
        protocol: "tcp".into(),
    }];
    req.interactive = true;
    req.tty = true;
    let id = run(&engine, &mut cleanup, &req).await;

    assert_eq!(state_of(&engine, &id).await, ContainerState::Running);
    let body = http_get(port).await;
    assert!(body.contains("hello from bulkhead"), "{body}");
    assert_eq!(host_pids_max(&id).as_deref(), Some("6"), "the host cgroup's pids.max");
    let inspect = engine.inspect_container(&ContainerRef::parse(&id).unwrap()).await.unwrap();
    assert_eq!(inspect["Config"]["Tty"], true);
    assert_eq!(inspect["Config"]["OpenStdin"], true);
    assert_eq!(inspect["HostConfig"]["PortBindings"]["80/tcp"][0]["HostIp"], "127.0.0.1");
}

#[tokio::test]
async fn a_host_port_in_use_fails_with_a_clear_message_and_leaves_nothing_behind() {
    let engine = engine().await;
    fixture_image().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let name = unique_name("busy");
    let mut req = request(&name, HTTPD);
    req.ports = vec![PortRequest {
        host_ip: "127.0.0.1".into(),
        host_port: port.to_string(),
        container_port: "80".into(),
        protocol: "tcp".into(),
    }];
    let e = engine.run(&req).await.unwrap_err();
    assert!(e.message.contains("port"), "{}", e.message);
    assert!(!exists(&name).await, "no half-created container is left");
}

#[tokio::test]
async fn a_missing_image_is_named_and_nothing_is_created() {
    let engine = engine().await;
    let name = unique_name("noimg");
    let mut req = request(&name, "true");
    req.image = "bulkhead-test/not-here:404".into();
    let e = engine.run(&req).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("bulkhead-test/not-here:404"), "{}", e.message);
    assert!(!exists(&name).await);
}

#[tokio::test]
async fn bad_inputs_are_refused_with_their_typed_error_and_create_nothing() {
    let engine = engine().await;
    let name = unique_name("bad");
    let p = |h: &str, c: &str, proto: &str, ip: &str| {
        vec![PortRequest { host_ip: ip.into(), host_port: h.into(), container_port: c.into(), protocol: proto.into() }]
    };
    let cases: Vec<(&str, RunRequest)> = vec![
        ("image", RunRequest { image: "../images/x".into(), ..request(&name, "true") }),
        ("name", RunRequest { name: "../x".into(), ..request(&name, "true") }),
        ("ports.0.containerPort", RunRequest { ports: p("8080", "0", "tcp", "127.0.0.1"), ..request(&name, "true") }),
        ("ports.0.hostPort", RunRequest { ports: p("65536", "80", "tcp", "127.0.0.1"), ..request(&name, "true") }),
        ("ports.0.protocol", RunRequest { ports: p("8080", "80", "http", "127.0.0.1"), ..request(&name, "true") }),
        ("ports.0.hostIp", RunRequest { ports: p("8080", "80", "tcp", "999.1.1.1"), ..request(&name, "true") }),
        ("pidsLimit", RunRequest { pids_limit: "0".into(), ..request(&name, "true") }),
        ("pidsLimit", RunRequest { pids_limit: "-5".into(), ..request(&name, "true") }),
        ("env.0", RunRequest { env: vec!["JUST_A_NAME".into()], ..request(&name, "true") }),
        ("memory", RunRequest { memory: "1k".into(), ..request(&name, "true") }),
        ("command", RunRequest { command: "sh -c 'unclosed".into(), ..request(&name, "true") }),
    ];
    for (field, req) in cases {
        let e = engine.run(&req).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{field}: {}", e.message);
        assert!(e.message.starts_with(field), "the message names {field}: {}", e.message);
        assert!(!exists(&name).await, "{field}: nothing was created");
    }
}

#[tokio::test]
async fn the_whole_life_cycle() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let id = run(&engine, &mut cleanup, &request(&unique_name("life"), "sleep 300")).await;
    let r = ContainerRef::parse(&id[..12]).unwrap();
    let check = |want: ContainerState| {
        let engine = engine.clone();
        let id = id.clone();
        async move { assert_eq!(state_of(&engine, &id).await, want) }
    };
    check(ContainerState::Running).await;

    let top = engine.top(&r).await.expect("top");
    assert!(top.titles.iter().any(|t| t == "CMD"), "{:?}", top.titles);
    assert!(top.processes.iter().any(|p| p.last().is_some_and(|c| c.contains("sleep 300"))), "{:?}", top.processes);

    engine.act(&r, ContainerAction::Pause).await.unwrap();
    check(ContainerState::Paused).await;
    engine.act(&r, ContainerAction::Unpause).await.unwrap();
    check(ContainerState::Running).await;
    engine.act(&r, ContainerAction::Stop { timeout: Some(1) }).await.unwrap();
    check(ContainerState::Exited).await;
    engine.act(&r, ContainerAction::Start).await.unwrap();
    check(ContainerState::Running).await;
    engine.act(&r, ContainerAction::Restart { timeout: Some(1) }).await.unwrap();
    check(ContainerState::Running).await;

    let new_name = unique_name("renamed");
    engine.rename(&r, &ContainerName::parse(&new_name).unwrap()).await.unwrap();
    assert!(exists(&new_name).await);

    // Removing a running container without force is a conflict, said plainly.
    let e = engine.act(&r, ContainerAction::Remove { force: false, volumes: true }).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(e.message.contains("force"), "{}", e.message);
    engine.act(&r, ContainerAction::Kill).await.unwrap();
    check(ContainerState::Exited).await;
    engine.act(&r, ContainerAction::Remove { force: false, volumes: true }).await.unwrap();
    assert!(!exists(&id).await);
    // Acting on what is gone is "not found".
    assert_eq!(engine.act(&r, ContainerAction::Start).await.unwrap_err().kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn batch_actions_report_each_container() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let a = run(&engine, &mut cleanup, &request(&unique_name("batch"), "sleep 300")).await;
    let b = run(&engine, &mut cleanup, &request(&unique_name("batch"), "sleep 300")).await;
    let missing = unique_name("missing");
    let refs: Vec<ContainerRef> = [&a, &b, &missing].iter().map(|s| ContainerRef::parse(s).unwrap()).collect();
    let results = engine.act_many(&refs, ContainerAction::Kill).await;
    assert_eq!(results.len(), 3);
    assert!(results[0].error.is_none() && results[1].error.is_none(), "{results:?}");
    assert_eq!(results[2].error.as_ref().map(|e| e.kind), Some(ErrorKind::NotFound));
    assert_eq!(state_of(&engine, &a).await, ContainerState::Exited);
    assert_eq!(state_of(&engine, &b).await, ContainerState::Exited);
}

#[tokio::test]
async fn stats_arrive_with_the_pids_limit() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let id = run(&engine, &mut cleanup, &request(&unique_name("stats"), "sleep 300")).await;
    let mut stats = Box::pin(engine.stats(&ContainerRef::parse(&id).unwrap()));
    let sample = tokio::time::timeout(Duration::from_secs(10), stats.next())
        .await
        .expect("a sample")
        .expect("stream")
        .expect("ok");
    assert!(sample.pids >= 1, "{sample:?}");
    assert!(sample.memory_limit > 0, "{sample:?}");
    assert!(sample.memory > 0, "{sample:?}");
    if let Some(limit) = sample.pids_limit {
        assert_eq!(limit, 6);
    }
}

#[tokio::test]
async fn logs_tell_stdout_from_stderr_honour_tail_and_timestamps_and_follow() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let id =
        run(&engine, &mut cleanup, &request(&unique_name("logs"), "sh -c 'echo out1; echo err1 >&2; echo out2'")).await;
    let r = ContainerRef::parse(&id).unwrap();
    for _ in 0..50 {
        if state_of(&engine, &id).await == ContainerState::Exited {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all: Vec<_> = engine
        .logs(&r, &LogOptions { tail: None, ..Default::default() })
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .concat()
        .await;
    let got: Vec<(LogStream, &str)> = all.iter().map(|l| (l.stream, l.text.as_str())).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.contains(&(LogStream::Stdout, "out1")) && got.contains(&(LogStream::Stderr, "err1")), "{got:?}");

    let tail: Vec<_> = engine
        .logs(&r, &LogOptions { tail: Some(1), timestamps: true, ..Default::default() })
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .concat()
        .await;
    assert_eq!(tail.len(), 1);
    assert!(tail[0].ts.as_deref().is_some_and(|t| t.starts_with("20")), "{tail:?}");

    let only_err: Vec<_> = engine
        .logs(&r, &LogOptions { tail: None, stdout: false, ..Default::default() })
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .concat()
        .await;
    assert_eq!(only_err.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), vec!["err1"]);

    // Saving streams the log to a file. A link planted where the old code wrote its `.part`
    // file (which it followed, overwriting the link's target) changes nothing: the part file
    // is created exclusively under a name of its own, then renamed into place.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.log");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("saved.log.part")).unwrap();
    std::fs::write(&path, "an older log\n").unwrap();
    let n = engine.save_logs(&r, &LogOptions { tail: None, ..Default::default() }, &path).await.unwrap();
    assert_eq!(n, 3);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut saved: Vec<_> = text.lines().collect();
    saved.sort();
    assert_eq!(saved, ["err1", "out1", "out2"], "{text}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me", "the planted link was not followed");
    let mut left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, ["saved.log", "saved.log.part", "victim"], "no part file is left behind");
    // A folder that cannot be written to: a typed error, the target untouched.
    let err =
        engine.save_logs(&r, &LogOptions::default(), &dir.path().join("missing-dir").join("x.log")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Internal, "{err:?}");

    // Following: new lines arrive while the container runs.
    let talker = run(
        &engine,
        &mut cleanup,
        &request(&unique_name("talker"), "sh -c 'i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done'"),
    )
    .await;
    let mut follow = Box::pin(
        engine
            .logs(
                &ContainerRef::parse(&talker).unwrap(),
                &LogOptions { follow: true, tail: Some(0), ..Default::default() },
            )
            .await
            .unwrap(),
    );
    let mut seen = 0;
    while seen < 5 {
        let batch = tokio::time::timeout(Duration::from_secs(5), follow.next())
            .await
            .expect("followed lines")
            .expect("open")
            .unwrap();
        assert!(batch.iter().all(|l| l.text.starts_with("line ")), "{batch:?}");
        seen += batch.len();
    }

    assert_eq!(
        engine
            .logs(&ContainerRef::parse(&unique_name("gone")).unwrap(), &LogOptions::default())
            .await
            .err()
            .map(|e| e.kind),
        Some(ErrorKind::NotFound)
    );
}
