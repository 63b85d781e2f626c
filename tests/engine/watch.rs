//! The list watcher against the real engine: changes made outside the app show up through the
//! event stream; a dead socket is reported; the engine going away and coming back is noticed.

use bulkhead_core::model::{ConnectionState, ListEvent};
use bulkhead_core::{Endpoint, ErrorKind, Watcher};
use bulkhead_tests::proxy::SocketProxy;
use bulkhead_tests::*;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::time::{Duration, Instant};

type Events = Pin<Box<dyn Stream<Item = ListEvent> + Send>>;

/// Waits for the first event that `pick` accepts; fails after `within`.
async fn next_matching<T>(
    events: &mut Events,
    within: Duration,
    what: &str,
    mut pick: impl FnMut(&ListEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(Some(ev)) => {
                if let Some(t) = pick(&ev) {
                    return t;
                }
            }
            Ok(None) => panic!("the watcher's stream ended while waiting for {what}"),
            Err(_) => panic!("no {what} within {within:?}"),
        }
    }
}

fn connected_snapshot(ev: &ListEvent) -> Option<Vec<String>> {
    match ev {
        ListEvent::Snapshot { status, containers, .. } if status.state == ConnectionState::Connected => {
            Some(containers.iter().map(|c| c.id.clone()).collect())
        }
        _ => None,
    }
}

#[tokio::test]
async fn changes_made_outside_the_app_arrive_within_a_second() {
    let _ = engine().await;
    fixture_image().await;
    let watcher = Watcher::start(Endpoint::from_env());
    let mut events: Events = Box::pin(watcher.subscribe());
    next_matching(&mut events, Duration::from_secs(10), "a connected snapshot", connected_snapshot).await;
    assert_eq!(watcher.status().state, ConnectionState::Connected);
    assert!(watcher.status().api_version.is_some());

    let mut cleanup = Cleanup::new();
    let name = unique_name("watch");
    let t0 = Instant::now();
    let id = create_container(&mut cleanup, &name, &["sleep", "300"], None).await;
    let row = next_matching(&mut events, Duration::from_secs(1), "the created container", |ev| match ev {
        ListEvent::ContainerChanged(c) if c.id == id => Some(c.clone()),
        _ => None,
    })
    .await;
    assert_eq!(row.name, name);
    eprintln!("create → row: {:?}", t0.elapsed());

    let t1 = Instant::now();
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    next_matching(&mut events, Duration::from_secs(1), "the container running", |ev| match ev {
        ListEvent::ContainerChanged(c) if c.id == id && c.state == bulkhead_core::model::ContainerState::Running => {
            Some(())
        }
        _ => None,
    })
    .await;
    eprintln!("start → running: {:?}", t1.elapsed());

    let t2 = Instant::now();
    docker()
        .remove_container(
            &id,
            Some(bollard::query_parameters::RemoveContainerOptions { force: true, ..Default::default() }),
        )
        .await
        .unwrap();
    next_matching(&mut events, Duration::from_secs(1), "the removal", |ev| match ev {
        ListEvent::ContainerRemoved { id: gone } if *gone == id => Some(()),
        _ => None,
    })
    .await;
    eprintln!("remove → gone: {:?}", t2.elapsed());

    // Images: a new tag appears, and disappears when removed.
    let tag = format!("bulkhead-test/{}:watch", unique_name("tag"));
    cleanup.image(&tag);
    docker()
        .tag_image(
            FIXTURE_IMAGE,
            Some(bollard::query_parameters::TagImageOptions {
                repo: Some(tag.split(':').next().unwrap().to_owned()),
                tag: Some("watch".into()),
            }),
        )
        .await
        .unwrap();
    next_matching(&mut events, Duration::from_secs(1), "the new tag", |ev| match ev {
        ListEvent::ImageChanged(i) if i.repo_tags.contains(&tag) => Some(()),
        _ => None,
    })
    .await;
    docker().remove_image(&tag, None::<bollard::query_parameters::RemoveImageOptions>, None).await.unwrap();
    next_matching(&mut events, Duration::from_secs(1), "the tag gone", |ev| match ev {
        ListEvent::ImageChanged(i) if !i.repo_tags.contains(&tag) && i.repo_tags.iter().any(|t| t == FIXTURE_IMAGE) => {
            Some(())
        }
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn a_dead_socket_is_reported_with_its_endpoint_and_reason() {
    let path = std::env::temp_dir().join(format!("{}.sock", unique_name("dead")));
    let watcher = Watcher::start(Ok(Endpoint::Unix(path.clone())));
    let mut events: Events = Box::pin(watcher.subscribe());
    let status = next_matching(&mut events, Duration::from_secs(5), "a disconnected status", |ev| match ev {
        ListEvent::Snapshot { status, .. } | ListEvent::Status(status)
            if status.state == ConnectionState::Disconnected =>
        {
            Some(status.clone())
        }
        _ => None,
    })
    .await;
    let err = status.error.expect("a reason");
    assert_eq!(err.kind, ErrorKind::EngineSocketMissing);
    assert_eq!(status.endpoint, format!("unix://{}", path.display()));
    assert!(err.message.contains(&path.display().to_string()), "{}", err.message);
    assert_eq!(watcher.engine().unwrap_err().kind, ErrorKind::EngineSocketMissing);
}

#[tokio::test]
async fn the_engine_going_away_and_coming_back_is_noticed_and_the_lists_resync() {
    let _ = engine().await;
    let Endpoint::Unix(real) = Endpoint::from_env().unwrap() else {
        skip("DOCKER_HOST is not a unix socket: the proxy that plays a dying engine needs one");
        return;
    };
    let path = std::env::temp_dir().join(format!("{}.sock", unique_name("proxy")));
    let mut proxy = SocketProxy::start(&path, &real);
    let watcher = Watcher::start(Ok(Endpoint::Unix(path.clone())));
    let mut events: Events = Box::pin(watcher.subscribe());
    next_matching(&mut events, Duration::from_secs(10), "a connected snapshot", connected_snapshot).await;

    proxy.stop();
    let status = next_matching(&mut events, Duration::from_secs(5), "the loss", |ev| match ev {
        ListEvent::Snapshot { status, containers, .. } if status.state == ConnectionState::Disconnected => {
            assert!(containers.is_empty(), "no stale rows while disconnected");
            Some(status.clone())
        }
        _ => None,
    })
    .await;
    assert!(status.error.unwrap().kind.is_connection());

    // A container created while the engine was "away" must be there after the resync.
    let mut cleanup = Cleanup::new();
    let id = create_container(&mut cleanup, &unique_name("resync"), &["sleep", "60"], None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let back = Instant::now();
    proxy.resume();
    let ids = next_matching(&mut events, Duration::from_secs(2), "a reconnect within 2 s", connected_snapshot).await;
    eprintln!("engine back → connected snapshot: {:?}", back.elapsed());
    assert!(ids.contains(&id), "the full re-list after a reconnect includes what changed meanwhile");
}
