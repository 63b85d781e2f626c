//! The engine's events, against the real engine: a container's create/start/die/destroy seen
//! live in order, the same replayed with `since`/`until`, filters by kind and label, a slow
//! consumer that loses nothing, and what stands out (exec inside, a host namespace).

use bulkhead_core::events::{EngineEvent, EventQuery, EventsEvent};
use bulkhead_core::{Engine, ErrorKind};
use bulkhead_tests::*;
use futures_util::{Stream, StreamExt};
use std::time::Duration;

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

/// Events from the stream until `done` says enough (or 60 s pass: a failure).
async fn collect(
    events: impl Stream<Item = EventsEvent>,
    mut keep: impl FnMut(&EngineEvent) -> bool,
    mut done: impl FnMut(&[EngineEvent]) -> bool,
    slow: Option<Duration>,
) -> Vec<EngineEvent> {
    let mut events = Box::pin(events);
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done(&got) {
        let next = tokio::time::timeout_at(deadline, events.next()).await;
        match next {
            Ok(Some(EventsEvent::Events(batch))) => {
                got.extend(batch.into_iter().filter(|e| keep(e)));
                if let Some(d) = slow {
                    tokio::time::sleep(d).await;
                }
            }
            Ok(Some(EventsEvent::Ended)) | Ok(None) => break,
            Ok(Some(other)) => panic!("unexpected {other:?} after {got:?}"),
            Err(_) => panic!("timed out; got {got:?}"),
        }
    }
    got
}

fn actions(events: &[EngineEvent]) -> Vec<&str> {
    events.iter().map(|e| e.action.as_str()).collect()
}

async fn lifecycle(engine: &Engine, cleanup: &mut Cleanup, label: &str) -> String {
    let _ = engine;
    let id = create_container_with(
        cleanup,
        &unique_name("ev"),
        bollard::models::ContainerCreateBody {
            cmd: Some(vec!["sleep".into(), "600".into()]),
            labels: Some([("dev.bulkhead.test.events".to_owned(), label.to_owned())].into()),
            ..Default::default()
        },
    )
    .await;
    let d = docker();
    d.start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    d.stop_container(&id, Some(bollard::query_parameters::StopContainerOptions { t: Some(0), ..Default::default() }))
        .await
        .unwrap();
    d.remove_container(&id, None::<bollard::query_parameters::RemoveContainerOptions>).await.unwrap();
    id
}

#[tokio::test]
async fn a_containers_life_is_seen_live_in_order_and_replayed_from_since() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let label = unique_name("life");
    let q = EventQuery {
        kinds: vec!["container".into()],
        labels: vec![format!("dev.bulkhead.test.events={label}")],
        since: Some(now()),
        ..Default::default()
    };
    let t0 = now() - 1.0;
    let live = engine.events(&q).unwrap();
    let id = lifecycle(&engine, &mut cleanup, &label).await;
    let seen = collect(live, |e| e.id == id, |g| g.iter().any(|e| e.action == "destroy"), None).await;
    let a = actions(&seen);
    let at = |x: &str| a.iter().position(|y| *y == x).unwrap_or_else(|| panic!("no {x} in {a:?}"));
    assert!(at("create") < at("start") && at("start") < at("die") && at("die") < at("destroy"), "{a:?}");
    assert!(seen.iter().all(|e| e.kind == "container" && e.name.contains("-ev-")), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].time_nano <= w[1].time_nano), "in the engine's order");
    assert!(seen.iter().any(|e| e.attributes.iter().any(|(k, v)| k == "dev.bulkhead.test.events" && *v == label)));

    // History: the same events again from `since` to `until`, then the end.
    let replay = engine.events(&EventQuery { since: Some(t0), until: Some(now() + 0.5), ..q.clone() }).unwrap();
    let again = collect(replay, |e| e.id == id, |_| false, None).await;
    assert_eq!(actions(&again), a, "replayed in the same order");

    // Filters: another kind, another label: nothing of it.
    let images = engine
        .events(&EventQuery { kinds: vec!["image".into()], since: Some(t0), until: Some(now() + 0.5), ..q.clone() })
        .unwrap();
    assert!(collect(images, |e| e.id == id, |_| false, None).await.is_empty());
    let other = engine
        .events(&EventQuery {
            labels: vec!["dev.bulkhead.test.events=someone-else".into()],
            since: Some(t0),
            until: Some(now() + 0.5),
            ..q.clone()
        })
        .unwrap();
    assert!(collect(other, |e| e.id == id, |_| false, None).await.is_empty());

    let bad = engine.events(&EventQuery { kinds: vec!["secrets".into()], ..Default::default() }).err().unwrap();
    assert_eq!(bad.kind, ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn a_slow_consumer_loses_nothing() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let prefix = unique_name("evq");
    let q = EventQuery { kinds: vec!["volume".into()], since: Some(now()), ..Default::default() };
    let stream = engine.events(&q).unwrap();
    const N: usize = 150;
    let maker = {
        let prefix = prefix.clone();
        tokio::spawn(async move {
            let d = docker();
            for i in 0..N {
                let name = format!("{prefix}-{i:04}");
                let opts = bollard::models::VolumeCreateRequest {
                    name: Some(name.clone()),
                    labels: Some(test_labels()),
                    ..Default::default()
                };
                d.create_volume(opts).await.unwrap();
                d.remove_volume(&name, None::<bollard::query_parameters::RemoveVolumeOptions>).await.unwrap();
            }
        })
    };
    for i in 0..N {
        cleanup.volume(&format!("{prefix}-{i:04}"));
    }
    // The consumer sleeps after every batch; the engine keeps writing meanwhile.
    let got = collect(
        stream,
        |e| e.id.starts_with(&prefix),
        |g| g.iter().filter(|e| e.action == "destroy").count() == N,
        Some(Duration::from_millis(150)),
    )
    .await;
    maker.await.unwrap();
    let created: Vec<&str> = got.iter().filter(|e| e.action == "create").map(|e| e.id.as_str()).collect();
    let expected: Vec<String> = (0..N).map(|i| format!("{prefix}-{i:04}")).collect();
    assert_eq!(created, expected, "every create, in order");
    assert_eq!(got.len(), 2 * N, "no event lost");
}

#[tokio::test]
async fn an_exec_inside_and_a_start_with_the_hosts_pid_namespace_stand_out() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let id = create_container(
        &mut cleanup,
        &unique_name("evn"),
        &["sleep", "600"],
        Some(bollard::models::HostConfig { pid_mode: Some("host".into()), ..Default::default() }),
    )
    .await;
    let q = EventQuery {
        kinds: vec!["container".into()],
        container: Some(id.clone()),
        since: Some(now()),
        ..Default::default()
    };
    let stream = engine.events(&q).unwrap();
    let d = docker();
    d.start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let exec = d
        .create_exec(&id, bollard::models::ExecConfig { cmd: Some(vec!["true".into()]), ..Default::default() })
        .await
        .unwrap();
    d.start_exec(&exec.id, None::<bollard::exec::StartExecOptions>).await.unwrap();
    let got = collect(stream, |_| true, |g| g.iter().any(|e| e.action.starts_with("exec_start")), None).await;
    let start = got.iter().find(|e| e.action == "start").expect("start");
    assert!(start.notable.as_deref().unwrap_or_default().contains("PID namespace"), "{start:?}");
    let exec = got.iter().find(|e| e.action.starts_with("exec_start")).unwrap();
    assert!(exec.notable.as_deref().unwrap_or_default().contains("docker exec"), "{exec:?}");
    assert!(got.iter().filter(|e| e.action == "create").all(|e| e.notable.is_none()));
}
