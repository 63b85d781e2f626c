//! Networks against the real engine: create with addresses and isolation (and refuse what is
//! wrong), connect a running container with an alias and a fixed address, see it with its
//! address and alias, removal refused while in use, disconnect, prune with a preview, and the
//! watcher's live updates.

use bulkhead_core::model::{ConnectionState, ListEvent};
use bulkhead_core::networks::{network_users, ConnectRequest, NewNetwork, ICC_OPTION};
use bulkhead_core::{ContainerRef, Endpoint, ErrorKind, NetworkRef, Watcher};
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::time::Duration;

fn label() -> String {
    format!("{TEST_LABEL}={}", std::process::id())
}

/// A /24 of 10.231.0.0/16 of this process's own (tests of one run never pick the same one).
fn subnet(n: u8) -> (String, String) {
    let third = (std::process::id() % 50) as u8 * 5 + n;
    (format!("10.231.{third}.0/24"), format!("10.231.{third}"))
}

async fn running_sleeper(cleanup: &mut Cleanup) -> (String, String) {
    let name = unique_name("net-c");
    let id = create_container(cleanup, &name, &["sleep", "300"], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    (id, name)
}

#[tokio::test]
async fn a_network_is_created_joined_with_alias_and_address_refused_while_in_use_left_and_removed() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("net");
    cleanup.network(&name);
    let (cidr, base) = subnet(0);
    let new = NewNetwork {
        name: name.clone(),
        subnet: cidr.clone(),
        ip_range: format!("{base}.128/25"),
        gateway: format!("{base}.1"),
        no_icc: true,
        internal: true,
        labels: vec![label()],
        ..Default::default()
    };
    let made = engine.create_network(&new).await.expect("create");
    assert_eq!(made.name, name);
    assert_eq!(made.driver, "bridge");
    assert!(made.internal && !made.icc && !made.predefined);
    assert_eq!(made.subnets[0].subnet, cidr);
    assert_eq!(made.subnets[0].gateway, format!("{base}.1"));
    assert_eq!(made.subnets[0].ip_range, format!("{base}.128/25"));
    assert!(made.options.iter().any(|o| o.key == ICC_OPTION && o.value == "false"));
    let dup = engine.create_network(&new).await.unwrap_err();
    assert_eq!(dup.kind, ErrorKind::Conflict, "a taken name is refused (old engines would make a second one): {dup}");
    assert!(engine.list_networks().await.unwrap().iter().any(|n| n.id == made.id));

    let (cid, cname) = running_sleeper(&mut cleanup).await;
    let (n, c) = (NetworkRef::parse(&name).unwrap(), ContainerRef::parse(&cid).unwrap());
    let how = ConnectRequest {
        aliases: vec!["db".into(), "primary.db".into()],
        ipv4: format!("{base}.9"),
        ipv6: String::new(),
    };
    engine.connect_network(&n, &c, &how).await.expect("connect");

    let row = engine.container_summary(&c).await.unwrap().unwrap();
    let ep = row.networks.iter().find(|e| e.network == name).expect("on the network");
    assert_eq!(ep.ipv4, format!("{base}.9"));
    assert_eq!(ep.network_id, made.id);
    let containers = engine.list_containers().await.unwrap();
    assert_eq!(network_users(&made, &containers).iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![cid.as_str()]);
    let members = engine.network_members(&n).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].container_name, cname);
    assert_eq!(members[0].ipv4, format!("{base}.9/24"));
    assert!(
        members[0].aliases.contains(&"db".to_owned()) && members[0].aliases.contains(&"primary.db".to_owned()),
        "{members:?}"
    );

    // Connected twice: the engine's refusal comes back typed.
    assert!(engine.connect_network(&n, &c, &ConnectRequest::default()).await.is_err());

    let refused = engine.remove_network(&n).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict, "{refused}");
    assert!(refused.message.contains(&cname), "the error names the container: {refused}");

    engine.disconnect_network(&n, &c, false).await.expect("disconnect");
    let row = engine.container_summary(&c).await.unwrap().unwrap();
    assert!(!row.networks.iter().any(|e| e.network == name));
    engine.remove_network(&n).await.expect("remove");
    assert!(engine.network_summary(&n).await.unwrap().is_none());
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_error_and_leaves_nothing() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("net-bad");
    cleanup.network(&name);
    for (new, says) in [
        (NewNetwork { name: name.clone(), subnet: "10.0.0.0/33".into(), ..Default::default() }, "address range"),
        (
            NewNetwork {
                name: name.clone(),
                subnet: "10.9.0.0/24".into(),
                gateway: "10.8.0.1".into(),
                ..Default::default()
            },
            "not inside",
        ),
        (NewNetwork { name: "host".into(), ..Default::default() }, "engine's own"),
        (NewNetwork { name: "a;b".into(), ..Default::default() }, "network name"),
        (
            NewNetwork { name: name.clone(), driver: "overlay".into(), ..Default::default() },
            "bridge, macvlan or ipvlan",
        ),
    ] {
        let e = engine.create_network(&new).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
        assert!(e.message.contains(says), "{e}");
    }
    assert!(engine.network_summary(&NetworkRef::parse(&name).unwrap()).await.unwrap().is_none());

    // A fixed address on a network without a subnet of its own: the engine refuses, typed.
    engine
        .create_network(&NewNetwork { name: name.clone(), labels: vec![label()], ..Default::default() })
        .await
        .unwrap();
    let (cid, _) = running_sleeper(&mut cleanup).await;
    let e = engine
        .connect_network(
            &NetworkRef::parse(&name).unwrap(),
            &ContainerRef::parse(&cid).unwrap(),
            &ConnectRequest { ipv4: "172.29.9.9".into(), ..Default::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
    assert!(e.message.contains("subnet"), "{e}");
    let bad_alias = ConnectRequest { aliases: vec!["a b".into()], ..Default::default() };
    let e = engine
        .connect_network(&NetworkRef::parse(&name).unwrap(), &ContainerRef::parse(&cid).unwrap(), &bad_alias)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    let row = engine.container_summary(&ContainerRef::parse(&cid).unwrap()).await.unwrap().unwrap();
    assert!(!row.networks.iter().any(|e| e.network == name), "a refused connect left nothing");
    // The engine's own networks cannot be removed.
    assert_eq!(
        engine.remove_network(&NetworkRef::parse("bridge").unwrap()).await.unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
}

#[tokio::test]
async fn prune_shows_the_unused_networks_and_removes_only_those_it_showed() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let (unused, used) = (unique_name("net-unused"), unique_name("net-used"));
    cleanup.network(&unused);
    cleanup.network(&used);
    let a = engine
        .create_network(&NewNetwork { name: unused.clone(), labels: vec![label()], ..Default::default() })
        .await
        .unwrap();
    let b = engine
        .create_network(&NewNetwork { name: used.clone(), labels: vec![label()], ..Default::default() })
        .await
        .unwrap();
    // A created (never started) container on `used` holds it.
    let body = bollard::models::ContainerCreateBody {
        cmd: Some(vec!["true".into()]),
        host_config: Some(bollard::models::HostConfig { network_mode: Some(used.clone()), ..Default::default() }),
        ..Default::default()
    };
    create_container_with(&mut cleanup, &unique_name("net-holder"), body).await;

    let plan = engine.network_prune_plan().await.unwrap();
    let ids: Vec<&str> = plan.networks.iter().map(|n| n.id.as_str()).collect();
    assert!(ids.contains(&a.id.as_str()), "{ids:?}");
    assert!(!ids.contains(&b.id.as_str()), "a network a created container is on does not go");
    assert!(!plan.networks.iter().any(|n| n.predefined), "the engine's own never go");

    let mine = vec![NetworkRef::parse(&a.id).unwrap()];
    let r = engine.prune_networks(&mine).await;
    assert_eq!(r.removed, vec![a.id.clone()]);
    assert!(engine.network_summary(&NetworkRef::parse(&a.id).unwrap()).await.unwrap().is_none());
    assert!(engine.network_summary(&NetworkRef::parse(&b.id).unwrap()).await.unwrap().is_some());
}

#[tokio::test]
async fn the_watcher_follows_networks_and_the_containers_on_them() {
    let engine = engine().await;
    fixture_image().await;
    let watcher = Watcher::start(Endpoint::from_env());
    let mut events = Box::pin(watcher.subscribe());
    let mut cleanup = Cleanup::new();
    let name = unique_name("net-watch");
    cleanup.network(&name);
    let (cid, _) = running_sleeper(&mut cleanup).await;
    let c = ContainerRef::parse(&cid).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut step = 0;
    let mut id = String::new();
    while step < 4 {
        let ev = tokio::time::timeout_at(deadline, events.next()).await.expect("events in time").expect("a stream");
        match (step, ev) {
            (0, ListEvent::Snapshot { status, .. }) if status.state == ConnectionState::Connected => {
                engine
                    .create_network(&NewNetwork { name: name.clone(), labels: vec![label()], ..Default::default() })
                    .await
                    .unwrap();
                step = 1;
            }
            (1, ListEvent::NetworkChanged(n)) if n.name == name => {
                id = n.id.clone();
                engine.connect_network(&NetworkRef::parse(&id).unwrap(), &c, &ConnectRequest::default()).await.unwrap();
                step = 2;
            }
            (2, ListEvent::ContainerChanged(row))
                if row.id == cid && row.networks.iter().any(|e| e.network_id == id) =>
            {
                engine.disconnect_network(&NetworkRef::parse(&id).unwrap(), &c, false).await.unwrap();
                engine.remove_network(&NetworkRef::parse(&id).unwrap()).await.unwrap();
                step = 3;
            }
            (3, ListEvent::NetworkRemoved { id: gone }) if gone == id => step = 4,
            _ => {}
        }
    }
}
