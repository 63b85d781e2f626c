//! `make bench`: remote engines. Prints `bench <name>: … (lower/higher is better)`.
//!
//! - list-100-over-ssh / list-100-over-tls: Bulkhead's container list (100 containers on a
//!   second, real dockerd), on its long-lived connection, serialised as the IPC would, vs
//!   `docker --context X ps -a --no-trunc` — which includes the CLI's start-up and, over SSH, a
//!   new ssh connection each time (the CLI dials per run). Interleaved pairs, medians.
//! - idle-second-engine-cpu: CPU per second of this process and its ssh children while a second
//!   engine (over SSH) is watched and nothing happens, minus the same with one engine.
//!
//! The switch-to-first-painted-row figure is measured in the real window (the e2e bench).

#![allow(clippy::unwrap_used)]

use bulkhead_core::context::{ContextStore, NewContext, TlsInput};
use bulkhead_core::model::{ConnectionState, ListEvent};
use bulkhead_core::{Endpoint, Engine, Watcher};
use bulkhead_tests::dockerd::SecondEngine;
use bulkhead_tests::ssh::Sshd;
use futures_util::StreamExt;
use std::path::Path;
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn ms(s: f64) -> String {
    format!("{:.1} ms", s * 1000.0)
}

/// Time on CPU of a thread or process, in ns (schedstat's first field: finer than the 10 ms
/// ticks of /proc/PID/stat, which an idle engine's cost would vanish in).
fn on_cpu(schedstat: &Path) -> u64 {
    std::fs::read_to_string(schedstat).ok().and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

/// This process (every thread) and its live children (the ssh clients, single-threaded).
fn tree_cpu() -> Duration {
    let me = std::process::id();
    let mut ns: u64 = std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .map(|t| on_cpu(&t.path().join("schedstat")))
        .sum();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()).is_none() {
            continue;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let ppid =
            stat.rsplit_once(')').and_then(|x| x.1.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(me) {
            ns += on_cpu(&e.path().join("schedstat"));
        }
    }
    Duration::from_nanos(ns)
}

async fn cpu_ms_per_sec(window: Duration) -> f64 {
    let start = tree_cpu();
    let t = Instant::now();
    tokio::time::sleep(window).await;
    tree_cpu().saturating_sub(start).as_secs_f64() * 1000.0 / t.elapsed().as_secs_f64()
}

/// `docker --context NAME ps -a --no-trunc`, with `path_dir` first on PATH (the ssh wrapper).
fn cli_ps(config: &Path, path_dir: &Path, context: &str) -> usize {
    let path = format!("{}:{}", path_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("docker")
        .args(["--context", context, "ps", "-a", "--no-trunc"])
        .env("DOCKER_CONFIG", config)
        .env("PATH", path)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .output()
        .expect("docker");
    assert!(out.status.success(), "docker --context {context} ps: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout.len()
}

async fn wait_connected(w: &Watcher) {
    let mut events = Box::pin(w.subscribe());
    while let Some(ev) = events.next().await {
        if let ListEvent::Snapshot { status, .. } = ev {
            if status.state == ConnectionState::Connected {
                return;
            }
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(sshd) = Sshd::start() else { return };
    let Some(second) = SecondEngine::start().await else { return };
    // 100 containers on the second engine (created, not started: a list is a list).
    let t = Instant::now();
    let name = format!("bh-bench-{}", std::process::id());
    for i in 0..100 {
        second.docker(&[
            "create",
            "--network",
            "none",
            "--label",
            &format!("{}={}", bulkhead_tests::TEST_LABEL, std::process::id()),
            "--name",
            &format!("{name}-{i}"),
            bulkhead_tests::FIXTURE_IMAGE,
            "true",
        ]);
    }
    eprintln!("bench: 100 containers on the second engine after {:?}", t.elapsed());

    // The CLI's contexts, in a config folder of the bench's own; its ssh reads the same
    // ssh_config as ours, through a wrapper first on PATH.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("docker");
    let store = ContextStore::new(&config);
    let ssh_url = format!("ssh://bulkhead-ok{}", second.socket.display());
    store
        .create(&NewContext {
            name: "bench-ssh".into(),
            description: String::new(),
            host: ssh_url.clone(),
            tls: None,
            skip_tls_verify: false,
        })
        .unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let files = second.client_files(&certs);
    store
        .create(&NewContext {
            name: "bench-tls".into(),
            description: String::new(),
            host: format!("tcp://{}", second.tls_addr),
            tls: Some(TlsInput { ca: files.ca.clone(), cert: files.cert.clone(), key: files.key.clone() }),
            skip_tls_verify: false,
        })
        .unwrap();
    let wrapper = dir.path().join("bin");
    std::fs::create_dir_all(&wrapper).unwrap();
    let ssh = wrapper.join("ssh");
    std::fs::write(&ssh, format!("#!/bin/sh\nexec /usr/bin/ssh -F '{}' \"$@\"\n", sshd.config().display())).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let mut addr = bulkhead_core::SshAddr::parse(&ssh_url).unwrap();
    addr.config = Some(sshd.config());
    for (what, context, endpoint) in [
        ("ssh", "bench-ssh", Endpoint::Ssh(addr.clone())),
        ("tls", "bench-tls", Endpoint::Tls { addr: second.tls_addr.clone(), files: files.clone() }),
    ] {
        let engine = Engine::connect(&endpoint).await.unwrap();
        let n = engine.list_containers().await.unwrap().len();
        assert!(n >= 100, "{n} containers over {what}");
        cli_ps(&config, &wrapper, context);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for i in 0..21 {
            let run_ours = || async {
                let t = Instant::now();
                serde_json::to_vec(&engine.list_containers().await.unwrap()).unwrap();
                t.elapsed().as_secs_f64()
            };
            let run_cli = || {
                let t = Instant::now();
                cli_ps(&config, &wrapper, context);
                t.elapsed().as_secs_f64()
            };
            if i % 2 == 0 {
                ours.push(run_ours().await);
                theirs.push(run_cli());
            } else {
                theirs.push(run_cli());
                ours.push(run_ours().await);
            }
        }
        let (o, c) = (median(ours), median(theirs));
        println!(
            "bench list-100-over-{what}: {} vs {} (docker --context {context} ps -a --no-trunc, CLI start-up{} included) = {:.3}x (lower is better; target ≤ 1.0x)",
            ms(o),
            ms(c),
            if what == "ssh" { " and its new ssh connection" } else { "" },
            o / c
        );
    }

    // Idle: one engine watched (the local one) vs that and the second one over SSH.
    let window = Duration::from_secs(15);
    let local = Watcher::start(Endpoint::from_env());
    wait_connected(&local).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let one = cpu_ms_per_sec(window).await;
    let remote = Watcher::start(Ok(Endpoint::Ssh(addr)));
    wait_connected(&remote).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let two = cpu_ms_per_sec(window).await;
    println!(
        "bench idle-second-engine-cpu: {two:.3} ms/s with a second engine watched over SSH vs {one:.3} ms/s with one = {:+.3} ms/s (lower is better; target ≤ +1 ms/s; CPU of this process and its ssh clients, from schedstat)",
        two - one
    );
    drop(remote);
    drop(local);
}
