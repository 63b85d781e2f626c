//! Debian's Podman through its Docker-compatible API, as Bulkhead drives it: found where the
//! switcher looks for it, then run, lists, life cycle, logs, stats, exec, images, `docker info`
//! and the review — each on the real service.

use bulkhead_core::engines::{EngineCatalog, EngineSource};
use bulkhead_core::exec::ExecRequest;
use bulkhead_core::lifecycle::ContainerAction;
use bulkhead_core::logs::LogOptions;
use bulkhead_core::model::ContainerState;
use bulkhead_core::run::RunRequest;
use bulkhead_core::{ContainerRef, Endpoint, Engine};
use bulkhead_tests::podman::{Podman, FIXTURE_IN_PODMAN};
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::time::Duration;

#[tokio::test]
async fn podman_serves_run_lists_life_cycle_logs_stats_exec_images_info_and_the_review() {
    let runtime = tempfile::tempdir().unwrap();
    let Some(podman) = Podman::start(Some(runtime.path())).await else { return };

    // The switcher finds it where a rootless Podman puts its socket ($XDG_RUNTIME_DIR).
    let config = tempfile::tempdir().unwrap();
    let env = vec![("XDG_RUNTIME_DIR".to_owned(), runtime.path().as_os_str().to_owned())];
    let catalog = EngineCatalog::new(&config.path().join("docker"), &config.path().join("bulkhead"), env);
    let (entries, _) = catalog.list();
    let found = entries.iter().find(|e| e.source == EngineSource::Podman).expect("the Podman socket is listed");
    assert_eq!(found.endpoint, podman.host());
    assert_eq!(catalog.endpoint(&found.id).unwrap(), Endpoint::Unix(podman.socket.clone()));

    let engine = Engine::connect(&Endpoint::Unix(podman.socket.clone())).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(engine.version().product, "Podman");

    // Run through the Run form's path, with a pids limit.
    let name = unique_name("podman");
    let out = engine
        .run(&RunRequest {
            image: FIXTURE_IN_PODMAN.into(),
            name: name.clone(),
            command: "sh -c 'echo from-podman; echo to-stderr >&2; sleep 300'".into(),
            pids_limit: "64".into(),
            labels: vec![format!("{TEST_LABEL}={}", std::process::id())],
            ..RunRequest::default()
        })
        .await
        .unwrap_or_else(|e| panic!("run on podman: {e:?}"));
    let c = ContainerRef::parse(&out.id).unwrap();
    let listed = engine.list_containers().await.unwrap();
    let row = listed.iter().find(|r| r.id == out.id).expect("listed");
    assert_eq!((row.name.as_str(), row.state), (name.as_str(), ContainerState::Running));

    // Logs, stdout and stderr told apart.
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = engine.logs(&c, &LogOptions::default()).await.unwrap().map(|b| b.unwrap()).concat().await;
        if lines.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text: Vec<(String, String)> = lines.iter().map(|l| (format!("{:?}", l.stream), l.text.clone())).collect();
    assert!(text.contains(&("Stdout".into(), "from-podman".into())), "{text:?}");
    assert!(text.contains(&("Stderr".into(), "to-stderr".into())), "{text:?}");

    // Stats, exec.
    let sample = tokio::time::timeout(Duration::from_secs(30), engine.stats(&c).next()).await.expect("a stats sample");
    assert!(matches!(sample, Some(Ok(_))), "{sample:?}");
    let mut s = engine
        .exec(&c, &ExecRequest { command: "sh -c 'echo in-podman-$((6*7))'".into(), ..Default::default() })
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(b) =
        tokio::time::timeout(Duration::from_secs(30), s.output.next()).await.expect("exec output").unwrap()
    {
        got.extend_from_slice(&b);
    }
    assert!(String::from_utf8_lossy(&got).contains("in-podman-42"), "{:?}", String::from_utf8_lossy(&got));

    // Images, docker info (fields Podman leaves empty stay empty, never an error).
    let images = engine.list_images().await.unwrap();
    assert!(images.iter().any(|i| i.repo_tags.iter().any(|t| t == FIXTURE_IN_PODMAN)), "{images:?}");
    let info = engine.system_info().await.unwrap();
    assert_eq!(info.product, "Podman");
    assert_eq!(info.engine_version, engine.version().engine_version);

    // The review: the kernel's truth of a rootful Podman container (root inside is root outside).
    let host = bulkhead_core::inspect::host::HostRoot::default();
    let facts = engine.engine_facts(&host).await.unwrap();
    assert!(!facts.experimental, "Podman always says ExperimentalBuild; it is not a finding");
    let report = engine.review_container(&c, &host, Some(&facts)).await.unwrap();
    let g = report.kernel.cgroup.known().expect("the container's cgroup, read from the kernel");
    assert_eq!(g.pids_max, Some(64), "{g:?}");
    assert!(report.findings.iter().any(|f| f.rule_id == "container.root-user"), "{:?}", report.findings);

    // Life cycle.
    engine.act(&c, ContainerAction::Stop { timeout: Some(1) }).await.unwrap();
    let state = engine.container_summary(&c).await.unwrap().map(|s| s.state);
    assert_eq!(state, Some(ContainerState::Exited));
    engine.act(&c, ContainerAction::Start).await.unwrap();
    engine.act(&c, ContainerAction::Remove { force: true, volumes: true }).await.unwrap();
    assert!(engine.container_summary(&c).await.unwrap().is_none());
}

/// A rootless Podman (run by a user made for the test): the engine is rootless, root in the
/// container is that user on the host (uid_map), so the review does not call it host root.
#[tokio::test]
async fn a_rootless_podman_is_reviewed_as_rootless_root_inside_is_not_root_outside() {
    let Some(podman) = Podman::start_rootless().await else { return };
    let id = run_sleeper_on(&podman.host(), FIXTURE_IN_PODMAN, &unique_name("rootless"));
    let engine = Engine::connect(&Endpoint::Unix(podman.socket.clone())).await.unwrap();
    let host = bulkhead_core::inspect::host::HostRoot::default();
    let facts = engine.engine_facts(&host).await.unwrap();
    assert!(facts.rootless, "Podman's own API says rootless: {facts:?}");
    assert!(engine.system_info().await.unwrap().rootless);
    let report = engine.review_container(&ContainerRef::parse(&id).unwrap(), &host, Some(&facts)).await.unwrap();
    let map = report
        .kernel
        .uid_map
        .known()
        .unwrap_or_else(|| panic!("uid_map read from the kernel: {:?}", report.kernel.uid_map));
    assert!(map.iter().any(|[inside, outside, _]| *inside == 0 && *outside != 0), "{map:?}");
    assert_eq!(report.kernel.root_is_host_root(), Some(false));
    assert_eq!(report.kernel.shares("user"), Some(false), "a user namespace of its own");
    assert!(!report.findings.iter().any(|f| f.rule_id == "container.root-user"), "{:?}", report.findings);
    let engine_findings = bulkhead_core::inspect::rules::check_engine(&facts);
    assert!(!engine_findings.iter().any(|f| f.rule_id == "engine.not-rootless"), "{engine_findings:?}");
}
