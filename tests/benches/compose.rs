//! `make bench`: Compose. Prints `bench <name>: … (lower is better)`.
//!
//! - project-stop-10 / project-start-10: a 10-service project (started by docker-compose on the
//!   real engine) stopped and started as one through the Engine API, in parallel, vs
//!   `docker-compose -f FILE -p NAME stop` / `start` — whose figure includes the CLI's start-up
//!   (Python) each time. The same containers, interleaved pairs (which side goes first
//!   alternates), medians; every container is running again before each stop.
//! - compose-review-50-services: reading, interpolating and reviewing a 50-service compose file
//!   (anchors, merge keys, ports, volumes, limits, variables): the work behind the window's
//!   review and `bulkhead audit --compose`, median of 200 runs.

#![allow(clippy::unwrap_used)]

use bulkhead_core::compose::{file, review, ProjectAction, ProjectName};
use bulkhead_tests::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn fifty_services() -> String {
    let mut s = String::from(
        "x-common: &common\n  restart: on-failure:3\n  mem_limit: 256m\n  pids_limit: 200\n  security_opt: [\"no-new-privileges:true\"]\n  labels: {team: shop}\nservices:\n",
    );
    for i in 0..50 {
        s.push_str(&format!(
            "  svc{i}:\n    <<: *common\n    image: registry.local/shop/svc{i}:${{TAG:-1.0}}\n    ports:\n      - \"{}:80\"\n      - \"127.0.0.1:{}:9090\"\n    volumes:\n      - data{i}:/var/lib/svc\n      - ./conf/svc{i}:/etc/svc:ro\n    environment:\n      LOG_LEVEL: info\n      DB_URL: postgres://db:5432/svc{i}\n    networks: [front, back]\n{}",
            8000 + i,
            9000 + i,
            if i % 10 == 0 { "    cap_add: [NET_ADMIN]\n    user: root\n" } else { "    user: \"1000\"\n    read_only: true\n" }
        ));
    }
    s.push_str("volumes:\n");
    for i in 0..50 {
        s.push_str(&format!("  data{i}: {{}}\n"));
    }
    s.push_str("networks:\n  front: {}\n  back: {internal: true}\n");
    s
}

fn bench_review() {
    let text = fifty_services();
    let vars = file::Variables::from_maps(HashMap::new(), HashMap::new());
    let dir = Path::new("/srv/shop");
    let mut times = Vec::new();
    let mut findings = 0;
    for _ in 0..200 {
        let t = Instant::now();
        let f = file::parse(&text, "compose.yaml", dir, &vars).unwrap();
        let r = review::review(&f, None);
        times.push(t.elapsed().as_secs_f64());
        findings = r.services.iter().map(|s| s.findings.len()).sum();
    }
    println!(
        "bench compose-review-50-services: {:.2} ms median ({} bytes, {findings} findings; target < 20 ms; lower is better)",
        median(times) * 1000.0,
        text.len()
    );
}

fn compose(file: &Path, project: &str, args: &[&str]) {
    let out = std::process::Command::new("docker-compose")
        .args(["-f", file.to_str().unwrap(), "-p", project])
        .args(args)
        .output()
        .expect("docker-compose (make test installs it)");
    assert!(out.status.success(), "docker-compose {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

async fn bench_project_actions() {
    let engine = engine().await;
    fixture_image().await;
    let dir = tempfile::tempdir().unwrap();
    let project =
        unique_name("bench-proj").to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "");
    let pid = std::process::id();
    let mut text = String::from("version: \"3.7\"\nservices:\n");
    for i in 0..10 {
        text.push_str(&format!(
            "  s{i}:\n    image: {FIXTURE_IMAGE}\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]\n    labels: {{{TEST_LABEL}: \"{pid}\"}}\n    network_mode: none\n"
        ));
    }
    let file = dir.path().join("docker-compose.yml");
    std::fs::write(&file, text).unwrap();
    let mut cleanup = Cleanup::new();
    for i in 0..10 {
        cleanup.container(&format!("{project}_s{i}_1"));
    }
    compose(&file, &project, &["up", "-d"]);
    let p = ProjectName::parse(&project).unwrap();
    let ours = |action| {
        let (engine, p) = (engine.clone(), p.clone());
        async move {
            let t = Instant::now();
            let r = engine.project_act(&p, action).await.unwrap();
            assert_eq!((r.containers.len(), r.failed()), (10, 0));
            t.elapsed().as_secs_f64()
        }
    };
    let theirs = |what: &str| {
        let t = Instant::now();
        compose(&file, &project, &[what]);
        t.elapsed().as_secs_f64()
    };
    let (mut stop_a, mut stop_b, mut start_a, mut start_b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..6 {
        if i % 2 == 0 {
            stop_a.push(ours(ProjectAction::Stop).await);
            start_a.push(ours(ProjectAction::Start).await);
            stop_b.push(theirs("stop"));
            start_b.push(theirs("start"));
        } else {
            stop_b.push(theirs("stop"));
            start_b.push(theirs("start"));
            stop_a.push(ours(ProjectAction::Stop).await);
            start_a.push(ours(ProjectAction::Start).await);
        }
    }
    for (name, a, b) in [("stop", stop_a, stop_b), ("start", start_a, start_b)] {
        let (a, b) = (median(a), median(b));
        println!(
            "bench project-{name}-10-services: {:.0} ms vs docker-compose {name} {:.0} ms = {:.2}x (target <= 0.5x; the CLI's figure includes its start-up; lower is better)",
            a * 1000.0,
            b * 1000.0,
            a / b
        );
    }
    compose(&file, &project, &["down"]);
}

#[tokio::main]
async fn main() {
    bench_review();
    bench_project_actions().await;
}
