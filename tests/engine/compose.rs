//! Compose against the real engine: projects found and acted on by label through the API (v1
//! and v2 naming, created here through the API), the real `docker-compose` (Debian's 1.29.2,
//! installed by `make test`) for up / down / build with streamed output and Cancel, its
//! interpolation held against ours, and hostile files refused before anything starts.

use bulkhead_core::compose::{self, file, ComposeCommand, ComposeOutput, ComposeTool, ProjectAction, ProjectName};
use bulkhead_core::logs::LogOptions;
use bulkhead_core::model::ContainerState;
use bulkhead_core::{Endpoint, ErrorKind};
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A project name no other test or run uses (Compose wants lower case).
fn project_name(what: &str) -> String {
    unique_name(what).to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
}

async fn tool() -> ComposeTool {
    compose::run::find_tool().await.expect("docker-compose (make test installs Debian's docker-compose)")
}

/// Runs a Compose command to its end; its lines and exit code.
async fn run_to_end(tool: &ComposeTool, file: &Path, project: &str, cmd: ComposeCommand) -> (Vec<String>, Option<i32>) {
    let out = compose::run::run(tool, file, project, cmd, &Endpoint::from_env().unwrap()).unwrap();
    let mut out = Box::pin(out);
    let mut lines = Vec::new();
    let mut code = None;
    let mut started = false;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(300), out.next()).await.expect("compose ends") {
        match ev {
            ComposeOutput::Started { command } => {
                started = true;
                assert!(command.iter().any(|a| a == project), "{command:?}");
            }
            ComposeOutput::Line { text, .. } => lines.push(text),
            ComposeOutput::Exited { code: c } => code = c,
        }
    }
    assert!(started, "the command line comes first");
    (lines, code)
}

/// Registers what a project makes for removal, however the test ends.
fn clean_project(cleanup: &mut Cleanup, project: &str, services: &[&str]) {
    for s in services {
        cleanup.container(&format!("{project}_{s}_1"));
    }
    cleanup.network(&format!("{project}_back"));
    cleanup.volume(&format!("{project}_data"));
}

#[tokio::test]
async fn projects_are_grouped_by_label_and_acted_on_as_one_through_the_api() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let d = docker();
    // Two projects made the way each Compose generation labels and names them, through the API.
    let v1 = project_name("pv1");
    let v2 = project_name("pv2");
    let labels = |project: &str, service: &str, n: &str, oneoff: &str, files: &str, version: &str| {
        let mut l = test_labels();
        l.extend([
            ("com.docker.compose.project".to_owned(), project.to_owned()),
            ("com.docker.compose.service".to_owned(), service.to_owned()),
            ("com.docker.compose.container-number".to_owned(), n.to_owned()),
            ("com.docker.compose.oneoff".to_owned(), oneoff.to_owned()),
            ("com.docker.compose.project.working_dir".to_owned(), format!("/srv/{project}")),
            ("com.docker.compose.project.config_files".to_owned(), files.to_owned()),
            ("com.docker.compose.version".to_owned(), version.to_owned()),
        ]);
        l
    };
    let pid = std::process::id();
    let net = format!("{v1}_default");
    let owned = vec![format!("com.docker.compose.project={v1}"), format!("{TEST_LABEL}={pid}")];
    let new_net = bulkhead_core::networks::NewNetwork {
        name: net.clone(),
        driver: "bridge".into(),
        labels: owned.clone(),
        ..Default::default()
    };
    engine.create_network(&new_net).await.unwrap();
    cleanup.network(&net);
    let vol = format!("{v1}_data");
    let new_vol = bulkhead_core::volumes::NewVolume {
        name: vol.clone(),
        driver: "local".into(),
        driver_opts: vec![],
        labels: owned,
    };
    engine.create_volume(&new_vol).await.unwrap();
    cleanup.volume(&vol);
    let sleeper =
        || Some(vec!["sh".to_owned(), "-c".to_owned(), "trap 'exit 0' TERM; while true; do sleep 1; done".to_owned()]);
    let make = |name: String, l: HashMap<String, String>, network: Option<String>| {
        let body = bollard::models::ContainerCreateBody {
            cmd: sleeper(),
            labels: Some(l),
            host_config: Some(bollard::models::HostConfig { network_mode: network, ..Default::default() }),
            ..Default::default()
        };
        (name, body)
    };
    let specs = vec![
        make(
            format!("{v1}_web_1"),
            labels(&v1, "web", "1", "False", "docker-compose.yml", "1.29.2"),
            Some(net.clone()),
        ),
        make(
            format!("{v1}_web_2"),
            labels(&v1, "web", "2", "False", "docker-compose.yml", "1.29.2"),
            Some(net.clone()),
        ),
        make(format!("{v1}_db_1"), labels(&v1, "db", "1", "False", "docker-compose.yml", "1.29.2"), Some(net.clone())),
        make(format!("{v1}_web_run_1"), labels(&v1, "web", "1", "True", "docker-compose.yml", "1.29.2"), None),
        make(
            format!("{v2}-api-1"),
            labels(&v2, "api", "1", "False", &format!("/srv/{v2}/compose.yaml"), "2.29.1"),
            None,
        ),
    ];
    let mut ids = Vec::new();
    for (name, body) in specs {
        let id = create_container_with(&mut cleanup, &name, body).await;
        ids.push(id);
    }

    let all = engine.list_containers().await.unwrap();
    let of = |p: &str| all.iter().filter(|c| c.compose.as_ref().is_some_and(|l| l.project == p)).collect::<Vec<_>>();
    assert_eq!(of(&v1).len(), 4, "v1 names (project_service_1) grouped by label");
    assert_eq!(of(&v2).len(), 1, "v2 names (project-service-1)");
    let web2 = of(&v1).into_iter().find(|c| c.name.ends_with("_web_2")).unwrap();
    let l = web2.compose.as_ref().unwrap();
    assert_eq!((l.service.as_str(), l.number, l.oneoff), ("web", Some(2), false));
    assert_eq!(l.config_files, vec![format!("/srv/{v1}/docker-compose.yml")], "v1's relative file resolved");
    assert!(of(&v1).iter().any(|c| c.compose.as_ref().unwrap().oneoff), "the run container is marked");
    assert_eq!(of(&v2)[0].compose.as_ref().unwrap().config_files, vec![format!("/srv/{v2}/compose.yaml")]);

    let p1 = ProjectName::parse(&v1).unwrap();
    // Start: every replica, not the one-off run container.
    let r = engine.project_act(&p1, ProjectAction::Start).await.unwrap();
    assert_eq!(r.containers.len(), 3, "{r:?}");
    assert_eq!(r.failed(), 0, "{r:?}");
    let states = |v: Vec<bulkhead_core::model::ContainerSummary>| {
        v.into_iter().map(|c| (c.name, c.state)).collect::<HashMap<_, _>>()
    };
    let now = states(engine.project_containers(&p1).await.unwrap());
    assert_eq!(now[&format!("{v1}_web_1")], ContainerState::Running);
    assert_eq!(now[&format!("{v1}_db_1")], ContainerState::Running);
    assert_eq!(now[&format!("{v1}_web_run_1")], ContainerState::Created, "one-off containers are not started");
    assert_eq!(
        states(engine.project_containers(&ProjectName::parse(&v2).unwrap()).await.unwrap()).values().next(),
        Some(&ContainerState::Created),
        "the other project untouched"
    );

    // Pause and unpause, then stop: all of them.
    assert_eq!(engine.project_act(&p1, ProjectAction::Pause).await.unwrap().containers.len(), 3);
    assert!(
        states(engine.project_containers(&p1).await.unwrap())
            .values()
            .filter(|s| **s == ContainerState::Paused)
            .count()
            == 3
    );
    engine.project_act(&p1, ProjectAction::Unpause).await.unwrap();
    let r = engine.project_act(&p1, ProjectAction::Stop).await.unwrap();
    assert_eq!((r.containers.len(), r.failed()), (3, 0));
    assert!(states(engine.project_containers(&p1).await.unwrap()).values().all(|s| *s != ContainerState::Running));

    // Remove: the plan names containers, the Compose network and the volume; without the
    // volumes box the volume stays.
    let plan = engine.project_remove_plan(&p1).await.unwrap();
    assert_eq!(plan.containers.len(), 4);
    assert_eq!(plan.networks, vec![net.clone()]);
    assert_eq!(plan.volumes, vec![vol.clone()]);
    engine.project_act(&p1, ProjectAction::Start).await.unwrap();
    let r = engine.project_remove(&p1, false).await.unwrap();
    assert_eq!(r.failed(), 0, "{r:?}");
    assert!(engine.project_containers(&p1).await.unwrap().is_empty(), "running ones were stopped, then removed");
    assert!(
        d.inspect_network(&net, None::<bollard::query_parameters::InspectNetworkOptions>).await.is_err(),
        "its network is gone"
    );
    assert!(d.inspect_volume(&vol).await.is_ok(), "its volume is kept unless asked");
    // Nothing left but the volume: removing with volumes takes it.
    let r = engine.project_remove(&p1, true).await.unwrap();
    assert_eq!(r.volumes.len(), 1);
    assert!(d.inspect_volume(&vol).await.is_err(), "asked: the volume goes");
    let e = engine.project_remove_plan(&p1).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(engine.project_act(&p1, ProjectAction::Start).await.unwrap_err().kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn up_logs_and_down_through_compose_stream_their_output() {
    let engine = engine().await;
    fixture_image().await;
    let tool = tool().await;
    assert!(tool.command.contains("compose"), "{tool:?}");
    let dir = tempfile::tempdir().unwrap();
    let project = project_name("up");
    let mut cleanup = Cleanup::new();
    clean_project(&mut cleanup, &project, &["web", "worker"]);
    let file = compose_project(dir.path(), "");

    let (lines, code) = run_to_end(&tool, &file, &project, ComposeCommand::Up).await;
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains(&project)), "Compose's own progress is streamed: {lines:?}");

    let p = ProjectName::parse(&project).unwrap();
    let cs = engine.project_containers(&p).await.unwrap();
    assert_eq!(cs.len(), 2);
    for c in &cs {
        let l = c.compose.as_ref().unwrap();
        assert_eq!(l.version, tool.version, "made by this Compose");
        assert_eq!(l.config_files, vec![file.canonicalize().unwrap().display().to_string()]);
        assert_eq!(c.state, ContainerState::Running);
    }

    // The project's log: both services, tagged, in time order.
    let opts = LogOptions { follow: false, timestamps: true, ..Default::default() };
    let mut lines = Vec::new();
    for _ in 0..30 {
        lines = engine
            .project_logs(&p, &opts)
            .await
            .unwrap()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flat_map(|b| b.unwrap())
            .collect::<Vec<_>>();
        if lines.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let tagged: Vec<(&str, &str)> =
        lines.iter().map(|l| (l.source.as_deref().unwrap_or(""), l.text.as_str())).collect();
    assert!(tagged.contains(&("web", "hello from web")), "{tagged:?}");
    assert!(tagged.contains(&("worker", "hello from worker")), "{tagged:?}");
    let times: Vec<&str> = lines.iter().map(|l| l.ts.as_deref().unwrap()).collect();
    let parsed: Vec<_> = times
        .iter()
        .map(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "interleaved in time order: {times:?}");
    // Following: a line written now arrives once, tagged.
    let follow = LogOptions { follow: true, tail: Some(1), ..Default::default() };
    let mut live = Box::pin(engine.project_logs(&p, &follow).await.unwrap());
    let web = cs.iter().find(|c| c.compose.as_ref().unwrap().service == "web").unwrap();
    let exec = docker()
        .create_exec(
            &web.id,
            bollard::models::ExecConfig {
                cmd: Some(vec!["sh".into(), "-c".into(), "echo live line > /proc/1/fd/1".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker().start_exec(&exec.id, None).await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !seen.iter().any(|(_, t): &(String, String)| t == "live line") {
        let batch =
            tokio::time::timeout_at(deadline, live.next()).await.expect("the live line arrives").unwrap().unwrap();
        seen.extend(batch.into_iter().map(|l| (l.source.unwrap_or_default(), l.text)));
    }
    assert_eq!(seen.iter().filter(|(_, t)| t == "live line").count(), 1, "{seen:?}");
    assert!(seen.iter().all(|(s, _)| s == "web" || s == "worker"), "{seen:?}");
    drop(live);

    let (lines, code) = run_to_end(&tool, &file, &project, ComposeCommand::Down).await;
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(engine.project_containers(&p).await.unwrap().is_empty(), "down removed them");
}

/// The processes whose command line holds `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmd).contains(needle) {
                out.push(pid);
            }
        }
    }
    out
}

#[tokio::test]
async fn cancelling_a_compose_build_interrupts_compose() {
    engine().await;
    fixture_image().await;
    let tool = tool().await;
    let dir = tempfile::tempdir().unwrap();
    let project = project_name("cancel");
    let mut cleanup = Cleanup::new();
    let label = format!("{TEST_LABEL}={}", std::process::id());
    cleanup.images_labelled(&label);
    // Long enough to be cancelled; short, because Docker 20.10's classic builder finishes the
    // RUN step it is in after its client went away (the test sweep removes the labelled image).
    std::fs::write(dir.path().join("Dockerfile"), format!("FROM {FIXTURE_IMAGE}\nRUN sleep 25\n")).unwrap();
    let file = dir.path().join("compose.yaml");
    std::fs::write(
        &file,
        format!("version: \"3.7\"\nservices:\n  slow:\n    build:\n      context: .\n      labels: {{{TEST_LABEL}: \"{}\"}}\n", std::process::id()),
    )
    .unwrap();
    let out = compose::run::run(&tool, &file, &project, ComposeCommand::Build, &Endpoint::from_env().unwrap()).unwrap();
    let mut out = Box::pin(out);
    // It runs: the command line, then Compose's first words.
    let first = out.next().await.unwrap();
    assert!(matches!(first, ComposeOutput::Started { .. }), "{first:?}");
    // … until the build is at its long step: Compose is busy, not done.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        match tokio::time::timeout_at(deadline, out.next()).await.expect("the build reaches its RUN step") {
            Some(ComposeOutput::Line { text, .. }) if text.contains("sleep 25") => break,
            Some(ComposeOutput::Exited { code }) => panic!("the build ended by itself ({code:?})"),
            Some(_) => {}
            None => panic!("the stream ended"),
        }
    }
    let needle = format!("-p\0{project}\0");
    assert!(!processes_with(&needle).is_empty(), "compose runs");
    // Cancel = drop the stream (what stream_stop does): Compose is interrupted, and is gone.
    drop(out);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !processes_with(&needle).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "compose still runs after Cancel: {:?}",
            processes_with(&needle)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn our_interpolation_matches_docker_compose_config() {
    let tool = tool().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "FROM_DOTENV=dotenv\nBOTH=from-dotenv\nQUOTED=\"a b\"\n").unwrap();
    let cases = [
        ("plain", "$SET"),
        ("braced", "${SET}x"),
        ("soft_unset", "${UNSET:-d1}"),
        ("soft_empty", "${EMPTY:-d2}"),
        ("hard_empty", "${EMPTY-d3}"),
        ("hard_unset", "${UNSET-d4}"),
        ("hard_set", "${SET-d5}"),
        ("dollar", "$$SET and $${SET}"),
        ("dotenv", "${FROM_DOTENV}"),
        ("env_wins", "${BOTH}"),
        ("quoted", "${QUOTED}"),
        ("port", "127.0.0.1:${PORT:-8080}:80"),
        ("mixed", "a${SET}b$SET-c"),
    ];
    let mut text = String::from("version: \"3.7\"\nservices:\n  s:\n    image: busybox\n    environment:\n");
    for (k, v) in &cases {
        text.push_str(&format!("      {k}: \"{v}\"\n"));
    }
    let path = dir.path().join("docker-compose.yml");
    std::fs::write(&path, &text).unwrap();
    let env: HashMap<String, String> =
        [("SET", "v"), ("EMPTY", ""), ("BOTH", "from-env"), ("PATH", &std::env::var("PATH").unwrap())]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    // Theirs: `docker-compose config` with exactly this environment.
    let (program, prefix) = if tool.v2 { ("docker", vec!["compose"]) } else { ("docker-compose", vec![]) };
    let out = std::process::Command::new(program)
        .args(prefix)
        .args(["-f", path.to_str().unwrap(), "config"])
        .env_clear()
        .envs(&env)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs = compose::yaml::parse(&String::from_utf8(out.stdout).unwrap()).unwrap().unwrap();
    let theirs = theirs.get("services").unwrap().get("s").unwrap().get("environment").unwrap();
    // Ours, on the same file and environment.
    let ours = file::load(&path, "docker-compose.yml", env).unwrap();
    let ours = ours.services[0].node.get("environment").unwrap();
    for (k, _) in &cases {
        let a =
            theirs.get(k).and_then(|n| n.as_str()).unwrap_or_else(|| panic!("{k} missing from docker-compose config"));
        // `config` prints a compose file again: its literal `$` are escaped back to `$$`.
        let a = a.replace("$$", "$");
        let b = ours.get(k).and_then(|n| n.as_str()).unwrap();
        assert_eq!(b, a, "{k}: ours {b:?}, docker-compose {a:?}");
    }
}

#[tokio::test]
async fn hostile_compose_files_are_refused_in_bounded_time_and_nothing_starts() {
    let engine = engine().await;
    let tool = tool().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A billion laughs: ten levels of ten aliases.
    let mut bomb = String::from("x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        bomb.push_str(&format!("x-a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
    }
    bomb.push_str("services:\n  web:\n    image: busybox\n    command: *a9\n");
    std::fs::write(d.join("bomb.yaml"), bomb).unwrap();
    // 100 MB (sparse: nothing is read to refuse it).
    let big = std::fs::File::create(d.join("big.yaml")).unwrap();
    big.set_len(100 << 20).unwrap();
    std::fs::write(d.join("binary.yaml"), b"services:\n\x00\x01\x02ELF").unwrap();
    std::fs::write(d.join("latin1.yaml"), b"services:\n  caf\xe9:\n    image: x\n").unwrap();
    std::fs::write(d.join("deep.yaml"), format!("services: {}\n", "[".repeat(5000))).unwrap();
    let fifo = d.join("fifo.yaml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let cases: Vec<(PathBuf, &str)> = vec![
        (d.join("bomb.yaml"), "alias bomb"),
        (d.join("big.yaml"), "MiB"),
        (d.join("binary.yaml"), "binary"),
        (d.join("latin1.yaml"), "not UTF-8"),
        (d.join("deep.yaml"), "line 1"),
        (fifo, "regular file"),
        (PathBuf::from("/proc/self/environ"), "/proc"),
        (PathBuf::from("/dev/zero"), "/dev"),
        (PathBuf::from("relative/compose.yaml"), "absolute"),
        (d.join("missing.yaml"), "cannot be opened"),
    ];
    for (path, says) in &cases {
        let started = std::time::Instant::now();
        let e = compose::review_file(path, &path.display().to_string(), None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{path:?}: {e:?}");
        assert!(e.message.contains(says), "{path:?}: {}", e.message);
        // Bounded: a generous bound that an unbounded expansion or read of 100 MB would blow.
        assert!(started.elapsed() < Duration::from_secs(20), "{path:?} took {:?}", started.elapsed());
        // Up refuses it the same way, before Compose starts.
        let project = project_name("hostile");
        let r = compose::run::run(&tool, path, &project, ComposeCommand::Up, &Endpoint::from_env().unwrap());
        assert_eq!(r.err().map(|e| e.kind), Some(ErrorKind::InvalidArgument), "{path:?}");
        assert!(engine.project_containers(&ProjectName::parse(&project).unwrap()).await.unwrap().is_empty());
    }
}
