//! `make bench`, a container's files and the engine's events. Each line says which direction
//! is better; every figure is measured here.
//!
//! - list-folder-10000: one folder of 10,000 small files in a running container, listed by
//!   core (the lister in a helper sharing its PID namespace, through the Engine API's exec)
//!   vs `docker exec C ls -la /big` read to the end (the CLI's start-up included): the same
//!   names and lstat; interleaved pairs, medians; lower is better. browse-folder-10000 is the
//!   same with what the container changed marked (`GET /changes` too).
//! - list-root-one-level: `/` of the same container by the lister vs through the engine's
//!   archive (a stopped container's way: everything below `/` is read), interleaved; lower is
//!   better.
//! - download-folder-200mb: a folder of 200 MB saved by core as a `.tar` (the engine's tar as
//!   it is, into a part file made durable with fsync and renamed at the end) vs
//!   `docker cp C:/data - > FILE` then fsync of FILE (the same tar, the same durability, the
//!   CLI's start-up included), interleaved; MB/s, higher is better.
//! - events-1000-per-s: volume create/remove events made at about 1,000 a second
//!   for 3 s (16 at once) while core's events stream is read by a consumer that sleeps 20 ms after each
//!   batch; delivered / sent, in order, and the delay from the engine's time stamp to the
//!   consumer (median, p99; lower is better).
//!
//! Everything it creates is labelled `dev.bulkhead.test=<pid>` and removed at the end, also
//! when the bench panics.

mod common;
use common::{busybox_image, connect, median, paired_with_command};

use bulkhead_core::archive::TransferEvent;
use bulkhead_core::events::{EventQuery, EventsEvent};
use bulkhead_core::files::ContainerPath;
use bulkhead_core::volumes::NewVolume;
use bulkhead_core::{ContainerRef, VolumeRef};
use futures_util::StreamExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LABEL: &str = "dev.bulkhead.test";

/// Removes what the bench made, even on a panic.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={LABEL}={}", self.0);
        let out = Command::new("docker").args(["ps", "-aq", "--filter", &filter]).output().expect("docker");
        for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("docker").args(["rm", "-f", id]).output();
        }
        let out = Command::new("docker").args(["volume", "ls", "-q", "--filter", &filter]).output().expect("docker");
        for v in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("docker").args(["volume", "rm", v]).output();
        }
        let _ = Command::new("docker").args(["rmi", "-f", &format!("bulkhead-bench/busybox:{}", self.0)]).output();
        eprintln!("bench: removed what it created");
    }
}

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((_endpoint, _socket, engine)) = connect().await else { return };
    let pid = std::process::id().to_string();
    let _cleanup = Cleanup(pid.clone());
    let label = format!("{LABEL}={pid}");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wants = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
    let image = busybox_image(&pid, &label);

    // One running container: /big with 10,000 small files, /data with 200 MB in 20 files.
    let script = "mkdir -p /big /data && cd /big && i=0; while [ $i -lt 10000 ]; do echo $i > f$i; i=$((i+1)); done; \
                  for i in 0 1 2 3 4 5 6 7 8 9; do head -c 10000000 /dev/urandom > /data/r$i; \
                  yes 'a line of a log, repeated' | head -c 10000000 > /data/t$i; done; touch /ready; exec sleep 3600";
    let name = format!("bh-bench-files-{pid}");
    let out = Command::new("docker")
        .args(["run", "-d", "--name", &name, "--label", &label, &image, "sh", "-c", script])
        .output()
        .expect("docker run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let c = ContainerRef::parse(&id).expect("id");
    let t = Instant::now();
    while Command::new("docker")
        .args(["exec", &name, "test", "-e", "/ready"])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        assert!(t.elapsed() < Duration::from_secs(300), "the container never got ready");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let path = |s: &str| ContainerPath::plain(s).expect("path");

    if wants("list") {
        let big = path("/big");
        let listed = engine.container_browse(&c, &big).await.expect("list").entries.len();
        assert_eq!(listed, 10_000);
        let (ours, theirs) = paired_with_command(
            11,
            || async {
                assert_eq!(engine.list_folder(&c, &big).await.expect("list").entries.len(), 10_000);
            },
            || {
                let out = Command::new("docker").args(["exec", &name, "ls", "-la", "/big"]).output().expect("exec");
                assert!(out.status.success());
            },
        )
        .await;
        println!(
            "bench list-folder-10000: {:.1} ms vs {:.1} ms (docker exec C ls -la, its CLI start-up included; the same names and lstat, no change markers) = {:.3}x (lower is better; target <= 1.0x)",
            ours * 1000.0,
            theirs * 1000.0,
            ours / theirs
        );
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            assert_eq!(engine.container_browse(&c, &big).await.expect("browse").entries.len(), 10_000);
            times.push(t.elapsed().as_secs_f64());
        }
        println!(
            "bench browse-folder-10000: {:.1} ms with what the container changed marked on each row (GET /changes of a container that wrote 10,000 files and 200 MB, in parallel; lower is better)",
            median(times) * 1000.0
        );
        // One level of `/`: the lister reads the 9 names; the archive's way (a stopped
        // container's) reads everything below them. Same answer, interleaved.
        let root = path("/");
        let read = std::sync::atomic::AtomicU64::new(0);
        let (lister, archive) = common::paired(
            5,
            || async {
                let f = engine.list_folder(&c, &root).await.expect("list /");
                assert!(f.read_bytes == 0 && !f.entries.is_empty());
            },
            || async {
                let f = engine.list_folder_by_archive(&c, &root).await.expect("list /");
                assert!(!f.entries.is_empty());
                read.store(f.read_bytes, std::sync::atomic::Ordering::Relaxed);
            },
        )
        .await;
        println!(
            "bench list-root-one-level: {:.1} ms by the lister vs {:.1} ms through the engine's archive (it reads all {:.1} MB below /) = {:.4}x (lower is better)",
            lister * 1000.0,
            archive * 1000.0,
            read.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6,
            lister / archive
        );
    }

    if wants("download") {
        let dir = tempfile::tempdir().expect("tmp");
        let ours_file = dir.path().join("ours.tar");
        let theirs_file = dir.path().join("theirs.tar");
        let data = path("/data");
        let run_ours = || async {
            let mut s = Box::pin(engine.container_save(&c, &data, ours_file.clone()));
            while let Some(ev) = s.next().await {
                match ev {
                    TransferEvent::Done { .. } => return,
                    TransferEvent::Failed(e) => panic!("save: {e}"),
                    _ => {}
                }
            }
            panic!("the save ended without Done");
        };
        // docker cp's tar, then made durable as ours is before it is renamed into place.
        let run_theirs = || {
            let f = std::fs::File::create(&theirs_file).expect("file");
            let st = Command::new("docker")
                .args(["cp", &format!("{name}:/data"), "-"])
                .stdout(Stdio::from(f.try_clone().expect("file")))
                .status()
                .expect("docker cp");
            assert!(st.success());
            f.sync_all().expect("fsync");
        };
        run_ours().await;
        run_theirs();
        let (ours, theirs) = paired_with_command(5, run_ours, run_theirs).await;
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64;
        println!(
            "bench download-folder-200mb: {:.1} MB/s vs {:.1} MB/s (docker cp C:/data - > FILE then fsync, as ours before its rename; the CLI's start-up included; .tar {:.1} vs {:.1} MB) = {:.3}x (higher is better; target >= 0.95x)",
            200.0 / ours,
            200.0 / theirs,
            size(&ours_file) / 1e6,
            size(&theirs_file) / 1e6,
            theirs / ours
        );
    }

    if wants("events") {
        let prefix = format!("bh-bench-ev-{pid}");
        let q = EventQuery { kinds: vec!["volume".into()], since: Some(now()), ..Default::default() };
        let stream = engine.events(&q).expect("events");
        let consumer = {
            let prefix = prefix.clone();
            tokio::spawn(async move {
                let mut s = Box::pin(stream);
                let mut got: Vec<(String, String, i64)> = Vec::new();
                let mut delays = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(120);
                while let Ok(Some(ev)) = tokio::time::timeout_at(deadline.into(), s.next()).await {
                    match ev {
                        EventsEvent::Events(batch) => {
                            let at = (now() * 1e9) as i64;
                            for e in batch.into_iter().filter(|e| e.id.starts_with(&prefix)) {
                                delays.push((at - e.time_nano) as f64 / 1e6);
                                let done = e.id.ends_with("-end") && e.action == "destroy";
                                got.push((e.id, e.action, e.time_nano));
                                if done {
                                    return (got, delays);
                                }
                            }
                            // A slow consumer: the engine keeps writing meanwhile.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        other => panic!("events stream: {other:?}"),
                    }
                }
                (got, delays)
            })
        };
        // 16 makers, each creating then removing volumes through the API, paced to about
        // 1,000 events a second in all, for 3 s.
        let t0 = Instant::now();
        const MAKERS: usize = 16;
        let per_maker = 94; // 16 × 94 × 2 events ≈ 3,000
        let volume =
            |name: &str| NewVolume { name: name.to_owned(), labels: vec![label.clone()], ..Default::default() };
        let maker = |m: usize| {
            let (engine, prefix, volume) = (engine.clone(), prefix.clone(), volume);
            async move {
                for i in 0..per_maker {
                    let due = Duration::from_micros((i as u64) * 32_000);
                    if let Some(wait) = due.checked_sub(t0.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                    let v = format!("{prefix}-{m}-{i:04}");
                    engine.create_volume(&volume(&v)).await.expect("create");
                    engine.remove_volume(&VolumeRef::parse(&v).expect("name"), false).await.expect("remove");
                }
            }
        };
        futures_util::future::join_all((0..MAKERS).map(maker)).await;
        let sent_secs = t0.elapsed().as_secs_f64();
        let end = format!("{prefix}-end");
        engine.create_volume(&volume(&end)).await.expect("create");
        engine.remove_volume(&VolumeRef::parse(&end).expect("name"), false).await.expect("remove");
        let (got, delays) = consumer.await.expect("consumer");
        let sent = MAKERS * per_maker * 2;
        let received = got.iter().filter(|(id, _, _)| !id.ends_with("-end")).count();
        // The engine's order is the causal order of each maker's calls: every volume's create
        // before its destroy, and each maker's volumes in the order it made them.
        let pos = |id: &str, action: &str| got.iter().position(|(i, a, _)| i == id && a == action);
        let paired_in_order = got
            .iter()
            .filter(|(_, a, _)| a == "create")
            .all(|(id, _, _)| matches!((pos(id, "create"), pos(id, "destroy")), (Some(c), Some(d)) if c < d));
        let per_maker_order = (0..MAKERS).all(|m| {
            let mine: Vec<&str> = got
                .iter()
                .filter(|(id, a, _)| a == "create" && id.starts_with(&format!("{prefix}-{m}-")))
                .map(|(id, _, _)| id.as_str())
                .collect();
            mine.windows(2).all(|w| w[0] < w[1]) && mine.len() == per_maker
        });
        let mut sorted = delays.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let p99 = sorted.get(sorted.len() * 99 / 100).copied().unwrap_or(0.0);
        println!(
            "bench events-1000-per-s: {received} of {sent} delivered ({} lost), each create before its destroy: {}, each maker's in its order: {}, sent at {:.0} events/s to a consumer sleeping 20 ms a batch; delay {:.1} ms median, {:.1} ms p99 (lower is better)",
            sent - received,
            paired_in_order,
            per_maker_order,
            sent as f64 / sent_secs,
            median(delays),
            p99
        );
    }
}
