//! Volumes against the real engine: create (and refuse what is wrong or taken), list, inspect,
//! who uses a volume, removal refused while in use, sizes, prune with a preview that then
//! removes exactly what it showed, and the watcher's live updates.

use bulkhead_core::model::{ConnectionState, ListEvent};
use bulkhead_core::volumes::{volume_users, NewVolume, VolumePruneMode};
use bulkhead_core::{Endpoint, ErrorKind, VolumeRef, Watcher};
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::time::Duration;

fn label() -> String {
    format!("{TEST_LABEL}={}", std::process::id())
}

fn new_volume(name: &str) -> NewVolume {
    NewVolume { name: name.to_owned(), labels: vec![label(), "purpose=volumes test".into()], ..Default::default() }
}

/// A stopped container that mounted `volume` at /v and wrote `bytes` bytes to /v/f.
async fn write_into(cleanup: &mut Cleanup, volume: &str, bytes: usize, read_only_too: bool) -> String {
    let name = unique_name("vol-writer");
    let mut binds = vec![format!("{volume}:/v")];
    if read_only_too {
        binds.push(format!("{volume}:/ro:ro"));
    }
    let id = create_container(
        cleanup,
        &name,
        &["sh", "-c", &format!("head -c {bytes} /dev/zero > /v/f")],
        Some(bollard::models::HostConfig { binds: Some(binds), ..Default::default() }),
    )
    .await;
    let d = docker();
    d.start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let mut wait = d.wait_container(&id, None::<bollard::query_parameters::WaitContainerOptions>);
    while let Some(r) = wait.next().await {
        r.unwrap();
    }
    id
}

#[tokio::test]
async fn a_volume_is_created_listed_used_refused_while_in_use_and_removed() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("vol");
    cleanup.volume(&name);

    let mut v = new_volume(&name);
    v.driver_opts = vec!["type=tmpfs".into(), "device=tmpfs".into(), "o=size=4m".into()];
    let made = engine.create_volume(&v).await.expect("create");
    assert_eq!(made.name, name);
    assert!(!made.anonymous);
    assert_eq!(made.driver, "local");
    assert!(made.labels.iter().any(|l| l.key == "purpose" && l.value == "volumes test"));
    assert!(made.options.iter().any(|o| o.key == "o" && o.value == "size=4m"));

    // The engine would hand back the existing volume as new: we refuse the taken name.
    let again = engine.create_volume(&v).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::Conflict, "{again}");

    let listed = engine.list_volumes().await.unwrap();
    assert!(listed.iter().any(|x| x.name == name && x.mountpoint.ends_with("/_data")), "listed with its mountpoint");
    let raw = engine.inspect_volume(&VolumeRef::parse(&name).unwrap()).await.unwrap();
    assert_eq!(raw["Name"], name.as_str());

    // A stopped container that mounts it (once read-write, once read-only) uses it.
    let user = write_into(&mut cleanup, &name, 1000, true).await;
    let containers = engine.list_containers().await.unwrap();
    let users = volume_users(&name, &containers);
    assert_eq!(users.len(), 2, "{users:?}");
    assert!(users.iter().all(|u| u.container_id == user && !u.running));
    assert!(users.iter().any(|u| u.destination == "/ro" && u.read_only));
    assert!(users.iter().any(|u| u.destination == "/v" && !u.read_only));

    let r = VolumeRef::parse(&name).unwrap();
    let refused = engine.remove_volume(&r, false).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict);
    let user_name = containers.iter().find(|c| c.id == user).unwrap().name.clone();
    assert!(refused.message.contains(&user_name), "the error names the container: {refused}");
    assert!(engine.volume_summary(&r).await.unwrap().is_some(), "nothing was removed");

    docker().remove_container(&user, None::<bollard::query_parameters::RemoveContainerOptions>).await.unwrap();
    engine.remove_volume(&r, false).await.expect("unused now");
    assert!(engine.volume_summary(&r).await.unwrap().is_none());
    assert_eq!(engine.remove_volume(&r, false).await.unwrap_err().kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn bad_input_is_refused_before_the_engine_and_leaves_nothing() {
    let engine = engine().await;
    let (n1, n2) = (unique_name("vol-bad"), unique_name("vol-bad"));
    for (v, says) in [
        (NewVolume { name: "../x".into(), ..Default::default() }, "volume name"),
        (NewVolume { name: n1.clone(), labels: vec![label(), "no value".into()], ..Default::default() }, "Label 2"),
        (NewVolume { name: n2.clone(), driver: "a b".into(), ..Default::default() }, "driver"),
    ] {
        let e = engine.create_volume(&v).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
        assert!(e.message.contains(says), "{e}");
    }
    for n in [n1, n2] {
        assert!(engine.volume_summary(&VolumeRef::parse(&n).unwrap()).await.unwrap().is_none(), "{n} was not made");
    }
    assert!(VolumeRef::parse("a/../../containers").is_err());
}

#[tokio::test]
async fn prune_shows_exactly_what_goes_with_its_size_then_removes_only_that() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let (unused, used) = (unique_name("vol-unused"), unique_name("vol-used"));
    cleanup.volume(&unused);
    cleanup.volume(&used);
    engine.create_volume(&new_volume(&unused)).await.unwrap();
    engine.create_volume(&new_volume(&used)).await.unwrap();
    // 100 kB written into `unused` by a container that is then removed; `used` stays in use.
    let writer = write_into(&mut cleanup, &unused, 100_000, false).await;
    docker().remove_container(&writer, None::<bollard::query_parameters::RemoveContainerOptions>).await.unwrap();
    create_container(
        &mut cleanup,
        &unique_name("vol-holder"),
        &["true"],
        Some(bollard::models::HostConfig { binds: Some(vec![format!("{used}:/data")]), ..Default::default() }),
    )
    .await;

    let sizes = engine.volume_sizes().await.unwrap();
    let measured = sizes.iter().find(|s| s.name == unused).expect("measured");
    assert!(measured.size.unwrap_or(0) >= 100_000, "{measured:?}");

    let plan = engine.volume_prune_plan(VolumePruneMode::AllUnused).await.unwrap();
    let names: Vec<&str> = plan.volumes.iter().map(|v| v.name.as_str()).collect();
    assert!(names.contains(&unused.as_str()), "{names:?}");
    assert!(!names.contains(&used.as_str()), "a volume a stopped container holds does not go");
    let i = names.iter().position(|n| *n == unused).unwrap();
    assert!(plan.sizes[i].size.unwrap_or(0) >= 100_000);
    assert!(plan.bytes >= 100_000);
    let anonymous_only = engine.volume_prune_plan(VolumePruneMode::Anonymous).await.unwrap();
    assert!(!anonymous_only.volumes.iter().any(|v| v.name == unused), "a named volume is not anonymous");

    // Remove exactly the test's share of the plan (never what the test did not make).
    let mine: Vec<VolumeRef> =
        plan.volumes.iter().filter(|v| v.name == unused).map(|v| VolumeRef::parse(&v.name).unwrap()).collect();
    let r = engine.prune_volumes(&mine).await;
    assert_eq!(r.removed, vec![unused.clone()]);
    assert!(r.failed.is_empty());
    // A plan that went stale (the volume gained a user) removes nothing of it.
    let stale = engine.prune_volumes(&[VolumeRef::parse(&used).unwrap()]).await;
    assert!(stale.removed.is_empty());
    assert_eq!(stale.failed[0].error.as_ref().unwrap().kind, ErrorKind::Conflict);
    assert!(engine.volume_summary(&VolumeRef::parse(&used).unwrap()).await.unwrap().is_some());
}

#[tokio::test]
async fn the_watcher_shows_volumes_come_and_go() {
    let engine = engine().await;
    let watcher = Watcher::start(Endpoint::from_env());
    let mut events = Box::pin(watcher.subscribe());
    let mut cleanup = Cleanup::new();
    let name = unique_name("vol-watch");
    cleanup.volume(&name);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut created = false;
    loop {
        let ev = tokio::time::timeout_at(deadline, events.next()).await.expect("events in time").expect("a stream");
        match ev {
            ListEvent::Snapshot { status, .. } if status.state == ConnectionState::Connected && !created => {
                engine.create_volume(&new_volume(&name)).await.unwrap();
                created = true;
            }
            ListEvent::VolumeChanged(v) if v.name == name => {
                engine.remove_volume(&VolumeRef::parse(&name).unwrap(), false).await.unwrap();
            }
            ListEvent::VolumeRemoved { name: gone } if gone == name => break,
            _ => {}
        }
    }
}
