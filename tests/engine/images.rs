//! Images against the real engine and a real local registry: build (with .dockerignore, step
//! events, a failing step, cancel), pull and push with progress, tag, remove-in-use, prune plan,
//! history, bad references.

use bulkhead_core::build::{self, BuildEvent, BuildRequest};
use bulkhead_core::logs::LogOptions;
use bulkhead_core::model::{ProgressEvent, PruneMode};
use bulkhead_core::run::RunRequest;
use bulkhead_core::{ContainerRef, Engine, ErrorKind, ImageRef};
use bulkhead_tests::registry::LocalRegistry;
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::path::PathBuf;
use std::time::Duration;

/// A build context folder: busybox, a Dockerfile, a .dockerignore, two files. Its images carry
/// the label `dev.bulkhead.test.case=<case>`; register that with `Cleanup::images_labelled`.
fn context(dockerfile_extra: &str) -> PathBuf {
    context_for(dockerfile_extra, "")
}

fn context_for(dockerfile_extra: &str, case: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_name("ctx"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("/bin/busybox", dir.join("busybox")).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "{BUSYBOX_DOCKERFILE}LABEL {TEST_LABEL}={} {TEST_LABEL}.case={case}\nCOPY . /ctx/\n{dockerfile_extra}",
            std::process::id()
        ),
    )
    .unwrap();
    std::fs::write(dir.join(".dockerignore"), "secret.txt\n*.log\n").unwrap();
    std::fs::write(dir.join("keep.txt"), "kept").unwrap();
    std::fs::write(dir.join("secret.txt"), "must not be sent").unwrap();
    std::fs::write(dir.join("noise.log"), "nor this").unwrap();
    dir
}

async fn build_all(engine: &Engine, req: &BuildRequest) -> Vec<BuildEvent> {
    let plan = build::validate(req).expect("valid build");
    tokio::time::timeout(Duration::from_secs(120), engine.build(plan).collect::<Vec<_>>())
        .await
        .expect("the build ends")
}

async fn progress_all(s: impl futures_util::Stream<Item = ProgressEvent>) -> Vec<ProgressEvent> {
    tokio::time::timeout(Duration::from_secs(120), s.collect::<Vec<_>>()).await.expect("ends")
}

#[tokio::test]
async fn build_honours_dockerignore_reports_steps_tags_twice_and_shows_history() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let case = unique_name("case");
    cleanup.images_labelled(&format!("{TEST_LABEL}.case={case}"));
    let dir = context_for("", &case);
    let t1 = format!("bulkhead-test/{}:v1", unique_name("build"));
    let t2 = format!("bulkhead-test/{}:latest", unique_name("build"));
    cleanup.image(&t1);
    cleanup.image(&t2);
    let events = build_all(
        &engine,
        &BuildRequest { context: dir.display().to_string(), tags: vec![t1.clone(), t2.clone()], ..Default::default() },
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);

    let steps: Vec<(u32, u32)> = events
        .iter()
        .filter_map(|e| match e {
            BuildEvent::Step { number, total, .. } => Some((*number, *total)),
            _ => None,
        })
        .collect();
    assert!(!steps.is_empty(), "{events:?}");
    assert_eq!(steps.last().map(|s| s.0), steps.last().map(|s| s.1), "the last step is n/n: {steps:?}");
    assert!(
        events.iter().any(|e| matches!(e, BuildEvent::Context { bytes } if *bytes > 500_000)),
        "the context (with busybox) was sent"
    );
    let Some(BuildEvent::Done { id, tags }) = events.last() else { panic!("{events:?}") };
    cleanup.image(id);
    assert_eq!(tags, &vec![t1.clone(), t2.clone()]);
    for t in [&t1, &t2] {
        assert_eq!(
            engine.image_summary(&ImageRef::parse(t).unwrap()).await.unwrap().map(|i| i.id),
            Some(id.clone()),
            "{t}"
        );
    }

    let history = engine.history(&ImageRef::parse(&t1).unwrap()).await.unwrap();
    assert!(history.iter().any(|h| h.created_by.contains("COPY") && h.created_by.contains("/ctx/")), "{history:?}");
    assert!(history.iter().any(|h| h.size > 500_000), "the busybox layer has a size");

    // What .dockerignore names never reached the engine.
    let out = engine
        .run(&RunRequest {
            image: t1.clone(),
            command: "ls /ctx".into(),
            labels: vec![format!("{TEST_LABEL}={}", std::process::id())],
            pids_limit: "10".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    cleanup.container(&out.id);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines: Vec<String> = engine
        .logs(&ContainerRef::parse(&out.id).unwrap(), &LogOptions { tail: None, ..Default::default() })
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .concat()
        .await
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(lines.contains(&"keep.txt".to_owned()) && lines.contains(&"Dockerfile".to_owned()), "{lines:?}");
    assert!(!lines.iter().any(|l| l == "secret.txt" || l == "noise.log"), "ignored files were sent: {lines:?}");
}

#[tokio::test]
async fn a_failing_step_is_named_with_its_error() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let case = unique_name("case");
    cleanup.images_labelled(&format!("{TEST_LABEL}.case={case}"));
    let dir = context_for("RUN [\"/bin/sh\", \"-c\", \"echo boom; exit 3\"]\n", &case);
    let tag = format!("bulkhead-test/{}:v1", unique_name("fail"));
    cleanup.image(&tag);
    let events = build_all(
        &engine,
        &BuildRequest { context: dir.display().to_string(), tags: vec![tag.clone()], ..Default::default() },
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let Some(BuildEvent::Failed { error, step }) = events.last() else { panic!("{events:?}") };
    assert!(step.as_deref().is_some_and(|s| s.contains("exit 3")), "{step:?}");
    assert!(error.message.contains("non-zero code: 3"), "{}", error.message);
    assert!(
        events.iter().any(|e| matches!(e, BuildEvent::Log(l) if l.contains("boom"))),
        "the step's output was streamed"
    );
    assert!(engine.image_summary(&ImageRef::parse(&tag).unwrap()).await.unwrap().is_none());
}

/// Running containers of a build case.
async fn running_steps(case: &str) -> usize {
    containers_labelled(&format!("{TEST_LABEL}.case={case}"), true).await
}

#[tokio::test]
async fn cancelling_a_build_stops_it_and_tags_nothing() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let case = unique_name("case");
    cleanup.images_labelled(&format!("{TEST_LABEL}.case={case}"));
    let dir = context_for("RUN [\"/bin/sleep\", \"30\"]\n", &case);
    let tag = format!("bulkhead-test/{}:v1", unique_name("cancel"));
    cleanup.image(&tag);
    let plan = build::validate(&BuildRequest {
        context: dir.display().to_string(),
        tags: vec![tag.clone()],
        ..Default::default()
    })
    .unwrap();
    let mut events = Box::pin(engine.build(plan));
    // Wait for the sleeping step, then walk away.
    loop {
        match tokio::time::timeout(Duration::from_secs(60), events.next()).await.expect("progress").expect("not ended")
        {
            BuildEvent::Step { instruction, .. } if instruction.contains("sleep") => break,
            BuildEvent::Failed { error, .. } => panic!("{}", error.message),
            _ => {}
        }
    }
    // The step runs in a container (it inherits the image's labels, so it carries the case).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while running_steps(&case).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the sleeping step's container never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(events);
    let _ = std::fs::remove_dir_all(&dir);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        engine.image_summary(&ImageRef::parse(&tag).unwrap()).await.unwrap().is_none(),
        "a cancelled build tags nothing"
    );
    assert_eq!(running_steps(&case).await, 0, "the build's step container was stopped");
}

#[tokio::test]
async fn build_requests_are_validated_before_the_engine() {
    let dir = context("");
    let base = BuildRequest {
        context: dir.display().to_string(),
        tags: vec!["bulkhead-test/x:1".into()],
        ..Default::default()
    };
    for (req, field) in [
        (BuildRequest { context: "/nonexistent/nowhere".into(), ..base.clone() }, "context"),
        (BuildRequest { dockerfile: "../../etc/passwd".into(), ..base.clone() }, "dockerfile"),
        (BuildRequest { tags: vec!["../images/x".into()], ..base.clone() }, "tags.0"),
        (BuildRequest { tags: vec!["app@sha256:0123456789abcdef0123456789abcdef".into()], ..base.clone() }, "tags.0"),
        (BuildRequest { build_args: vec!["=x".into()], ..base.clone() }, "buildArgs.0"),
    ] {
        let e = build::validate(&req).err().unwrap_or_else(|| panic!("{field} should be refused"));
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(e.message.starts_with(field), "{field}: {}", e.message);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn push_and_pull_through_a_local_registry_with_progress_and_clear_errors() {
    let engine = engine().await;
    fixture_image().await;
    let registry = LocalRegistry::start();
    let mut cleanup = Cleanup::new();
    let reference = registry.reference(&format!("bulkhead-test/{}:v1", unique_name("reg")));
    cleanup.image(&reference);
    engine.tag(&ImageRef::parse(FIXTURE_IMAGE).unwrap(), &ImageRef::parse(&reference).unwrap()).await.unwrap();

    let pushed = progress_all(engine.push(&ImageRef::parse(&reference).unwrap())).await;
    assert!(matches!(pushed.last(), Some(ProgressEvent::Done { .. })), "{pushed:?}");
    assert!(pushed.iter().any(|e| matches!(e, ProgressEvent::Layer { status, .. } if status == "Pushed" || status.contains("already exists"))), "{pushed:?}");

    engine.remove_image(&ImageRef::parse(&reference).unwrap(), false).await.unwrap();
    assert!(engine.image_summary(&ImageRef::parse(&reference).unwrap()).await.unwrap().is_none());

    let pulled = progress_all(engine.pull(&ImageRef::parse(&reference).unwrap())).await;
    assert!(matches!(pulled.last(), Some(ProgressEvent::Done { .. })), "{pulled:?}");
    assert!(
        pulled.iter().any(|e| matches!(e, ProgressEvent::Layer { .. })
            || matches!(e, ProgressEvent::Status(s) if s.contains("Digest"))),
        "{pulled:?}"
    );
    assert!(engine.image_summary(&ImageRef::parse(&reference).unwrap()).await.unwrap().is_some(), "pulled back");

    // An unknown image, an unreachable registry.
    let missing = registry.reference("bulkhead-test/never-pushed:v1");
    match progress_all(engine.pull(&ImageRef::parse(&missing).unwrap())).await.last() {
        Some(ProgressEvent::Failed(e)) => assert_eq!(e.kind, ErrorKind::NotFound, "{}", e.message),
        other => panic!("{other:?}"),
    }
    let dead = format!("127.0.0.1:{}/bulkhead-test/x:v1", free_port());
    match progress_all(engine.pull(&ImageRef::parse(&dead).unwrap())).await.last() {
        Some(ProgressEvent::Failed(e)) => assert!(e.message.contains("Cannot reach the registry"), "{}", e.message),
        other => panic!("{other:?}"),
    }
    assert_eq!(ImageRef::parse("127.0.0.1:5000/../x").unwrap_err().kind, ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn removing_an_image_in_use_names_the_containers_and_prune_shows_before_it_deletes() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let tag = format!("bulkhead-test/{}:v1", unique_name("inuse"));
    cleanup.image(&tag);
    // An image of our own, so that forcing never touches the shared fixture.
    let id = build_image(&tag, &format!("{BUSYBOX_DOCKERFILE}LABEL inuse=1\n"), test_labels()).await;
    cleanup.image(&id);
    let name = unique_name("user");
    let cid = create_container_with(
        &mut cleanup,
        &name,
        bollard::models::ContainerCreateBody {
            image: Some(id.clone()),
            cmd: Some(vec!["true".into()]),
            ..Default::default()
        },
    )
    .await;
    let e = engine.remove_image(&ImageRef::parse(&id).unwrap(), false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(e.message.contains(&name), "the message names the container: {}", e.message);
    assert!(engine.containers_using(&ImageRef::parse(&tag).unwrap()).await.unwrap().contains(&name));

    // A dangling image: rebuild the tag; the old one is in the dangling plan once nothing uses it.
    docker()
        .remove_container(
            &cid,
            Some(bollard::query_parameters::RemoveContainerOptions { force: true, ..Default::default() }),
        )
        .await
        .unwrap();
    let newer = build_image(&tag, &format!("{BUSYBOX_DOCKERFILE}LABEL inuse=2\n"), test_labels()).await;
    cleanup.image(&newer);
    let plan = engine.prune_plan(PruneMode::Dangling).await.unwrap();
    assert!(plan.images.iter().any(|i| i.id == id && i.dangling), "the old image is in the plan");
    assert!(!plan.images.iter().any(|i| i.id == newer), "a tagged image is not dangling");
    assert!(plan.bytes >= plan.images.iter().map(|i| i.size).max().unwrap_or(0));
    assert!(engine.image_summary(&ImageRef::parse(&id).unwrap()).await.unwrap().is_some(), "planning deletes nothing");
    let unused = engine.prune_plan(PruneMode::Unused).await.unwrap();
    assert!(unused.images.iter().any(|i| i.id == newer), "an unused tagged image is in the unused plan");

    // Prune deletes exactly what it is given.
    let result = engine.prune(&[ImageRef::parse(&id).unwrap()]).await;
    assert_eq!(result.removed, vec![id.clone()]);
    assert!(result.failed.is_empty());
    assert!(engine.image_summary(&ImageRef::parse(&id).unwrap()).await.unwrap().is_none());
    assert!(engine.image_summary(&ImageRef::parse(&newer).unwrap()).await.unwrap().is_some());
}

/// Credentials as the docker CLI finds them: credHelpers for a registry beat credsStore, which
/// beats inline auths; Docker Hub is one key however the reference names it; a helper is run
/// with `get` and the server on stdin; "not found" is no credentials, a missing helper an error;
/// nothing is sent to an engine over plain TCP on another host.
#[tokio::test]
async fn credentials_are_found_as_the_docker_cli_finds_them() {
    use bulkhead_core::registry::{for_engine, registry_of, DOCKER_HUB};
    use bulkhead_core::Endpoint;
    let fake = FakeCredentials::new(&serde_json::json!({
        "auths": { "inline.example:5000": { "auth": "aW5saW5lOnB3" }, "ghcr.io": {} },
        "credsStore": "store",
        "credHelpers": { "ghcr.io": "gh", "broken.example": "missing" }
    }));
    fake.helper("store", &[(DOCKER_HUB, "hubuser", "hubpass")]);
    fake.helper("gh", &[("ghcr.io", "<token>", "ghtoken")]);
    let src = fake.source();

    for hub in ["busybox", "library/busybox:1", "docker.io/library/busybox", "index.docker.io/me/app"] {
        let c = src.get(&registry_of(hub)).await.unwrap().expect(hub);
        assert_eq!(
            (c.username.as_str(), c.password.as_str(), c.server_address.as_str()),
            ("hubuser", "hubpass", DOCKER_HUB)
        );
    }
    assert_eq!(
        fake.asked("store"),
        vec![format!("get|{DOCKER_HUB}"); 4],
        "the CLI's protocol: `get`, the server on stdin"
    );
    // credHelpers wins for its registry; a `<token>` user is an identity token.
    let gh = src.get(&registry_of("ghcr.io/me/app")).await.unwrap().unwrap();
    assert_eq!((gh.identity_token.as_str(), gh.username.as_str()), ("ghtoken", ""));
    assert_eq!(fake.asked("gh"), ["get|ghcr.io"]);
    // With a credsStore, inline auths are not read (the CLI does the same): the store says
    // "not found", which is no credentials, not an error.
    assert_eq!(src.get(&registry_of("inline.example:5000/x")).await.unwrap(), None);
    let missing = src.get(&registry_of("broken.example/x")).await.unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
    assert!(missing.message.contains("docker-credential-missing"), "{}", missing.message);

    // Without a store, inline auths.
    let inline = FakeCredentials::new(
        &serde_json::json!({ "auths": { "https://inline.example:5000/v2/": { "auth": "aW5saW5lOnB3" } } }),
    );
    let c = inline.source().get(&registry_of("inline.example:5000/x")).await.unwrap().unwrap();
    assert_eq!((c.username.as_str(), c.password.as_str()), ("inline", "pw"));

    // The engine's transport decides whether they are sent.
    let (sent, note) = for_engine(&src, &Endpoint::Unix("/run/docker.sock".into()), "busybox").await;
    assert!(sent.is_some() && note.is_none());
    let (sent, note) = for_engine(&src, &Endpoint::Tcp("127.0.0.1:2375".into()), "busybox").await;
    assert!(sent.is_some() && note.is_none(), "loopback TCP stays on this machine");
    let (sent, note) = for_engine(&src, &Endpoint::Tcp("10.1.2.3:2375".into()), "busybox").await;
    assert!(sent.is_none(), "never over plain TCP to another host");
    assert!(note.unwrap().contains("unencrypted TCP"));
    let (sent, note) = for_engine(&src, &Endpoint::Unix("/run/docker.sock".into()), "broken.example/x").await;
    assert!(sent.is_none() && note.unwrap().contains("docker-credential-missing"), "a failing helper: go on without");
}

/// A registry that requires a login: a push without credentials is refused; with a
/// credential store that knows the registry (a fake helper on PATH), the push and a pull
/// through a per-registry helper both work.
#[tokio::test]
async fn push_and_pull_with_credentials_from_a_helper() {
    let engine = engine().await;
    fixture_image().await;
    let registry = LocalRegistry::start_with_login("bulkhead", "s3cret-pw");
    let host = format!("127.0.0.1:{}", registry.port);
    let mut cleanup = Cleanup::new();
    let reference = registry.reference(&format!("bulkhead-test/{}:v1", unique_name("auth")));
    cleanup.image(&reference);
    let r = ImageRef::parse(&reference).unwrap();
    engine.tag(&ImageRef::parse(FIXTURE_IMAGE).unwrap(), &r).await.unwrap();

    let nobody = FakeCredentials::new(&serde_json::json!({}));
    let refused = progress_all(engine.clone().with_credentials(nobody.source()).push(&r)).await;
    match refused.last() {
        Some(ProgressEvent::Failed(e)) => assert!(e.message.contains("docker login"), "{}", e.message),
        other => panic!("{other:?}"),
    }

    let store = FakeCredentials::new(&serde_json::json!({ "credsStore": "fake" }));
    store.helper("fake", &[(&host, "bulkhead", "s3cret-pw")]);
    let pushed = progress_all(engine.clone().with_credentials(store.source()).push(&r)).await;
    assert!(matches!(pushed.last(), Some(ProgressEvent::Done { .. })), "{pushed:?}");
    assert_eq!(store.asked("fake"), [format!("get|{host}")]);
    assert!(!format!("{pushed:?}").contains("s3cret-pw"), "the secret is never shown");

    engine.remove_image(&r, false).await.unwrap();
    let helpers = FakeCredentials::new(&serde_json::json!({ "credHelpers": { &host: "reg" } }));
    helpers.helper("reg", &[(&host, "bulkhead", "s3cret-pw")]);
    let pulled = progress_all(engine.clone().with_credentials(helpers.source()).pull(&r)).await;
    assert!(matches!(pulled.last(), Some(ProgressEvent::Done { .. })), "{pulled:?}");
    assert_eq!(helpers.asked("reg"), [format!("get|{host}")]);
}
