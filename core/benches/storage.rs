//! `make bench`, volumes and networks. Prints `bench <name>: <ours> vs <baseline> = <ratio>x`.
//!
//! - list-volumes-1000 / list-networks-200: core's list (engine call, mapping, serialisation
//!   to the IPC bytes) vs a raw `GET /v1.xx/volumes` (`/networks`) read to the last byte on a
//!   fresh connection of the same socket, interleaved pairs, medians. The baseline parses
//!   nothing, so `-parsed` compares equal work: core's list (no IPC bytes) vs the raw GET
//!   parsed into serde_json's Value.
//! - export-volume-200mb: a 200 MB volume exported to a .tar.gz through core (helper container,
//!   the engine's archive, gzip level 1 into a part file) vs `docker run --rm -v VOL:/v busybox
//!   tar c /v | gzip -1 > FILE` (the CLI's start-up and a container's start included), both
//!   writing to the same folder, interleaved; throughput in MB/s, higher is better.
//!
//! Everything it creates is labelled `dev.bulkhead.test=<pid>` and removed at the end, also
//! when the bench panics.

mod common;
use common::{busybox_image, connect, median, paired, raw_get};

use bulkhead_core::networks::NewNetwork;
use bulkhead_core::volume_data::{TransferEvent, VolumePath};
use bulkhead_core::volumes::NewVolume;
use bulkhead_core::VolumeRef;
use futures_util::StreamExt;
use std::process::Command;
use std::time::Instant;

const LABEL: &str = "dev.bulkhead.test";

fn docker_cli(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker CLI");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Removes what the bench made (volumes, networks, containers, the image), even on a panic.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={LABEL}={}", self.0);
        for (ls, rm) in [
            (["ps", "-aq"], ["rm", "-f"]),
            (["volume", "ls"], ["volume", "rm"]),
            (["network", "ls"], ["network", "rm"]),
        ] {
            let mut args: Vec<&str> = ls.to_vec();
            if ls[0] != "ps" {
                args.push("-q");
            }
            args.extend(["--filter", &filter]);
            let found = docker_cli(&args);
            let found: Vec<&str> = found.split_whitespace().collect();
            for chunk in found.chunks(100) {
                let mut a: Vec<&str> = rm.to_vec();
                a.extend(chunk);
                let _ = Command::new("docker").args(&a).output();
            }
        }
        let _ = Command::new("docker").args(["rmi", "-f", &format!("bulkhead-bench/busybox:{}", self.0)]).output();
        eprintln!("bench: removed what it created");
    }
}

fn ms(s: f64) -> String {
    format!("{:.2} ms", s * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((_endpoint, socket, engine)) = connect().await else { return };
    let api = engine.version().api;
    let pid = std::process::id().to_string();
    let _cleanup = Cleanup(pid.clone());
    let label = format!("{LABEL}={pid}");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wants = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);

    if wants("lists") {
        // 1,000 volumes and 200 networks (each bridge with a /29 of its own: the engine's
        // default pools hold about 30 networks).
        let t = Instant::now();
        let e = &engine;
        futures_util::stream::iter(0..1000)
            .map(|i| {
                let label = label.clone();
                let pid = pid.clone();
                async move {
                    e.create_volume(&NewVolume {
                        name: format!("bh-bench-{pid}-{i}"),
                        labels: vec![label],
                        ..Default::default()
                    })
                    .await
                    .expect("create a volume");
                }
            })
            .buffer_unordered(4)
            .collect::<Vec<()>>()
            .await;
        futures_util::stream::iter(0..200u32)
            .map(|i| {
                let label = label.clone();
                let pid = pid.clone();
                async move {
                    let base = i * 8;
                    let subnet = format!("10.241.{}.{}/29", base / 256, base % 256);
                    e.create_network(&NewNetwork {
                        name: format!("bh-bench-{pid}-{i}"),
                        subnet,
                        labels: vec![label],
                        ..Default::default()
                    })
                    .await
                    .expect("create a network");
                }
            })
            .buffer_unordered(2)
            .collect::<Vec<()>>()
            .await;
        eprintln!("bench: 1000 volumes and 200 networks made in {:?}", t.elapsed());

        for (what, n, path) in
            [("volumes", 1000, format!("/v{api}/volumes")), ("networks", 200, format!("/v{api}/networks"))]
        {
            let list = || async {
                if what == "volumes" {
                    serde_json::to_vec(&engine.list_volumes().await.expect("list")).expect("json")
                } else {
                    serde_json::to_vec(&engine.list_networks().await.expect("list")).expect("json")
                }
            };
            let (o, r) = paired(
                31,
                || async {
                    list().await;
                },
                || async {
                    raw_get(&socket, &path).await;
                },
            )
            .await;
            println!(
                "bench list-{what}-{n}: {} vs {} (raw GET {path}, read to the last byte, nothing parsed; ours parses and serialises for IPC) = {:.3}x (lower is better)",
                ms(o),
                ms(r),
                o / r
            );
            // Equal work: both sides parse the engine's answer (ours into its model, the
            // baseline into serde_json's Value); neither serialises.
            let (o, r) = paired(
                31,
                || async {
                    if what == "volumes" {
                        engine.list_volumes().await.expect("list");
                    } else {
                        engine.list_networks().await.expect("list");
                    }
                },
                || async {
                    let _: serde_json::Value =
                        serde_json::from_slice(&raw_get_body(&socket, &path).await).expect("JSON");
                },
            )
            .await;
            println!(
                "bench list-{what}-{n}-parsed: {} vs {} (raw GET {path} parsed into serde_json::Value) = {:.3}x (lower is better)",
                ms(o),
                ms(r),
                o / r
            );
        }
    }

    if wants("export") {
        // A busybox image, FROM scratch.
        let image = busybox_image(&pid, &label);

        // 200 MB: half random (incompressible), half text-like (compressible), in 20 files.
        let vol = format!("bh-bench-{pid}-export");
        engine
            .create_volume(&NewVolume { name: vol.clone(), labels: vec![label.clone()], ..Default::default() })
            .await
            .expect("volume");
        let fill = "for i in 0 1 2 3 4 5 6 7 8 9; do head -c 10000000 /dev/urandom > /v/r$i; yes 'a line of a log, repeated' | head -c 10000000 > /v/t$i; done";
        let out = Command::new("docker")
            .args(["run", "--rm", "--label", &label, "-v", &format!("{vol}:/v"), &image, "sh", "-c", fill])
            .output()
            .expect("fill the volume");
        assert!(out.status.success(), "fill: {}", String::from_utf8_lossy(&out.stderr));
        let bytes = 200_000_000f64;

        let target = tempfile::tempdir().expect("tmp");
        let v = VolumeRef::parse(&vol).expect("volume name");
        let ours_file = target.path().join("ours.tar.gz");
        let theirs_file = target.path().join("theirs.tar.gz");
        let run_ours = || async {
            let mut s = Box::pin(engine.volume_save(&v, &VolumePath::parse("").expect("root"), ours_file.clone()));
            while let Some(ev) = s.next().await {
                match ev {
                    TransferEvent::Done { .. } => return,
                    TransferEvent::Failed(e) => panic!("export: {e}"),
                    _ => {}
                }
            }
            panic!("the export ended without Done");
        };
        let script = format!(
            "docker run --rm --label {label} -v {vol}:/v {image} tar c /v | gzip -1 > {}",
            theirs_file.display()
        );
        let run_theirs = || {
            let out = Command::new("sh").args(["-c", &script]).output().expect("sh");
            assert!(out.status.success(), "baseline: {}", String::from_utf8_lossy(&out.stderr));
        };
        run_ours().await;
        run_theirs();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for i in 0..5 {
            let ours_once = || async {
                let t = Instant::now();
                run_ours().await;
                t.elapsed().as_secs_f64()
            };
            let theirs_once = || {
                let t = Instant::now();
                run_theirs();
                t.elapsed().as_secs_f64()
            };
            if i % 2 == 0 {
                a.push(ours_once().await);
                b.push(theirs_once());
            } else {
                b.push(theirs_once());
                a.push(ours_once().await);
            }
        }
        let (o, t) = (median(a), median(b));
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        println!(
            "bench export-volume-200mb: {:.1} MB/s vs {:.1} MB/s (docker run --rm -v VOL:/v busybox tar c /v | gzip -1, its CLI start-up and container start included; .tar.gz {} vs {} bytes) = {:.3}x (higher is better)",
            bytes / o / 1e6,
            bytes / t / 1e6,
            size(&ours_file),
            size(&theirs_file),
            t / o
        );
    }
}

/// A raw `GET` on a fresh connection; the body (after the head).
async fn raw_get_body(socket: &std::path::Path, path: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::UnixStream::connect(socket).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").as_bytes()).await.expect("request");
    let mut all = Vec::new();
    s.read_to_end(&mut all).await.expect("read");
    let head = all.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP head") + 4;
    all.split_off(head)
}
