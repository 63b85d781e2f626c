//! The security review against the real engine: a fixture container for each runtime rule,
//! positive and negative, asserting rule IDs; kernel truth read from the real cgroup and
//! namespace files of live containers; `bulkhead audit` as a headless command.

use bollard::models::{
    ContainerCreateBody, DeviceMapping, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bulkhead_core::inspect::host::HostRoot;
use bulkhead_core::inspect::AuditOptions;
use bulkhead_core::ContainerRef;
use bulkhead_tests::*;
use std::collections::HashMap;

/// Creates (and, when `start`, starts) a fixture container with `hc`; returns its report's rule IDs.
async fn rules_for(cleanup: &mut Cleanup, what: &str, hc: HostConfig, env: Vec<String>, start: bool) -> Vec<String> {
    let engine = engine().await;
    let id = create_container_with(
        cleanup,
        &unique_name(what),
        ContainerCreateBody {
            cmd: Some(vec!["sleep".into(), "300".into()]),
            env: Some(env),
            host_config: Some(hc),
            ..Default::default()
        },
    )
    .await;
    if start {
        docker()
            .start_container(&id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
    }
    let c = ContainerRef::parse(&id).unwrap();
    let facts = engine.engine_facts(&HostRoot::default()).await.unwrap();
    let r = engine.review_container(&c, &HostRoot::default(), Some(&facts)).await.unwrap();
    r.findings.into_iter().map(|f| f.rule_id).collect()
}

fn has(ids: &[String], rule: &str) -> bool {
    ids.iter().any(|r| r == rule)
}

/// A configuration that fires none of the rules tested here.
fn hardened() -> HostConfig {
    HostConfig {
        pids_limit: Some(64),
        memory: Some(64 << 20),
        nano_cpus: Some(500_000_000),
        readonly_rootfs: Some(true),
        security_opt: Some(vec!["no-new-privileges".into()]),
        cap_drop: Some(vec!["ALL".into()]),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::ON_FAILURE),
            maximum_retry_count: Some(3),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn each_runtime_rule_fires_on_its_fixture_container_and_not_on_the_hardened_one() {
    let mut cleanup = Cleanup::new();
    let base = rules_for(&mut cleanup, "sec-hardened", hardened(), vec![], true).await;
    let port = free_port();
    let cases: Vec<(&str, HostConfig, Vec<String>, bool)> = vec![
        ("container.privileged", HostConfig { privileged: Some(true), ..hardened() }, vec![], false),
        (
            "container.dangerous-capabilities",
            HostConfig { cap_add: Some(vec!["SYS_ADMIN".into()]), ..hardened() },
            vec![],
            true,
        ),
        (
            "container.added-capabilities",
            HostConfig { cap_add: Some(vec!["SYS_TIME".into()]), ..hardened() },
            vec![],
            true,
        ),
        ("container.host-pid", HostConfig { pid_mode: Some("host".into()), ..hardened() }, vec![], true),
        ("container.host-network", HostConfig { network_mode: Some("host".into()), ..hardened() }, vec![], true),
        ("container.host-ipc", HostConfig { ipc_mode: Some("host".into()), ..hardened() }, vec![], true),
        ("container.host-uts", HostConfig { uts_mode: Some("host".into()), ..hardened() }, vec![], true),
        ("container.api-socket", HostConfig { binds: Some(vec!["/var/run:/x:ro".into()]), ..hardened() }, vec![], true),
        (
            "container.sensitive-mount",
            HostConfig { binds: Some(vec!["/etc:/host-etc:ro".into()]), ..hardened() },
            vec![],
            true,
        ),
        ("container.no-pids-limit", HostConfig { pids_limit: None, ..hardened() }, vec![], true),
        ("container.no-memory-limit", HostConfig { memory: None, ..hardened() }, vec![], true),
        ("container.no-cpu-limit", HostConfig { nano_cpus: None, ..hardened() }, vec![], true),
        ("container.writable-rootfs", HostConfig { readonly_rootfs: Some(false), ..hardened() }, vec![], true),
        (
            "container.restart-unbounded",
            HostConfig {
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::ALWAYS),
                    maximum_retry_count: None,
                }),
                ..hardened()
            },
            vec![],
            false,
        ),
        (
            "container.host-devices",
            HostConfig {
                devices: Some(vec![DeviceMapping {
                    path_on_host: Some("/dev/null".into()),
                    path_in_container: Some("/dev/hostnull".into()),
                    cgroup_permissions: Some("r".into()),
                }]),
                ..hardened()
            },
            vec![],
            true,
        ),
        (
            "container.seccomp-unconfined",
            HostConfig {
                security_opt: Some(vec!["no-new-privileges".into(), "seccomp=unconfined".into()]),
                ..hardened()
            },
            vec![],
            true,
        ),
        ("container.no-new-privileges-off", HostConfig { security_opt: None, ..hardened() }, vec![], true),
        (
            "container.ports-all-interfaces",
            HostConfig {
                port_bindings: Some(HashMap::from([(
                    "80/tcp".to_owned(),
                    Some(vec![PortBinding { host_ip: None, host_port: Some(port.to_string()) }]),
                )])),
                ..hardened()
            },
            vec![],
            true,
        ),
        ("container.docker-host-env", hardened(), vec!["DOCKER_HOST=tcp://10.1.2.3:2375".into()], true),
    ];
    for (rule, _, _, _) in &cases {
        assert!(!has(&base, rule), "{rule} fired on the hardened container: {base:?}");
    }
    for (rule, hc, env, start) in cases {
        let ids = rules_for(&mut cleanup, "sec", hc, env, start).await;
        assert!(has(&ids, rule), "{rule} did not fire on its fixture: {ids:?}");
    }
    // The hardened container (fixture images have no USER): root without remapping is all that is left.
    assert!(has(&base, "container.root-user") && has(&base, "container.no-healthcheck"), "{base:?}");
}

#[tokio::test]
async fn kernel_truth_from_the_real_cgroup_and_namespace_files() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let host = HostRoot::default();
    let facts = engine.engine_facts(&host).await.unwrap();
    let limited =
        started(&mut cleanup, HostConfig { pids_limit: Some(100), memory: Some(64 << 20), ..Default::default() }).await;
    let r = engine.review_container(&limited, &host, Some(&facts)).await.unwrap();
    let g = r.kernel.cgroup.known().unwrap_or_else(|| panic!("cgroup unknown: {:?}", r.kernel.cgroup));
    assert_eq!(g.pids_max, Some(100), "{g:?}");
    assert_eq!(g.memory_max, Some(64 << 20));
    assert!(g.pids_current.is_some_and(|n| n >= 1));
    // The same value as the file itself.
    let text = std::fs::read_to_string(&g.pids_file).unwrap();
    assert_eq!(text.trim(), "100");
    assert_eq!(r.comparison.iter().find(|c| c.aspect == "pids limit").unwrap().agree, Some(true));
    assert!(!r
        .findings
        .iter()
        .any(|f| f.rule_id == "container.no-pids-limit" || f.rule_id == "container.kernel-disagrees"));
    assert_eq!(r.kernel.shares("net"), Some(false));
    assert_eq!(r.kernel.shares("pid"), Some(false));
    assert_eq!(r.kernel.shares("mnt"), Some(false));
    assert_eq!(r.kernel.root_is_host_root(), Some(true), "no userns-remap on this engine");
    let s = r.kernel.status.known().unwrap();
    assert_eq!(s.seccomp, 2, "Docker's default seccomp filter");
    assert!(s.capabilities.contains(&"CHOWN".to_owned()) && !s.capabilities.contains(&"SYS_ADMIN".to_owned()));

    let open = started(&mut cleanup, HostConfig { pid_mode: Some("host".into()), ..Default::default() }).await;
    let r = engine.review_container(&open, &host, Some(&facts)).await.unwrap();
    assert_eq!(r.kernel.shares("pid"), Some(true), "the kernel sees the host's pid namespace");
    let g = r.kernel.cgroup.known().unwrap();
    assert_eq!(g.pids_max, None, "pids.max = max");
    let f = r.findings.iter().find(|f| f.rule_id == "container.no-pids-limit").expect("pids finding");
    assert!(f.evidence.iter().any(|e| e.contains("pids.max = max")), "{:?}", f.evidence);
}

async fn started(cleanup: &mut Cleanup, hc: HostConfig) -> ContainerRef {
    let id = create_container(cleanup, &unique_name("kernel"), &["sleep", "300"], Some(hc)).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    ContainerRef::parse(&id).unwrap()
}

#[tokio::test]
async fn the_audit_reviews_named_containers_and_their_images() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let id = create_container(&mut cleanup, &unique_name("audit"), &["sleep", "300"], None).await;
    let c = ContainerRef::parse(&id).unwrap();
    let r = engine.audit(&AuditOptions { containers: vec![c], images: true }, &HostRoot::default()).await.unwrap();
    assert_eq!(r.containers.len(), 1);
    assert!(r.containers[0].kernel.cgroup.known().is_none(), "a created container has no process: unknown");
    assert_eq!(r.images.len(), 1);
    let image_rules: Vec<&str> = r.images[0].findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(image_rules.contains(&"image.no-user") && image_rules.contains(&"image.no-healthcheck"), "{image_rules:?}");
    let json = serde_json::to_value(&r).unwrap();
    schema::check(&json, &schema::audit_schema()).unwrap_or_else(|e| panic!("{e}"));
}

/// `bulkhead audit` as a script would run it: no display, exit codes, formats.
#[tokio::test]
async fn bulkhead_audit_runs_headless_with_formats_and_exit_codes() {
    let mut cleanup = Cleanup::new();
    let bad = unique_name("audit-bad");
    create_container(
        &mut cleanup,
        &bad,
        &["sleep", "300"],
        Some(HostConfig { privileged: Some(true), ..Default::default() }),
    )
    .await;
    let good = unique_name("audit-good");
    create_container(&mut cleanup, &good, &["sleep", "300"], Some(hardened())).await;
    let app = bulkhead_tests::e2e::app_path();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&app)
            .arg("audit")
            .args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .expect("bulkhead audit runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[&bad, "--format", "json", "--fail-on", "critical"]);
    assert_eq!(code, Some(1), "a critical finding fails the run: {err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    schema::check(&json, &schema::audit_schema()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["containers"][0]["name"], bad.as_str());
    assert!(json["containers"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["ruleId"] == "container.privileged" && f["cis"] == "5.5"));

    let (code, out, _) = run(&[&good, "--format", "sarif", "--fail-on", "critical"]);
    assert_eq!(code, Some(0), "nothing critical on the hardened container");
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    schema::check(&sarif, &schema::sarif_schema()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sarif["version"], "2.1.0");

    let (code, out, _) = run(&[&good, "--fail-on", "low", "--images"]);
    assert_eq!(code, Some(1), "the hardened container still has low findings (no healthcheck)");
    assert!(out.contains(&good) && out.contains("GRADE"), "{out}");
    assert!(out.contains("Image bulkhead-test/busybox:fixture") && out.contains("image.no-user"), "{out}");

    // Kernel facts come from the host root: the real one, or $BULKHEAD_HOST_ROOT.
    docker().start_container(&good, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let (_, out, _) = run(&[&good, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["containers"][0]["kernel"]["cgroup"]["status"], "known", "{}", json["containers"][0]["kernel"]);
    let elsewhere = std::process::Command::new(&app)
        .args(["audit", &good, "--format", "json"])
        .env("BULKHEAD_HOST_ROOT", "/nonexistent-bulkhead-root")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&elsewhere.stdout).unwrap();
    let cgroup = &json["containers"][0]["kernel"]["cgroup"];
    assert_eq!(cgroup["status"], "unknown", "{cgroup}");
    assert!(cgroup["reason"].as_str().unwrap().contains("/nonexistent-bulkhead-root/proc/"), "{cgroup}");

    let (code, _, err) = run(&["--format", "xml"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown format"), "{err}");
    let (code, _, err) = run(&["no-such-container-bulkhead"]);
    assert_eq!(code, Some(3));
    assert!(err.contains("No such container") || err.contains("not found") || err.contains("no such"), "{err}");
}

#[tokio::test]
async fn a_one_click_limit_takes_effect_in_the_kernel() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let host = HostRoot::default();
    let c = started(&mut cleanup, HostConfig::default()).await;
    let before = engine.review_container(&c, &host, None).await.unwrap();
    let f = before.findings.iter().find(|f| f.rule_id == "container.no-pids-limit").expect("unlimited pids");
    let fix = f.quick_fix.expect("a one-click fix");
    let after = engine.apply_quick_fix(&c, fix, &host, None).await.unwrap();
    let g = after.kernel.cgroup.known().unwrap();
    assert_eq!(g.pids_max, Some(512), "{g:?}");
    assert_eq!(std::fs::read_to_string(&g.pids_file).unwrap().trim(), "512");
    assert!(!after.findings.iter().any(|f| f.rule_id == "container.no-pids-limit"));
    assert!(after.score > before.score, "{} → {}", before.score, after.score);

    let f = after.findings.iter().find(|f| f.rule_id == "container.no-memory-limit").unwrap();
    let after = engine.apply_quick_fix(&c, f.quick_fix.unwrap(), &host, None).await.unwrap();
    assert_eq!(after.kernel.cgroup.known().unwrap().memory_max, Some(512 << 20));
    let f = after.findings.iter().find(|f| f.rule_id == "container.no-cpu-limit").unwrap();
    let after = engine.apply_quick_fix(&c, f.quick_fix.unwrap(), &host, None).await.unwrap();
    assert_eq!(after.kernel.cgroup.known().unwrap().cpu_quota_us, Some(100_000), "1 CPU = 100 ms per 100 ms");
    assert!(!after.findings.iter().any(|f| f.quick_fix.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_that_starts_with_the_hosts_pid_namespace_raises_an_alert() {
    use bulkhead_core::inspect::alerts::watch_alerts;
    use futures_util::StreamExt;
    let _ = engine().await;
    let mut cleanup = Cleanup::new();
    let watcher =
        bulkhead_core::Watcher::start_on(&tokio::runtime::Handle::current(), bulkhead_core::Endpoint::from_env());
    let mut alerts = Box::pin(watch_alerts(&watcher, HostRoot::default()));
    // Let the watcher connect and take its snapshot before anything starts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while watcher.engine().is_err() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let calm = started(&mut cleanup, hardened()).await;
    let risky = started(&mut cleanup, HostConfig { pid_mode: Some("host".into()), ..Default::default() }).await;
    let a = tokio::time::timeout(std::time::Duration::from_secs(10), alerts.next())
        .await
        .expect("an alert within 10 s")
        .expect("the alert stream goes on");
    assert_eq!(a.container_id, risky.as_str(), "only the risky container raises one (not {})", calm.as_str());
    assert_eq!(a.rule_ids, vec!["container.host-pid".to_owned()]);
    assert!(a.title.contains("critical"), "{}", a.title);
}

#[tokio::test]
async fn recreate_hardened_shows_the_diff_keeps_name_and_data_and_takes_effect() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("harden");
    let port = free_port();
    let vol = format!("{name}-data");
    docker()
        .create_volume(bollard::models::VolumeCreateRequest {
            name: Some(vol.clone()),
            labels: Some(test_labels()),
            ..Default::default()
        })
        .await
        .unwrap();
    cleanup.volume(&vol);
    let id = create_container_with(
        &mut cleanup,
        &name,
        ContainerCreateBody {
            cmd: Some(vec!["sh".into(), "-c".into(), "echo kept > /data/file; sleep 300".into()]),
            env: Some(vec!["MODE=prod".into()]),
            host_config: Some(HostConfig {
                cap_add: Some(vec!["SYS_ADMIN".into(), "SYS_TIME".into()]),
                pid_mode: Some("host".into()),
                binds: Some(vec![format!("{vol}:/data"), "/var/run:/hostrun".into()]),
                port_bindings: Some(HashMap::from([(
                    "80/tcp".to_owned(),
                    Some(vec![PortBinding { host_ip: Some("0.0.0.0".into()), host_port: Some(port.to_string()) }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let c = ContainerRef::parse(&id).unwrap();
    let plan = engine.harden_plan(&c).await.unwrap();
    let settings: Vec<&str> = plan.changes.iter().map(|ch| ch.setting.as_str()).collect();
    for want in ["--cap-add", "--pid", "--security-opt", "--pids-limit", "-v /var/run:/hostrun"] {
        assert!(settings.contains(&want), "{want}: {settings:?}");
    }
    assert!(settings.iter().any(|s| s.starts_with("-p ")), "{settings:?}");

    let out = engine.recreate_hardened(&c).await.unwrap();
    cleanup.container(&out.id);
    assert_eq!(out.name, name);
    let new = ContainerRef::parse(&out.id).unwrap();
    let v = engine.inspect_container(&new).await.unwrap();
    assert_eq!(v["Name"], format!("/{name}"));
    assert_eq!(v["State"]["Running"], true);
    assert_eq!(
        v["HostConfig"]["CapAdd"],
        serde_json::json!(["SYS_TIME"]),
        "the dangerous capability went, the other stayed"
    );
    assert_eq!(v["HostConfig"]["PidsLimit"], 512);
    assert!(v["Config"]["Env"].as_array().unwrap().iter().any(|e| e == "MODE=prod"));
    // The data volume came along; the socket directory did not.
    let (code, out_text) = exec_output(&new, "cat /data/file; ls /hostrun 2>&1 | head -1").await;
    assert_eq!(code, 0);
    assert!(out_text.starts_with("kept"), "{out_text}");
    // The review says so, and the kernel agrees.
    let r = engine.review_container(&new, &HostRoot::default(), None).await.unwrap();
    let ids: Vec<&str> = r.findings.iter().map(|f| f.rule_id.as_str()).collect();
    for gone in [
        "container.host-pid",
        "container.dangerous-capabilities",
        "container.api-socket",
        "container.ports-all-interfaces",
        "container.no-pids-limit",
    ] {
        assert!(!ids.contains(&gone), "{gone}: {ids:?}");
    }
    assert_eq!(r.kernel.shares("pid"), Some(false));
    // The original is kept, stopped and renamed, until the user removes it.
    let orig = engine.inspect_container(&c).await.unwrap();
    assert_eq!(orig["State"]["Running"], false);
    assert_eq!(orig["Name"], format!("/{}", out.original_name));
}

#[tokio::test]
async fn recreate_hardened_rolls_back_when_the_new_container_does_not_stay_up() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("harden-rb");
    // A program that only runs without no-new-privileges: hardening breaks it.
    let script = "grep -q 'NoNewPrivs:.*0' /proc/self/status && sleep 300";
    let id = create_container(&mut cleanup, &name, &["sh", "-c", script], None).await;
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let c = ContainerRef::parse(&id).unwrap();
    let e = engine.recreate_hardened(&c).await.expect_err("the new one exits at once");
    assert!(e.message.contains("original is back"), "{}", e.message);
    let v = engine.inspect_container(&c).await.unwrap();
    assert_eq!(v["Name"], format!("/{name}"), "the original has its name back");
    assert_eq!(v["State"]["Running"], true, "and runs again");
    // No hardened leftover under any name.
    let all = docker()
        .list_containers(Some(bollard::query_parameters::ListContainersOptions { all: true, ..Default::default() }))
        .await
        .unwrap();
    let same_image_and_cmd =
        all.iter().filter(|x| x.command.as_deref().is_some_and(|cmd| cmd.contains("NoNewPrivs"))).count();
    assert_eq!(same_image_and_cmd, 1, "only the original is left");
}

async fn exec_output(c: &ContainerRef, script: &str) -> (i64, String) {
    let engine = engine().await;
    let mut s = engine
        .exec(
            c,
            &bulkhead_core::exec::ExecRequest {
                command: format!("sh -c {:?}", script),
                tty: false,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(b) = s.output.next().await.unwrap() {
        out.extend_from_slice(&b);
    }
    let code = engine.session_exit_code(&s.target).await.unwrap().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn recreate_hardened_keeps_the_networks_and_their_aliases() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("harden-net");
    let (net1, net2) = (format!("{name}-a"), format!("{name}-b"));
    for n in [&net1, &net2] {
        docker()
            .create_network(bollard::models::NetworkCreateRequest {
                name: n.clone(),
                labels: Some(test_labels()),
                ..Default::default()
            })
            .await
            .unwrap();
        cleanup.network(n);
    }
    let id = create_container_with(
        &mut cleanup,
        &name,
        ContainerCreateBody {
            cmd: Some(vec!["sleep".into(), "300".into()]),
            host_config: Some(HostConfig { network_mode: Some(net1.clone()), ..Default::default() }),
            networking_config: Some(bollard::models::NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    net1.clone(),
                    bollard::models::EndpointSettings { aliases: Some(vec!["db".into()]), ..Default::default() },
                )])),
            }),
            ..Default::default()
        },
    )
    .await;
    docker()
        .connect_network(
            &net2,
            bollard::models::NetworkConnectRequest {
                container: id.clone(),
                endpoint_config: Some(bollard::models::EndpointSettings {
                    aliases: Some(vec!["cache".into()]),
                    ..Default::default()
                }),
            },
        )
        .await
        .unwrap();
    docker().start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let out = engine.recreate_hardened(&ContainerRef::parse(&id).unwrap()).await.unwrap();
    cleanup.container(&out.id);
    let v = engine.inspect_container(&ContainerRef::parse(&out.id).unwrap()).await.unwrap();
    let nets = &v["NetworkSettings"]["Networks"];
    let aliases = |n: &str| -> Vec<String> {
        nets[n]["Aliases"]
            .as_array()
            .unwrap_or_else(|| panic!("not on {n}: {nets}"))
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(aliases(&net1).contains(&"db".to_owned()), "{nets}");
    assert!(aliases(&net2).contains(&"cache".to_owned()), "{nets}");
    assert_eq!(v["HostConfig"]["NetworkMode"], net1.as_str());
}

/// The window's review is incremental: a second audit reuses every review, a renamed
/// container is reviewed again (the watcher's event), a removed one is gone, and an image that
/// cannot be reviewed is reported as such.
#[tokio::test]
async fn the_review_is_incremental_following_the_engines_events() {
    use bulkhead_core::inspect::review::ReviewCache;
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(create_container(&mut cleanup, &unique_name(&format!("inc{i}")), &["sleep", "60"], None).await);
    }
    // A container whose image is then force-removed: its image cannot be reviewed.
    let tag = format!("bulkhead-test/{}:gone", unique_name("img"));
    let label =
        HashMap::from([(TEST_LABEL.to_owned(), std::process::id().to_string()), ("gone".to_owned(), tag.clone())]);
    let image_id = build_image(&tag, &format!("FROM {FIXTURE_IMAGE}\n"), label).await;
    let orphan = create_container_with(
        &mut cleanup,
        &unique_name("orphan"),
        ContainerCreateBody {
            image: Some(tag.clone()),
            cmd: Some(vec!["sleep".into(), "60".into()]),
            ..Default::default()
        },
    )
    .await;
    docker()
        .remove_image(
            &image_id,
            Some(bollard::query_parameters::RemoveImageOptions { force: true, ..Default::default() }),
            None,
        )
        .await
        .unwrap();

    let watcher = bulkhead_core::Watcher::start(bulkhead_core::Endpoint::from_env());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while watcher.status().state != bulkhead_core::model::ConnectionState::Connected {
        assert!(std::time::Instant::now() < deadline, "the watcher connects");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let cache = ReviewCache::new();
    cache.follow(&watcher, &tokio::runtime::Handle::current());
    let host = HostRoot::default();
    let ours = |reviewed: &[String]| ids.iter().filter(|id| reviewed.contains(id)).count();

    let first = engine.audit_cached(&cache, &host).await.unwrap();
    assert_eq!(ours(&cache.last_audit().0), 3, "the first audit reviews everything");
    let unreviewed = first.images.iter().find(|i| i.id == image_id).expect("the orphan's image is listed");
    assert!(unreviewed.error.as_deref().is_some_and(|e| e.starts_with("could not review")), "{unreviewed:?}");
    assert!(unreviewed.findings.is_empty());
    assert!(first.containers.iter().any(|c| c.id == orphan));

    // The window is sent every review the first time, in the report's order.
    use bulkhead_core::inspect::fleet::FleetReview;
    let fleet = FleetReview::new(first.clone(), &Default::default());
    assert_eq!(
        fleet.order.iter().map(|r| &r.id).collect::<Vec<_>>(),
        first.containers.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    assert_eq!(fleet.changed.len(), fleet.order.len());
    let held: std::collections::HashSet<_> = fleet.order.iter().map(|r| r.fingerprint.clone()).collect();
    let sent = |f: &FleetReview, id: &str| f.changed.iter().any(|c| c.id == id);

    let second = engine.audit_cached(&cache, &host).await.unwrap();
    let (reviewed, reused) = cache.last_audit();
    assert_eq!(ours(&reviewed), 0, "nothing changed: every review is reused");
    assert!(reused >= 4, "{reused}");
    // ...and a window that holds them is sent none of ours again (other tests' may change).
    let fleet = FleetReview::new(second, &held);
    assert!(ids.iter().all(|id| !sent(&fleet, id)), "unchanged reviews are not sent again");
    assert!(ids.iter().all(|id| fleet.order.iter().any(|r| &r.id == id)), "but all are in the order");

    let renamed = unique_name("renamed");
    docker()
        .rename_container(&ids[0], bollard::query_parameters::RenameContainerOptions { name: renamed.clone() })
        .await
        .unwrap();
    docker().remove_container(&ids[2], None::<bollard::query_parameters::RemoveContainerOptions>).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cache.is_stale(&ids[0]) {
        assert!(std::time::Instant::now() < deadline, "the rename reached the cache");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let third = engine.audit_cached(&cache, &host).await.unwrap();
    let (reviewed, _) = cache.last_audit();
    assert!(reviewed.contains(&ids[0]) && !reviewed.contains(&ids[1]), "only the changed one: {reviewed:?}");
    assert!(third.containers.iter().any(|c| c.id == ids[0] && c.name == renamed));
    assert!(third.containers.iter().all(|c| c.id != ids[2]), "the removed one is gone");
    let fleet = FleetReview::new(third, &held);
    assert!(sent(&fleet, &ids[0]) && !sent(&fleet, &ids[1]), "only the renamed one is sent again");
    assert!(fleet.order.iter().all(|r| r.id != ids[2]), "the removed one is not in the order");
}

/// What containers share is judged over all of them: a volume written by containers of two
/// images, a network with ICC on across two Compose projects, the default bridge.
#[tokio::test]
async fn the_audit_sees_shared_volumes_and_networks_across_projects() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let label = format!("{TEST_LABEL}={}", std::process::id());
    let other = format!("bulkhead-test/{}:other", unique_name("img"));
    cleanup.image(&other);
    build_image(&other, &format!("FROM {FIXTURE_IMAGE}\nLABEL {label} purpose=other-image\n"), test_labels()).await;
    let vol = unique_name("shared-vol");
    cleanup.volume(&vol);
    let net = unique_name("shared-net");
    cleanup.network(&net);
    engine
        .create_network(&bulkhead_core::networks::NewNetwork {
            name: net.clone(),
            labels: vec![label.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let on = |project: &str, image: Option<&str>| bollard::models::ContainerCreateBody {
        image: image.map(str::to_owned),
        cmd: Some(vec!["sleep".into(), "300".into()]),
        labels: Some(HashMap::from([(
            bulkhead_core::inspect::rules::topology::PROJECT_LABEL.to_owned(),
            project.to_owned(),
        )])),
        host_config: Some(HostConfig {
            binds: Some(vec![format!("{vol}:/data")]),
            network_mode: Some(net.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let a = create_container_with(&mut cleanup, &unique_name("shop"), on("shop", None)).await;
    let b = create_container_with(&mut cleanup, &unique_name("blog"), on("blog", Some(&other))).await;
    let plain = create_container(&mut cleanup, &unique_name("plain"), &["sleep", "300"], None).await;
    let refs: Vec<ContainerRef> = [&a, &b, &plain].iter().map(|i| ContainerRef::parse(i).unwrap()).collect();
    let r = engine.audit(&AuditOptions { containers: refs, images: false }, &HostRoot::default()).await.unwrap();
    let rules_of = |id: &str| -> Vec<String> {
        r.containers.iter().find(|c| c.id == id).unwrap().findings.iter().map(|f| f.rule_id.clone()).collect()
    };
    for id in [&a, &b] {
        let got = rules_of(id);
        assert!(got.contains(&"container.shared-volume-rw".to_owned()), "{got:?}");
        assert!(got.contains(&"container.icc-mixed-projects".to_owned()), "{got:?}");
        assert!(!got.contains(&"container.default-bridge".to_owned()), "{got:?}");
    }
    let shop = r.containers.iter().find(|c| c.id == a).unwrap();
    let ev = &shop.findings.iter().find(|f| f.rule_id == "container.shared-volume-rw").unwrap().evidence;
    assert!(ev.iter().any(|e| e.contains(&vol) && e.contains(&other)), "{ev:?}");
    let got = rules_of(&plain);
    assert!(got.contains(&"container.default-bridge".to_owned()), "{got:?}");
    assert!(!got.contains(&"container.shared-volume-rw".to_owned()));
}
