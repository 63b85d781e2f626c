use bollard::models::{HostConfig, PortBinding};
use bulkhead_core::model::ContainerState;
use bulkhead_core::{ContainerRef, ErrorKind, ImageRef};
use bulkhead_tests::*;
use std::collections::HashMap;

#[tokio::test]
async fn connects_and_negotiates_the_api_version() {
    let engine = engine().await;
    let v = engine.version();
    assert!(v.api >= bulkhead_core::engine::MIN_API, "{v:?}");
    assert_eq!(v.api, v.engine_api.min(bulkhead_core::engine::MAX_API), "negotiated = min(engine, ours)");
    assert!(!v.engine_version.is_empty());
    engine.ping().await.expect("ping");
    eprintln!("engine {} speaks API {}, negotiated {}", v.engine_version, v.engine_api, v.api);
}

#[tokio::test]
async fn lists_a_container_with_short_id_name_image_state_and_published_ports() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("list");
    let host_port = free_port();
    let ports = HashMap::from([(
        "80/tcp".to_owned(),
        Some(vec![PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(host_port.to_string()) }]),
    )]);
    let id = create_container_with(
        &mut cleanup,
        &name,
        bollard::models::ContainerCreateBody {
            cmd: Some(vec!["httpd".into(), "-f".into(), "-p".into(), "80".into()]),
            exposed_ports: Some(vec!["80/tcp".to_owned()]),
            host_config: Some(HostConfig { port_bindings: Some(ports), ..Default::default() }),
            ..Default::default()
        },
    )
    .await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.expect("start");

    let list = engine.list_containers().await.expect("list");
    let c = list.iter().find(|c| c.id == id).expect("the new container is listed");
    assert_eq!(c.short_id, &id[..12]);
    assert_eq!(c.name, name);
    assert_eq!(c.image, FIXTURE_IMAGE);
    assert!(c.image_id.starts_with("sha256:"));
    assert_eq!(c.state, ContainerState::Running);
    assert!(c.status.starts_with("Up"), "{}", c.status);
    assert!(c.created > 0);
    let published: Vec<_> = c.ports.iter().filter(|p| p.host_port.is_some()).collect();
    assert_eq!(published.len(), 1, "{:?}", c.ports);
    assert_eq!(published[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(published[0].host_port, Some(host_port));
    assert_eq!(published[0].container_port, 80);
    assert_eq!(published[0].protocol, "tcp");

    // The one-object lookup the watcher uses gives the same row.
    let one = engine.container_summary(&ContainerRef::parse(&id).unwrap()).await.unwrap().unwrap();
    assert_eq!(&one, c);
}

#[tokio::test]
async fn a_short_id_prefix_and_a_name_both_find_a_container() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("prefix");
    let id = create_container(&mut cleanup, &name, &["sleep", "60"], None).await;

    // The shortest prefix of at least 4 characters that no other container shares.
    let all = engine.list_containers().await.unwrap();
    let len =
        (4..=64).find(|&n| all.iter().filter(|c| c.id.starts_with(&id[..n])).count() == 1).expect("a unique prefix");
    let by_prefix =
        engine.inspect_container(&ContainerRef::parse(&id[..len]).unwrap()).await.expect("inspect by prefix");
    assert_eq!(by_prefix["Id"], id.as_str());
    let by_name = engine.inspect_container(&ContainerRef::parse(&name).unwrap()).await.expect("inspect by name");
    assert_eq!(by_name["Id"], id.as_str());
    assert_eq!(by_name["Config"]["Labels"][TEST_LABEL], std::process::id().to_string());
}

#[tokio::test]
async fn bad_references_never_reach_the_engine_and_missing_ones_are_not_found() {
    let engine = engine().await;
    for bad in ["../images/x", "..", "a/b", "x?all=1", "%2e%2e"] {
        assert_eq!(ContainerRef::parse(bad).unwrap_err().kind, ErrorKind::InvalidArgument, "{bad}");
    }
    assert_eq!(ImageRef::parse("../../containers/json").unwrap_err().kind, ErrorKind::InvalidArgument);
    let missing = ContainerRef::parse(&unique_name("missing")).unwrap();
    let e = engine.inspect_container(&missing).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{}", e.message);
    let e = engine.inspect_image(&ImageRef::parse("bulkhead-test/no-such-image:404").unwrap()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{}", e.message);
}

#[tokio::test]
async fn lists_images_with_tags_sizes_and_dangling_ones() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let tag = format!("bulkhead-test/{}:v1", unique_name("img"));
    cleanup.image(&tag);
    let first = build_image(&tag, &format!("{BUSYBOX_DOCKERFILE}LABEL n=1\n"), test_labels()).await;
    cleanup.image(&first);
    // Rebuilding the tag with other content leaves the first image dangling.
    let second = build_image(&tag, &format!("{BUSYBOX_DOCKERFILE}LABEL n=2\n"), test_labels()).await;
    cleanup.image(&second);
    assert_ne!(first, second);

    let images = engine.list_images().await.expect("list images");
    let tagged = images.iter().find(|i| i.id == second).expect("the tagged image");
    assert_eq!(tagged.repo_tags, vec![tag.clone()]);
    assert!(!tagged.dangling);
    assert_eq!(tagged.short_id, &second["sha256:".len().."sha256:".len() + 12]);
    assert!(tagged.size > 500_000, "busybox is in it: {}", tagged.size);
    assert!(tagged.created > 0);
    let old = images.iter().find(|i| i.id == first).expect("the dangling image is listed");
    assert!(old.dangling, "{old:?}");
    assert!(old.repo_tags.is_empty());

    // The one-image lookup the watcher uses agrees with the list.
    let one = engine.image_summary(&ImageRef::parse(&tag).unwrap()).await.unwrap().unwrap();
    assert_eq!(one.id, second);
    assert_eq!(one.repo_tags, tagged.repo_tags);
    assert_eq!(one.size, tagged.size);
    assert_eq!(one.created, tagged.created);
    assert!(engine.image_summary(&ImageRef::parse("bulkhead-test/none:404").unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn system_info_reports_storage_location_cgroups_and_security() {
    let engine = engine().await;
    let info = engine.system_info().await.expect("info");
    assert!(!info.engine_version.is_empty());
    assert_eq!(info.api_version, engine.version().api.to_string());
    assert!(!info.storage_driver.is_empty());
    assert!(info.docker_root_dir.starts_with('/'), "{}", info.docker_root_dir);
    assert!(std::path::Path::new(&info.docker_root_dir).is_dir(), "the engine runs on this host");
    assert!(matches!(info.cgroup_version.as_str(), "1" | "2"), "{}", info.cgroup_version);
    assert!(!info.cgroup_driver.is_empty());
    assert_eq!(info.seccomp, info.security_options.iter().any(|o| o.name == "seccomp"));
    assert!(info.cpus >= 1 && info.memory > 0);
    assert!(info.containers >= info.containers_running);
    assert!(!info.kernel_version.is_empty());
}
