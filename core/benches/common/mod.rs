//! What both benches share: the raw baseline and small statistics.

use bulkhead_core::{Endpoint, Engine};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The baseline: `GET` as HTTP/1.0 on a fresh connection to the same socket (no chunked
/// encoding: the body runs to the end of the connection), read to the end through a 64 KiB
/// buffer, as curl does. Returns the bytes read, head included.
#[allow(dead_code)] // not used by the files bench
pub async fn raw_get(socket: &Path, path: &str) -> usize {
    let mut s = tokio::net::UnixStream::connect(socket).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").as_bytes()).await.expect("request");
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0;
    loop {
        match s.read(&mut buf).await.expect("read") {
            0 => return n,
            k => n += k,
        }
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times `ours` (async) and `theirs` (a blocking command) alternately, `n` times; returns the
/// medians of both, in seconds (a line's ratio is theirs: the ratio of what it prints).
#[allow(dead_code)] // used by one bench of the two
pub async fn paired_with_command<F, Fut>(n: usize, mut ours: F, mut theirs: impl FnMut()) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..n {
        let time_ours = |t: std::time::Instant| t.elapsed().as_secs_f64();
        let (x, y) = if i % 2 == 0 {
            let t = std::time::Instant::now();
            ours().await;
            let x = time_ours(t);
            let t = std::time::Instant::now();
            theirs();
            (x, t.elapsed().as_secs_f64())
        } else {
            let t = std::time::Instant::now();
            theirs();
            let y = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            ours().await;
            (time_ours(t), y)
        };
        a.push(x);
        b.push(y);
    }
    (median(a), median(b))
}

/// The baseline for exec: the same upgrade on a raw socket, everything read until the end.
/// Returns the connection after the response head (for interactive use) — the caller reads.
#[allow(dead_code)]
pub async fn raw_exec_start(socket: &Path, api: &str, exec_id: &str, tty: bool) -> tokio::net::UnixStream {
    let mut s = tokio::net::UnixStream::connect(socket).await.expect("connect");
    let body = format!("{{\"Detach\":false,\"Tty\":{tty}}}");
    let req = format!(
        "POST /v{api}/exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("request");
    // Read the head byte by byte (it is short), leaving the stream at the first body byte.
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).await.expect("head");
        head.push(b[0]);
    }
    s
}

/// The engine the benches measure, on a unix socket (the raw baselines need one).
pub async fn connect() -> Option<(Endpoint, PathBuf, Engine)> {
    let endpoint = Endpoint::from_env().expect("DOCKER_HOST");
    let Endpoint::Unix(socket) = endpoint.clone() else {
        eprintln!("bench: needs a unix-socket engine");
        return None;
    };
    let engine = Engine::connect(&endpoint).await.unwrap_or_else(|e| panic!("no engine: {}", e.message));
    Some((endpoint, socket, engine))
}

/// A `POST` as HTTP/1.0 on a fresh connection with `body`, read to the end of the connection
/// (the baseline for create, start and build). Returns the response, head included.
#[allow(dead_code)] // used by one bench of the two
pub async fn raw_post(socket: &Path, path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut s = tokio::net::UnixStream::connect(socket).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("request");
    s.write_all(body).await.expect("body");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    out
}

/// Runs `ours` and `theirs` (each answering its own measurement) alternately `n` times, which
/// one goes first alternating too; the medians of both.
#[allow(dead_code)] // used by one bench of the two
pub async fn interleaved<A, B, FA, FB>(n: usize, mut ours: A, mut theirs: B) -> (f64, f64)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: std::future::Future<Output = f64>,
    FB: std::future::Future<Output = f64>,
{
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..n {
        if i % 2 == 0 {
            a.push(ours().await);
            b.push(theirs().await);
        } else {
            b.push(theirs().await);
            a.push(ours().await);
        }
    }
    (median(a), median(b))
}

/// Runs every side once per round, `n` rounds, the order rotating from round to round (a, b, c;
/// b, c, a; …); each side answers its own measurement. The medians, in the order given.
#[allow(dead_code)] // used by both benches, not every helper by each
pub async fn rotated<'a>(
    n: usize,
    sides: &mut [&mut (dyn FnMut() -> futures_util::future::BoxFuture<'a, f64> + 'a)],
) -> Vec<f64> {
    let k = sides.len();
    let mut got: Vec<Vec<f64>> = vec![Vec::new(); k];
    for round in 0..n {
        for j in 0..k {
            let side = (round + j) % k;
            got[side].push((sides[side])().await);
        }
    }
    got.into_iter().map(median).collect()
}

/// A busybox image built FROM scratch (Debian's busybox-static), tagged
/// `bulkhead-bench/busybox:<pid>` and labelled `label`; its tag is returned.
#[allow(dead_code)] // used by two benches of the three
pub fn busybox_image(pid: &str, label: &str) -> String {
    let dir = std::env::temp_dir().join(format!("bulkhead-bench-busybox-{pid}"));
    std::fs::create_dir_all(&dir).expect("tmp");
    std::fs::copy("/bin/busybox", dir.join("busybox")).expect("Debian's busybox-static at /bin/busybox");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .expect("Dockerfile");
    let image = format!("bulkhead-bench/busybox:{pid}");
    let out = std::process::Command::new("docker")
        .args(["build", "-q", "--label", label, "-t", &image, &dir.to_string_lossy()])
        .output()
        .expect("docker build");
    assert!(out.status.success(), "building the busybox image: {}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    image
}

/// Times two async workloads alternately `n` times, after a warm-up of each (who goes first
/// alternates too); the medians, in seconds.
#[allow(dead_code)] // used by two benches of the three
pub async fn paired<A, B, FA, FB>(n: usize, mut ours: A, mut raw: B) -> (f64, f64)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: std::future::Future,
    FB: std::future::Future,
{
    ours().await;
    raw().await;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..n {
        let t = std::time::Instant::now();
        if i % 2 == 0 {
            ours().await;
            a.push(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            raw().await;
            b.push(t.elapsed().as_secs_f64());
        } else {
            raw().await;
            b.push(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            ours().await;
            a.push(t.elapsed().as_secs_f64());
        }
    }
    (median(a), median(b))
}
