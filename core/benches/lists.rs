//! `make bench`: Bulkhead's list path against the raw Engine API, on the same socket, in the
//! same run. Prints `bench <name>: <ours> vs <baseline> = <ratio>x`.
//!
//! - list-containers-N / list-images: core's list (engine call, mapping, serialisation to the
//!   IPC bytes) vs a raw `GET /v1.xx/containers/json?all=1` read to the last byte, in
//!   interleaved pairs; the ratio is that of the two medians printed. list-containers-N-bollard:
//!   the same list through bollard's own client (its model, serialised), in the same rounds.
//! - idle-engine-cpu-1000: the engine's CPU time per second while a Watcher follows 1,000
//!   containers and nothing happens, vs the same window with no watcher.
//! - review-per-change-1000: engine and app CPU per container change at 1,000 containers, with
//!   the window's incremental review vs a full audit after each change.
//!
//! Every container it creates is labelled `dev.bulkhead.test=<pid>` and removed at the end,
//! also when the bench panics.

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, RemoveContainerOptions, RemoveImageOptions,
};
mod common;
use common::{connect, paired, raw_get, rotated};

use bulkhead_core::model::ListEvent;
use bulkhead_core::{Endpoint, Watcher};
use futures_util::{FutureExt, StreamExt};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const LABEL: &str = "dev.bulkhead.test";

fn docker(endpoint: &Endpoint) -> bollard::Docker {
    let Endpoint::Unix(p) = endpoint else { panic!("the benches run against a unix socket (common::connect)") };
    bollard::Docker::connect_with_unix(&p.to_string_lossy(), 120, bollard::API_DEFAULT_VERSION).expect("docker client")
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The engine's CPU time so far (user + system), when it runs on this host.
fn engine_cpu() -> Option<Duration> {
    let pid = std::fs::read_to_string("/var/run/docker.pid").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10)) // USER_HZ is 100 on Linux
}

/// This process's CPU time so far (user + system).
fn self_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = stat.rsplit_once(')').map_or("", |x| x.1).split_whitespace().collect();
    let ticks: u64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

async fn engine_cpu_per_sec(window: Duration) -> Option<f64> {
    let start = engine_cpu()?;
    let t = Instant::now();
    tokio::time::sleep(window).await;
    let used = engine_cpu()?.saturating_sub(start);
    Some(used.as_secs_f64() * 1000.0 / t.elapsed().as_secs_f64())
}

struct Created {
    docker: bollard::Docker,
    containers: Vec<String>,
    image: Option<String>,
}

impl Drop for Created {
    fn drop(&mut self) {
        let d = self.docker.clone();
        let ids = std::mem::take(&mut self.containers);
        let image = self.image.take();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
            rt.block_on(async move {
                futures_util::stream::iter(ids)
                    .for_each_concurrent(8, |id| {
                        let d = d.clone();
                        async move {
                            let _ = d
                                .remove_container(
                                    &id,
                                    Some(RemoveContainerOptions { force: true, ..Default::default() }),
                                )
                                .await;
                        }
                    })
                    .await;
                if let Some(i) = image {
                    let _ =
                        d.remove_image(&i, Some(RemoveImageOptions { force: true, ..Default::default() }), None).await;
                }
            });
        })
        .join()
        .ok();
        eprintln!("bench: removed what it created");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((endpoint, socket, engine)) = connect().await else { return };
    let api = engine.version().api;
    let d = docker(&endpoint);
    let pid = std::process::id().to_string();

    // An empty image (imported from an empty tar) is all a created container needs.
    let image = format!("bulkhead-bench/empty:{pid}");
    let mut created = Created { docker: d.clone(), containers: Vec::new(), image: Some(image.clone()) };
    let empty_tar = vec![0u8; 1024];
    let mut s = d.create_image(
        Some(CreateImageOptions {
            from_src: Some("-".into()),
            repo: Some("bulkhead-bench/empty".into()),
            tag: Some(pid.clone()),
            changes: vec![format!("LABEL {LABEL}={pid}")],
            ..Default::default()
        }),
        Some(bollard::body_full(empty_tar.into())),
        None,
    );
    while let Some(r) = s.next().await {
        r.expect("import the empty image");
    }

    let before = engine.list_containers().await.expect("list").len();
    for target in [100usize, 1000] {
        let need = target.saturating_sub(created.containers.len());
        let t = Instant::now();
        let names: Vec<String> =
            (0..need).map(|i| format!("bh-bench-{pid}-{}", created.containers.len() + i)).collect();
        let ids: Vec<String> = futures_util::stream::iter(names)
            .map(|name| {
                let d = d.clone();
                let image = image.clone();
                let pid = pid.clone();
                async move {
                    d.create_container(
                        Some(CreateContainerOptions { name: Some(name), ..Default::default() }),
                        ContainerCreateBody {
                            image: Some(image),
                            cmd: Some(vec!["/none".into()]),
                            labels: Some(HashMap::from([(LABEL.to_owned(), pid)])),
                            ..Default::default()
                        },
                    )
                    .await
                    .expect("create")
                    .id
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
        created.containers.extend(ids);
        eprintln!("bench: {} test containers ({} others) after {:?}", created.containers.len(), before, t.elapsed());

        // Ours (the transport, parsed into our model) vs bollard's own client (parsed into its
        // model) vs a raw GET on a fresh connection; each serialised as the IPC would.
        let path = format!("/v{api}/containers/json?all=1");
        let (e, dd, sock, p) = (&engine, &d, &socket, &path);
        let mut ours = move || {
            async move {
                let t = Instant::now();
                serde_json::to_vec(&e.list_containers().await.expect("list")).expect("json");
                t.elapsed().as_secs_f64()
            }
            .boxed()
        };
        let mut theirs = move || {
            async move {
                let t = Instant::now();
                let opts = bollard::query_parameters::ListContainersOptions { all: true, ..Default::default() };
                serde_json::to_vec(&dd.list_containers(Some(opts)).await.expect("bollard list")).expect("json");
                t.elapsed().as_secs_f64()
            }
            .boxed()
        };
        let mut raw = move || {
            async move {
                let t = Instant::now();
                raw_get(sock, p).await;
                t.elapsed().as_secs_f64()
            }
            .boxed()
        };
        let m = rotated(if target >= 1000 { 31 } else { 61 }, &mut [&mut ours, &mut theirs, &mut raw]).await;
        let (o, b, r) = (Duration::from_secs_f64(m[0]), Duration::from_secs_f64(m[1]), Duration::from_secs_f64(m[2]));
        println!(
            "bench list-containers-{target}: {} vs {} (raw GET {path}) = {:.3}x (lower is better)",
            ms(o),
            ms(r),
            o.as_secs_f64() / r.as_secs_f64()
        );
        println!(
            "bench list-containers-{target}-bollard: {} vs {} (bollard's list_containers on its own client, parsed into its model) = {:.3}x (lower is better)",
            ms(o),
            ms(b),
            o.as_secs_f64() / b.as_secs_f64()
        );
    }

    let path = format!("/v{api}/images/json");
    let (o, r) = paired(
        41,
        || async { serde_json::to_vec(&engine.list_images().await.expect("list")).expect("json").len() },
        || raw_get(&socket, &path),
    )
    .await;
    let (o, r) = (Duration::from_secs_f64(o), Duration::from_secs_f64(r));
    println!(
        "bench list-images: {} vs {} (raw GET {path}) = {:.3}x (lower is better)",
        ms(o),
        ms(r),
        o.as_secs_f64() / r.as_secs_f64()
    );

    // Idle: the engine's CPU with a watcher following ~1,000 containers, vs with none.
    let window = Duration::from_secs(10);
    let Some(baseline) = engine_cpu_per_sec(window).await else {
        println!("bench idle-engine-cpu-1000: skipped (the engine's process is not readable from here)");
        return;
    };
    let watcher = Watcher::start(Ok(endpoint.clone()));
    let mut events = Box::pin(watcher.subscribe());
    loop {
        if let Some(ListEvent::Snapshot { containers, .. }) = events.next().await {
            if containers.len() >= 1000 {
                break;
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ours = engine_cpu_per_sec(window).await.unwrap_or(f64::NAN);
    let ratio = if baseline > 0.0 { format!("{:.2}", ours / baseline) } else { "n/a (baseline 0)".to_owned() };
    println!(
        "bench idle-engine-cpu-1000: {ours:.1} ms/s vs {baseline:.1} ms/s (no watcher) = {ratio}x (lower is better; target ≤ 5 ms/s)"
    );

    // The security review after each container change, at 1,000 containers: incremental (the
    // window's way: only what changed is reviewed again) vs a full audit, alternately, the same
    // change (a rename) before each. Engine and app CPU per change, the change itself included.
    let cache = bulkhead_core::inspect::review::ReviewCache::new();
    cache.follow(&watcher, &tokio::runtime::Handle::current());
    let host = bulkhead_core::inspect::host::HostRoot::default();
    engine.audit_cached(&cache, &host).await.expect("first audit");
    let full = bulkhead_core::inspect::AuditOptions { containers: Vec::new(), images: false };
    let target = created.containers[0].clone();
    let (mut inc, mut all) = ((Duration::ZERO, Duration::ZERO), (Duration::ZERO, Duration::ZERO));
    let changes = 10;
    for i in 0..changes * 2 {
        let (e0, a0) = (engine_cpu().unwrap_or_default(), self_cpu());
        d.rename_container(
            &target,
            bollard::query_parameters::RenameContainerOptions { name: format!("bh-bench-{pid}-renamed-{i}") },
        )
        .await
        .expect("rename");
        while !cache.is_stale(&target) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let slot = if i % 2 == 0 {
            engine.audit_cached(&cache, &host).await.expect("incremental audit");
            &mut inc
        } else {
            engine.audit(&full, &host).await.expect("full audit");
            &mut all
        };
        slot.0 += engine_cpu().unwrap_or_default().saturating_sub(e0);
        slot.1 += self_cpu().saturating_sub(a0);
    }
    drop(watcher);
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / changes as f64;
    let (ie, ia, fe, fa) = (per(inc.0), per(inc.1), per(all.0), per(all.1));
    println!(
        "bench review-per-change-1000: engine {ie:.0} ms + app {ia:.0} ms CPU per change vs engine {fe:.0} ms + app {fa:.0} ms (a full audit after each change) = {:.3}x (lower is better)",
        (ie + ia) / (fe + fa).max(0.001)
    );
}
