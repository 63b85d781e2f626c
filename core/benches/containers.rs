//! `make bench`, containers part. Prints `bench <name>: <ours> vs <baseline> = <ratio>x`.
//!
//! - run-container-cli / -api: create-and-start through core vs `docker run -d` (the CLI, its
//!   start-up included) and vs a raw create + start on the same socket, interleaved pairs.
//! - logs-50mb: reading a 50 MB log through core (demultiplexed into lines) vs a raw GET of the
//!   same log on the same socket: throughput, and the CPU this process spent for it.
//! - build-fixture-cli / -api: building a busybox folder through core vs `docker build` of the
//!   same folder with the classic builder (both without cache), and vs the folder tarred and
//!   POSTed to /build raw.
//! - logs-50mb-bollard: the same log through bollard's own client; logs-50mb-body-fast-path-cpu:
//!   the log body on core's hand-written reader vs through core's hyper client (why it stays).
//! - exec-100mb-*: 100 MB of exec output through core vs the same upgrade read off a raw socket
//!   and vs bollard's own client, non-TTY, TTY zeros, TTY text; exec-keystroke-echo: one byte to
//!   `cat` and back.
//! - logs-tail-1gb-cli / -api: the last 1,000 lines of a 1 GB log through core vs
//!   `docker logs --tail 1000` and vs a raw GET with tail=1000, and how much this process's
//!   peak memory grew (BENCH_BIG_LOG_MB changes the size).
//!
//! - audit-100-containers: the security review of 100 containers (25 running) vs 100 raw
//!   inspects of the same containers with the audit's concurrency (8 in flight), interleaved.
//!
//! Everything it creates is labelled `dev.bulkhead.test=<pid>` and removed at the end.

mod common;
use common::{
    busybox_image, connect, interleaved, median, paired_with_command, raw_exec_start, raw_get, raw_post, rotated,
};

use bulkhead_core::logs::LogOptions;
use bulkhead_core::run::RunRequest;
use bulkhead_core::{ContainerRef, Engine};
use futures_util::{FutureExt, StreamExt};
use std::process::Command;
use std::time::{Duration, Instant};

const LABEL: &str = "dev.bulkhead.test";

/// This process's CPU time so far (user + system).
fn cpu_now() -> Duration {
    // Each thread's time on a CPU in nanoseconds (/proc/self/task/*/schedstat), summed: the
    // 10 ms ticks of /proc/self/stat were too coarse for a 200 ms figure. Threads that ended
    // are left out, which the runtime's fixed pool of workers makes harmless here.
    let mut ns: u64 = 0;
    for t in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let s = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
        ns += s.split_whitespace().next().and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    }
    Duration::from_nanos(ns)
}

fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn docker_cli(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("the docker CLI");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn core_logs(engine: &Engine, id: &str, opts: &LogOptions) -> (usize, usize) {
    let mut s = Box::pin(engine.logs(&ContainerRef::parse(id).expect("id"), opts).await.expect("logs"));
    let (mut lines, mut bytes) = (0, 0);
    while let Some(b) = s.next().await {
        let b = b.expect("batch");
        lines += b.len();
        bytes += b.iter().map(|l| l.text.len() + 1).sum::<usize>();
    }
    (lines, bytes)
}

/// `sh -c cmd` created as an exec (all streams attached) on bollard's own client, for the
/// baselines that start it themselves.
async fn create_exec(docker: &bollard::Docker, id: &str, tty: bool, cmd: &str) -> bollard::exec::CreateExecResults {
    let config = bollard::models::ExecConfig {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        attach_stdin: Some(true),
        tty: Some(tty),
        cmd: Some(vec!["sh".into(), "-c".into(), cmd.to_owned()]),
        ..Default::default()
    };
    docker.create_exec(id, config).await.expect("create exec")
}

/// The raw baseline of an interactive session: `program` started with exec in a TTY (input
/// and output attached) on a raw socket.
async fn raw_tty_exec(
    docker: &bollard::Docker,
    socket: &std::path::Path,
    api: &str,
    id: &str,
    program: &str,
) -> tokio::net::UnixStream {
    let exec = docker
        .create_exec(
            id,
            bollard::models::ExecConfig {
                attach_stdout: Some(true),
                attach_stdin: Some(true),
                tty: Some(true),
                cmd: Some(vec![program.into()]),
                ..Default::default()
            },
        )
        .await
        .expect("create exec");
    raw_exec_start(socket, api, &exec.id, true).await
}

async fn wait_exited(id: &str) {
    loop {
        if docker_cli(&["inspect", "-f", "{{.State.Status}}", id]) == "exited" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={LABEL}={}", self.0);
        let ids = docker_cli(&["ps", "-aq", "--filter", &filter]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids);
            let _ = Command::new("docker").args(&args).output();
        }
        let _ = Command::new("docker").args(["rmi", "-f", &format!("bulkhead-bench/busybox:{}", self.0)]).output();
        eprintln!("bench: removed what it created");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((_endpoint, socket, engine)) = connect().await else { return };
    let api = engine.version().api;
    let pid = std::process::id().to_string();
    let _cleanup = Cleanup(pid.clone());
    let label = format!("{LABEL}={pid}");

    // A busybox image, FROM scratch.
    let image = busybox_image(&pid, &label);

    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let wants = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);

    // 1. Create and start.
    if wants("run") {
        let req = RunRequest {
            image: image.clone(),
            command: "sleep 600".into(),
            pids_limit: "10".into(),
            labels: vec![label.clone()],
            ..RunRequest::default()
        };
        let (ours, cli) = paired_with_command(
            11,
            || async {
                engine.run(&req).await.expect("run");
            },
            || {
                docker_cli(&["run", "-d", "--pids-limit", "10", "--label", &label, &image, "sleep", "600"]);
            },
        )
        .await;
        println!(
            "bench run-container-cli: {:.1} ms vs {:.1} ms (docker run -d, the CLI's start-up included) = {:.3}x (lower is better)",
            ours * 1000.0,
            cli * 1000.0,
            ours / cli
        );
        // The same work at the API level: create and start, raw, on the same socket.
        let body = serde_json::json!({
            "Image": image, "Cmd": ["sleep", "600"], "Labels": { LABEL: pid },
            "HostConfig": { "PidsLimit": 10 }
        })
        .to_string();
        let ours = || async {
            let t = Instant::now();
            engine.run(&req).await.expect("run");
            t.elapsed().as_secs_f64()
        };
        let raw = || async {
            let t = Instant::now();
            let created =
                raw_post(&socket, &format!("/v{api}/containers/create"), "application/json", body.as_bytes()).await;
            let text = String::from_utf8_lossy(&created);
            let id = text.split("\"Id\":\"").nth(1).and_then(|s| s.split('"').next()).expect("created").to_owned();
            raw_post(&socket, &format!("/v{api}/containers/{id}/start"), "application/json", b"").await;
            t.elapsed().as_secs_f64()
        };
        let (o, r) = interleaved(11, ours, raw).await;
        println!(
            "bench run-container-api: {:.1} ms vs {:.1} ms (raw POST create + start) = {:.3}x (lower is better)",
            o * 1000.0,
            r * 1000.0,
            o / r
        );
        let ids = docker_cli(&["ps", "-q", "--filter", &format!("label={label}")]);
        let mut args = vec!["rm", "-f"];
        args.extend(ids.split_whitespace());
        if args.len() > 2 {
            docker_cli(&args);
        }
    }

    // 2. A 50 MB log, read whole.
    let line = "bulkhead log line 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if wants("logs") {
        let size = 50 * 1024 * 1024;
        let id = docker_cli(&[
            "run",
            "-d",
            "--label",
            &label,
            &image,
            "sh",
            "-c",
            &format!("yes '{line}' | head -c {size}"),
        ]);
        wait_exited(&id).await;
        let path = format!("/v{api}/containers/{id}/logs?stdout=1&stderr=1&tail=all");
        let all = LogOptions { tail: None, ..LogOptions::default() };
        let (mut rt, mut ct, mut rc, mut cc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut text = 0;
        for i in 0..9 {
            let raw = || async {
                let (c, t) = (cpu_now(), Instant::now());
                raw_get(&socket, &path).await;
                (t.elapsed().as_secs_f64(), cpu_now().saturating_sub(c).as_secs_f64())
            };
            let ours = || async {
                let (c, t) = (cpu_now(), Instant::now());
                let (_, bytes) = core_logs(&engine, &id, &all).await;
                (t.elapsed().as_secs_f64(), cpu_now().saturating_sub(c).as_secs_f64(), bytes)
            };
            let ((a, ac, bytes), (b, bc)) = if i % 2 == 0 {
                let o = ours().await;
                (o, raw().await)
            } else {
                let r = raw().await;
                (ours().await, r)
            };
            text = bytes;
            ct.push(a);
            cc.push(ac);
            rt.push(b);
            rc.push(bc);
        }
        let mb = text as f64 / 1e6;
        let (ours_mb_s, raw_mb_s) = (mb / median(ct.clone()), mb / median(rt.clone()));
        println!(
            "bench logs-50mb-throughput: {ours_mb_s:.0} MB/s vs {raw_mb_s:.0} MB/s (raw GET) = {:.3}x (higher is better; target ≥ 0.9x)",
            ours_mb_s / raw_mb_s
        );
        let (occ, rcc) = (median(cc.clone()) * 1000.0, median(rc.clone()) * 1000.0);
        println!(
            "bench logs-50mb-cpu: {occ:.0} ms vs {rcc:.0} ms (raw GET, this process's CPU) = {:.2}x (lower is better)",
            occ / rcc.max(0.001)
        );

        // The same log through bollard's own client (demultiplexed into its frames), and the
        // log body alone on our fast path vs through our hyper client (time and CPU): the
        // measurement that keeps the hand-written reader (see core/src/http.rs).
        let docker = bollard::Docker::connect_with_unix(&socket.to_string_lossy(), 120, bollard::API_DEFAULT_VERSION)
            .expect("docker");
        let cref = ContainerRef::parse(&id).expect("id");
        let (e, dd, cr, idr, all) = (&engine, &docker, &cref, id.as_str(), &all);
        let mut ours = move || {
            async move {
                let t = Instant::now();
                core_logs(e, idr, all).await;
                t.elapsed().as_secs_f64()
            }
            .boxed()
        };
        let mut theirs = move || {
            async move {
                let t = Instant::now();
                let opts = bollard::query_parameters::LogsOptions {
                    stdout: true,
                    stderr: true,
                    tail: "all".into(),
                    ..Default::default()
                };
                let mut s = dd.logs(idr, Some(opts));
                while let Some(x) = s.next().await {
                    x.expect("bollard logs");
                }
                t.elapsed().as_secs_f64()
            }
            .boxed()
        };
        let m = rotated(7, &mut [&mut ours, &mut theirs]).await;
        println!(
            "bench logs-50mb-bollard: {:.0} MB/s vs {:.0} MB/s (bollard's logs() on its own client, into its frames) = {:.3}x (higher is better)",
            mb / m[0],
            mb / m[1],
            m[1] / m[0]
        );
        let body = |hyper: bool| {
            move || {
                async move {
                    let c = cpu_now();
                    let n = e.bench_read_log_body(cr, hyper).await.expect("body");
                    assert!(n > 50 * 1024 * 1024, "{n}");
                    cpu_now().saturating_sub(c).as_secs_f64() * 1000.0
                }
                .boxed()
            }
        };
        let (mut fast, mut slow) = (body(false), body(true));
        let m = rotated(7, &mut [&mut fast, &mut slow]).await;
        println!(
            "bench logs-50mb-body-fast-path-cpu: {:.0} ms vs {:.0} ms (the same body through hyper's client, frame by frame; this process's CPU) = {:.3}x (lower is better)",
            m[0],
            m[1],
            m[0] / m[1].max(0.001)
        );
        docker_cli(&["rm", "-f", &id]);
    }

    // 3. Building the busybox fixture folder, without cache.
    if wants("build") {
        let ctx = std::env::temp_dir().join(format!("bulkhead-bench-ctx-{pid}"));
        std::fs::create_dir_all(&ctx).expect("tmp");
        std::fs::copy("/bin/busybox", ctx.join("busybox")).expect("busybox");
        std::fs::write(
            ctx.join("Dockerfile"),
            format!("FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nLABEL {label}\n"),
        )
        .expect("Dockerfile");
        let tag = format!("bulkhead-bench/built:{pid}");
        let req = bulkhead_core::build::BuildRequest {
            context: ctx.display().to_string(),
            tags: vec![tag.clone()],
            no_cache: true,
            ..Default::default()
        };
        let ctx_str = ctx.display().to_string();
        let (ours, cli) = paired_with_command(
            7,
            || async {
                let plan = bulkhead_core::build::validate(&req).expect("valid");
                let events: Vec<_> = engine.build(plan).collect().await;
                assert!(
                    matches!(events.last(), Some(bulkhead_core::build::BuildEvent::Done { .. })),
                    "{:?}",
                    events.last()
                );
            },
            || {
                // The classic builder, as Bulkhead's /build call uses.
                let out = Command::new("docker")
                    .args(["build", "-q", "--no-cache", "-t", &tag, &ctx_str])
                    .env("DOCKER_BUILDKIT", "0")
                    .output()
                    .expect("docker build");
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            },
        )
        .await;
        println!(
            "bench build-fixture-cli: {:.0} ms vs {:.0} ms (DOCKER_BUILDKIT=0 docker build --no-cache, the CLI's start-up included; both the classic builder) = {:.3}x (lower is better; target ≤ 1.1x)",
            ours * 1000.0,
            cli * 1000.0,
            ours / cli
        );
        // The same work at the API level: the folder tarred, POSTed to /build, read to the end.
        let (mut o, mut r) = (Vec::new(), Vec::new());
        let query = format!("/v{api}/build?t={}&nocache=1&rm=1&forcerm=1", tag.replace(':', "%3A").replace('/', "%2F"));
        for i in 0..7 {
            let ours = || async {
                let t = Instant::now();
                let plan = bulkhead_core::build::validate(&req).expect("valid");
                let events: Vec<_> = engine.build(plan).collect().await;
                assert!(matches!(events.last(), Some(bulkhead_core::build::BuildEvent::Done { .. })));
                t.elapsed().as_secs_f64()
            };
            let raw = || async {
                let t = Instant::now();
                let mut tar = tar::Builder::new(Vec::new());
                tar.append_dir_all(".", &ctx).expect("tar");
                let body = tar.into_inner().expect("tar");
                let out = raw_post(&socket, &query, "application/x-tar", &body).await;
                assert!(String::from_utf8_lossy(&out).contains("Successfully built"), "the raw build succeeded");
                t.elapsed().as_secs_f64()
            };
            let (a, b) = if i % 2 == 0 {
                let a = ours().await;
                (a, raw().await)
            } else {
                let b = raw().await;
                (ours().await, b)
            };
            o.push(a);
            r.push(b);
        }
        let (o, r) = (median(o), median(r));
        println!(
            "bench build-fixture-api: {:.0} ms vs {:.0} ms (the folder tarred and POSTed to /build raw) = {:.3}x (lower is better)",
            o * 1000.0,
            r * 1000.0,
            o / r
        );
        let _ = std::fs::remove_dir_all(&ctx);
        let _ = Command::new("docker").args(["rmi", "-f", &tag]).output();
        // The untagged results of the earlier rounds.
        let left = docker_cli(&["images", "-q", "--filter", &format!("label={label}"), "--filter", "dangling=true"]);
        let mut args = vec!["rmi", "-f"];
        args.extend(left.split_whitespace());
        if args.len() > 2 {
            let _ = Command::new("docker").args(&args).output();
        }
    }

    // 4. Exec: 100 MB of output, TTY and not; keystroke echo.
    if wants("exec") {
        let id = docker_cli(&["run", "-d", "--label", &label, &image, "sleep", "600"]);
        let c = ContainerRef::parse(&id).expect("id");
        let docker = bollard::Docker::connect_with_unix(&socket.to_string_lossy(), 120, bollard::API_DEFAULT_VERSION)
            .expect("docker");
        let mb100 = 100 * 1024 * 1024;
        for (name, tty, cmd) in [
            ("exec-100mb-non-tty", false, format!("head -c {mb100} /dev/zero")),
            ("exec-100mb-tty-zeros", true, format!("stty raw; head -c {mb100} /dev/zero")),
            (
                "exec-100mb-tty-text",
                true,
                format!("stty raw; yes 'bulkhead terminal text 0123456789' | head -c {mb100}"),
            ),
        ] {
            let (mut ours_mb_s, mut raw_mb_s, mut bollard_mb_s) = (Vec::new(), Vec::new(), Vec::new());
            let (mut ours_cpu, mut raw_cpu) = (Vec::new(), Vec::new());
            // Five interleaved pairs: this machine's noise is ±20 % from one run to the next.
            for i in 0..5 {
                let ours = || async {
                    let (t, cpu) = (Instant::now(), cpu_now());
                    let req = bulkhead_core::exec::ExecRequest {
                        command: format!("sh -c \"{cmd}\""),
                        tty,
                        ..Default::default()
                    };
                    let mut s = engine.exec(&c, &req).await.expect("exec");
                    let mut n = 0usize;
                    while let Some(b) = s.output.next().await.expect("read") {
                        n += b.len();
                    }
                    assert!(n >= mb100, "{name}: {n} bytes");
                    (t.elapsed().as_secs_f64(), n, cpu_now().saturating_sub(cpu).as_secs_f64() * 1000.0)
                };
                let raw = || async {
                    let (t, cpu) = (Instant::now(), cpu_now());
                    let exec = create_exec(&docker, &id, tty, &cmd).await;
                    let mut s = raw_exec_start(&socket, &api.to_string(), &exec.id, tty).await;
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut n = 0usize;
                    loop {
                        match tokio::io::AsyncReadExt::read(&mut s, &mut buf).await.expect("read") {
                            0 => break,
                            k => n += k,
                        }
                    }
                    (t.elapsed().as_secs_f64(), n, cpu_now().saturating_sub(cpu).as_secs_f64() * 1000.0)
                };
                // bollard's own client: create, start attached, its output stream read to the end.
                let theirs = || async {
                    let (t, cpu) = (Instant::now(), cpu_now());
                    let exec = create_exec(&docker, &id, tty, &cmd).await;
                    let started = docker.start_exec(&exec.id, None).await.expect("start exec");
                    let bollard::exec::StartExecResults::Attached { mut output, input } = started else {
                        panic!("detached")
                    };
                    let mut n = 0usize;
                    while let Some(x) = output.next().await {
                        n += x.expect("bollard exec").into_bytes().len();
                    }
                    drop(input);
                    (t.elapsed().as_secs_f64(), n, cpu_now().saturating_sub(cpu).as_secs_f64() * 1000.0)
                };
                // Ours and raw alternate first, as the pair always did; bollard follows them (a
                // side running between the two was seen to shift the raw baseline by 15 %).
                let ((a, an, acpu), (b, bn, bcpu)) = if i % 2 == 0 {
                    let o = ours().await;
                    (o, raw().await)
                } else {
                    let r = raw().await;
                    (ours().await, r)
                };
                let (c, cn, _) = theirs().await;
                ours_mb_s.push(an as f64 / 1e6 / a);
                raw_mb_s.push(bn as f64 / 1e6 / b);
                bollard_mb_s.push(cn as f64 / 1e6 / c);
                ours_cpu.push(acpu);
                raw_cpu.push(bcpu);
            }
            let (o, r, b) = (median(ours_mb_s), median(raw_mb_s), median(bollard_mb_s));
            println!(
                "bench {name}: {o:.0} MB/s vs {r:.0} MB/s (raw hijacked socket) = {:.3}x (higher is better; target ≥ 0.95x)",
                o / r
            );
            let (oc, rc) = (median(ours_cpu), median(raw_cpu));
            println!(
                "bench {name}-cpu: {oc:.0} ms vs {rc:.0} ms (raw hijacked socket; this process's CPU for 100 MB) = {:.3}x (lower is better)",
                oc / rc.max(0.001)
            );
            println!(
                "bench {name}-bollard: {o:.0} MB/s vs {b:.0} MB/s (bollard's start_exec on its own client) = {:.3}x (higher is better)",
                o / b
            );
        }

        // Keystroke echo: one byte to `cat` in a TTY and back.
        let req = bulkhead_core::exec::ExecRequest { command: "cat".into(), ..Default::default() };
        let mut s = engine.exec(&c, &req).await.expect("exec");
        let mut ours = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            s.input.write(b"x").await.expect("write");
            let _ = s.output.next().await.expect("echo");
            ours.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let mut raw = raw_tty_exec(&docker, &socket, &api.to_string(), &id, "cat").await;
        let mut theirs = Vec::new();
        let mut buf = [0u8; 64];
        for _ in 0..200 {
            let t = Instant::now();
            tokio::io::AsyncWriteExt::write_all(&mut raw, b"x").await.expect("write");
            let _ = tokio::io::AsyncReadExt::read(&mut raw, &mut buf).await.expect("read");
            theirs.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (o, r) = (median(ours), median(theirs));
        println!(
            "bench exec-keystroke-echo: {o:.3} ms vs {r:.3} ms (raw hijacked socket) = {:+.3} ms (lower is better; target ≤ +0.5 ms)",
            o - r
        );

        // ^C in a `yes` flood, the reader paused 300 ms first (as a busy window would), until
        // the shell's answer after it arrives: through core (which skips what the engine had
        // buffered) vs the raw socket reading all of it. Five interleaved pairs.
        let marker = b"after-42";
        let mut ours_ms = Vec::new();
        let mut raw_ms = Vec::new();
        let mut skipped = Vec::new();
        for i in 0..5 {
            let ours = || async {
                let req = bulkhead_core::exec::ExecRequest { command: "sh".into(), ..Default::default() };
                let mut s = engine.exec(&c, &req).await.expect("exec");
                s.input.write(b"yes flood\n").await.expect("write");
                let mut n = 0;
                while n < 1_000_000 {
                    n += s.output.next().await.expect("read").expect("flood").len();
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                let t = Instant::now();
                s.input.write(b"\x03echo after-$((40+2))\n").await.expect("write");
                let mut tail: Vec<u8> = Vec::new();
                while !tail.windows(marker.len()).any(|w| w == marker) {
                    let b = s.output.next().await.expect("read").expect("answer");
                    tail.extend_from_slice(&b);
                    let keep = tail.len().saturating_sub(4096);
                    tail.drain(..keep);
                }
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let skipped = s.output.discarded();
                s.input.end().await;
                (ms, skipped)
            };
            let raw = || async {
                let mut raw = raw_tty_exec(&docker, &socket, &api.to_string(), &id, "sh").await;
                tokio::io::AsyncWriteExt::write_all(&mut raw, b"yes flood\n").await.expect("write");
                let mut buf = vec![0u8; 64 * 1024];
                let mut n = 0;
                while n < 1_000_000 {
                    n += tokio::io::AsyncReadExt::read(&mut raw, &mut buf).await.expect("read");
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                let t = Instant::now();
                tokio::io::AsyncWriteExt::write_all(&mut raw, b"\x03echo after-$((40+2))\n").await.expect("write");
                let mut tail: Vec<u8> = Vec::new();
                while !tail.windows(marker.len()).any(|w| w == marker) {
                    let k = tokio::io::AsyncReadExt::read(&mut raw, &mut buf).await.expect("read");
                    assert!(k > 0, "the shell answers");
                    tail.extend_from_slice(&buf[..k]);
                    let keep = tail.len().saturating_sub(4096);
                    tail.drain(..keep);
                }
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                tokio::io::AsyncWriteExt::write_all(&mut raw, b"\x04").await.expect("write");
                ms
            };
            let ((o, k), r) = if i % 2 == 0 {
                let o = ours().await;
                (o, raw().await)
            } else {
                let r = raw().await;
                (ours().await, r)
            };
            ours_ms.push(o);
            raw_ms.push(r);
            skipped.push(k as f64);
        }
        let (o, r) = (median(ours_ms), median(raw_ms));
        println!(
            "bench ctrl-c-in-a-flood-core: {o:.1} ms vs {r:.1} ms (raw hijacked socket, reading all that was buffered) = {:.3}x (lower is better), {:.0} bytes skipped (median)",
            o / r,
            median(skipped)
        );
        docker_cli(&["rm", "-f", &id]);
    }

    // 5. The security review of 100 containers (25 running: their kernel files are read too).
    if wants("audit") {
        let mut ids = Vec::new();
        for i in 0..100 {
            let args: Vec<&str> = if i < 25 {
                vec!["run", "-d", "--label", &label, &image, "sleep", "600"]
            } else {
                vec!["create", "--label", &label, &image, "sleep", "600"]
            };
            ids.push(docker_cli(&args));
        }
        let refs: Vec<ContainerRef> = ids.iter().map(|id| ContainerRef::parse(id).expect("id")).collect();
        let opts = bulkhead_core::inspect::AuditOptions { containers: refs, images: false };
        let host = bulkhead_core::inspect::host::HostRoot::default();
        let paths: Vec<String> = ids.iter().map(|id| format!("/v{api}/containers/{id}/json")).collect();
        let audit = || async {
            let t = Instant::now();
            let r = engine.audit(&opts, &host).await.expect("audit");
            assert_eq!(r.containers.len(), 100);
            t.elapsed().as_secs_f64() * 1000.0
        };
        // The same concurrency as the audit: eight inspects in flight at a time.
        let inspects = || async {
            let t = Instant::now();
            for chunk in paths.chunks(8) {
                futures_util::future::join_all(chunk.iter().map(|p| raw_get(&socket, p))).await;
            }
            t.elapsed().as_secs_f64() * 1000.0
        };
        let (o, r) = interleaved(7, audit, inspects).await;
        println!(
            "bench audit-100-containers: {o:.0} ms ({:.2} ms per container, kernel facts of 25 running ones included) vs {r:.0} ms (100 raw GET /containers/<id>/json, 8 in flight as the audit does, interleaved) = {:.2}x (lower is better)",
            o / 100.0,
            o / r
        );
        let mut args = vec!["rm", "-f"];
        args.extend(ids.iter().map(String::as_str));
        let _ = Command::new("docker").args(&args).output();
    }

    // 6. The tail of a big log.
    if !wants("tail") {
        return;
    }
    let big_mb: u64 = std::env::var("BENCH_BIG_LOG_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let t = Instant::now();
    let id = docker_cli(&[
        "run",
        "-d",
        "--label",
        &label,
        &image,
        "sh",
        "-c",
        &format!("yes '{line}' | head -c {}", big_mb * 1024 * 1024),
    ]);
    wait_exited(&id).await;
    eprintln!("bench: wrote a {big_mb} MB log in {:?}", t.elapsed());
    let tail = LogOptions { tail: Some(1000), ..LogOptions::default() };
    let hwm_before = status_kb("VmHWM:");
    let (ours, cli) = paired_with_command(
        7,
        || async {
            let (lines, _) = core_logs(&engine, &id, &tail).await;
            assert_eq!(lines, 1000);
        },
        || {
            let out = Command::new("docker").args(["logs", "--tail", "1000", &id]).output().expect("docker logs");
            assert!(out.status.success());
        },
    )
    .await;
    let growth_mb = status_kb("VmHWM:").saturating_sub(hwm_before) as f64 / 1024.0;
    println!(
        "bench logs-tail-{big_mb}mb-cli: {:.1} ms vs {:.1} ms (docker logs --tail 1000, the CLI's start-up included) = {:.3}x (lower is better), peak memory growth {growth_mb:.1} MB (target ≤ 20 MB)",
        ours * 1000.0,
        cli * 1000.0,
        ours / cli
    );
    let path = format!("/v{api}/containers/{id}/logs?stdout=1&stderr=1&tail=1000");
    let ours = || async {
        let t = Instant::now();
        assert_eq!(core_logs(&engine, &id, &tail).await.0, 1000);
        t.elapsed().as_secs_f64()
    };
    let raw = || async {
        let t = Instant::now();
        raw_get(&socket, &path).await;
        t.elapsed().as_secs_f64()
    };
    let (o, r) = interleaved(7, ours, raw).await;
    println!(
        "bench logs-tail-{big_mb}mb-api: {:.1} ms vs {:.1} ms (raw GET …/logs?tail=1000) = {:.3}x (lower is better)",
        o * 1000.0,
        r * 1000.0,
        o / r
    );
}
