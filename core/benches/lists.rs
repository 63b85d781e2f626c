//! `make bench`: Bulkhead's list path against the raw Engine API, on the same socket, in the
//! same run. Prints `bench <name>: <ours> vs <baseline> = <ratio>x`.
//!
//! - list-containers-N / list-images: core's list (engine call, mapping, serialisation to the
//!   IPC bytes) vs a raw `GET /v1.xx/containers/json?all=1` read to the last byte. Ratios are
//!   medians of interleaved pairs: these machines drift ±25 % in absolute time, paired ratios
//!   hold within a few per cent.
//! - idle-engine-cpu-1000: the engine's CPU time per second while a Watcher follows 1,000
//!   containers and nothing happens, vs the same window with no watcher.
//!
//! Every container it creates is labelled `dev.bulkhead.test=<pid>` and removed at the end,
//! also when the bench panics.

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, RemoveContainerOptions, RemoveImageOptions,
};
mod common;
use common::{connect, median, raw_get};

use bulkhead_core::model::ListEvent;
use bulkhead_core::{Endpoint, Watcher};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const LABEL: &str = "dev.bulkhead.test";

fn docker(endpoint: &Endpoint) -> bollard::Docker {
    match endpoint {
        Endpoint::Unix(p) => {
            bollard::Docker::connect_with_unix(&p.to_string_lossy(), 120, bollard::API_DEFAULT_VERSION)
        }
        Endpoint::Tcp(h) => {
            bollard::Docker::connect_with_http(&format!("http://{h}"), 120, bollard::API_DEFAULT_VERSION)
        }
    }
    .expect("docker client")
}

/// Times `ours` and `raw` alternately, `pairs` times; returns (median ours, median raw, median ratio).
async fn paired<A, B, FA, FB>(pairs: usize, mut ours: A, mut raw: B) -> (Duration, Duration, f64)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: std::future::Future<Output = usize>,
    FB: std::future::Future<Output = usize>,
{
    // Warm up both paths once.
    ours().await;
    raw().await;
    let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        let (ta, tb) = if i % 2 == 0 {
            let t = Instant::now();
            ours().await;
            let ta = t.elapsed();
            let t = Instant::now();
            raw().await;
            (ta, t.elapsed())
        } else {
            let t = Instant::now();
            raw().await;
            let tb = t.elapsed();
            let t = Instant::now();
            ours().await;
            (t.elapsed(), tb)
        };
        a.push(ta.as_secs_f64());
        b.push(tb.as_secs_f64());
        r.push(ta.as_secs_f64() / tb.as_secs_f64());
    }
    (Duration::from_secs_f64(median(a)), Duration::from_secs_f64(median(b)), median(r))
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

        let path = format!("/v{api}/containers/json?all=1");
        let (o, r, ratio) = paired(
            if target >= 1000 { 41 } else { 61 },
            || async { serde_json::to_vec(&engine.list_containers().await.expect("list")).expect("json").len() },
            || raw_get(&socket, &path),
        )
        .await;
        println!("bench list-containers-{target}: {} vs {} (raw GET {path}) = {ratio:.3}x", ms(o), ms(r));
    }

    let path = format!("/v{api}/images/json");
    let (o, r, ratio) = paired(
        41,
        || async { serde_json::to_vec(&engine.list_images().await.expect("list")).expect("json").len() },
        || raw_get(&socket, &path),
    )
    .await;
    println!("bench list-images: {} vs {} (raw GET {path}) = {ratio:.3}x", ms(o), ms(r));

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
    drop(watcher);
    let ratio = if baseline > 0.0 { format!("{:.2}", ours / baseline) } else { "n/a (baseline 0)".to_owned() };
    println!(
        "bench idle-engine-cpu-1000: {ours:.1} ms/s vs {baseline:.1} ms/s (no watcher) = {ratio}x (target ≤ 5 ms/s)"
    );
}
