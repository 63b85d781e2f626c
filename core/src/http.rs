//! A small HTTP/1.1 client for the engine's hot paths: the list calls and log streams.
//!
//! Why not bollard (or hyper) here: bollard parses every list row into its full model before we
//! map it (~10 % on 1,000 containers), and a log arrives as hundreds of thousands of tiny chunks
//! that hyper hands over one by one through a channel between two tasks — reading a 50 MB log
//! that way cost this process 6 s of CPU where curl spends 1.2 s. Here the socket is read
//! through one 64 KiB buffer, chunked encoding is decoded in place, and the body comes out in
//! large pieces. `make bench` compares both paths with a raw socket read of the same response.
//! Everything else goes through bollard.
//!
//! The endpoint may be hostile (a remote engine, a proxy): every line is read with a limit
//! (status and headers 64 KiB in all, a chunk-size line 1 KiB), a chunk over 1 GiB is
//! malformed, a whole body read into memory is at most 256 MiB, and the head must arrive within
//! the timeout — each a typed error, tested against a fake server (an endless header line, a
//! 2^63 chunk size, a body that never ends, a slowloris, invalid JSON).

use crate::engine::{ApiVersion, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use bytes::Bytes;
use futures_util::Stream;
use std::pin::Pin;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// How long the engine may take to answer with headers.
const TIMEOUT: Duration = Duration::from_secs(120);
const BUF: usize = 64 * 1024;
/// Headers longer than this are not an engine's (one line or all of them).
const MAX_HEADERS: usize = 64 * 1024;
/// A chunk-size line is a hex number and maybe an extension: this is plenty.
const MAX_CHUNK_LINE: usize = 1024;
/// No engine sends a chunk this large; a bigger size is a malformed (or hostile) response.
const MAX_CHUNK: usize = 1 << 30;
/// A whole body read into memory (`get`: lists, inspects, info) is at most this large.
pub(crate) const MAX_BODY: usize = 256 << 20;
/// An error body is read up to this size.
const MAX_ERROR_BODY: usize = 1 << 20;

pub(crate) trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}
/// The connection type, as the exec module names it.
pub(crate) use Conn as ConnPub;

/// A streaming response body: large pieces as they arrive.
pub(crate) type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

enum Framing {
    Chunked { remaining: usize },
    Length { remaining: u64 },
    Eof,
}

struct Body {
    reader: BufReader<Box<dyn Conn>>,
    framing: Framing,
    done: bool,
    label: String,
}

fn broken(label: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::EngineNotRunning, format!("The connection to {label} broke: {e}"))
}

fn bad_response(label: &str, what: &str) -> Error {
    Error::new(ErrorKind::Engine, format!("{label} sent a malformed HTTP response ({what})."))
}

impl Body {
    /// The next piece of the body: everything available now, up to 64 KiB; waits only when
    /// nothing is buffered. `None` at the end.
    async fn next_piece(&mut self) -> Result<Option<Bytes>> {
        let mut out: Vec<u8> = Vec::with_capacity(BUF);
        while !self.done && out.len() < BUF {
            // Never wait for the network while there is something to hand over.
            if !out.is_empty() && self.reader.buffer().is_empty() {
                break;
            }
            match &mut self.framing {
                Framing::Chunked { remaining: 0 } => {
                    if !out.is_empty() && !self.reader.buffer().contains(&b'\n') {
                        break;
                    }
                    let line = read_line_limited(&mut self.reader, MAX_CHUNK_LINE, &self.label, "chunk size line")
                        .await?
                        .ok_or_else(|| broken(&self.label, "it ended inside a chunk header"))?;
                    let size_text = line.trim_end().split(';').next().unwrap_or("").trim();
                    if size_text.is_empty() {
                        continue; // the CRLF that ends the previous chunk
                    }
                    let size = usize::from_str_radix(size_text, 16)
                        .ok()
                        .filter(|&n| n <= MAX_CHUNK)
                        .ok_or_else(|| bad_response(&self.label, "chunk size"))?;
                    if size == 0 {
                        self.done = true;
                    } else {
                        self.framing = Framing::Chunked { remaining: size };
                    }
                }
                Framing::Chunked { remaining } => {
                    let want = *remaining;
                    let got = take(&mut self.reader, &self.label, &mut out, want).await?;
                    if got == 0 {
                        return Err(broken(&self.label, "it ended inside a chunk"));
                    }
                    *remaining -= got;
                }
                Framing::Length { remaining } => {
                    if *remaining == 0 {
                        self.done = true;
                        break;
                    }
                    let want = usize::try_from(*remaining).unwrap_or(usize::MAX);
                    let got = take(&mut self.reader, &self.label, &mut out, want).await?;
                    if got == 0 {
                        return Err(broken(&self.label, "it ended early"));
                    }
                    *remaining -= got as u64;
                }
                Framing::Eof => {
                    let got = take(&mut self.reader, &self.label, &mut out, usize::MAX).await?;
                    if got == 0 {
                        self.done = true;
                    }
                }
            }
        }
        Ok(if out.is_empty() { None } else { Some(Bytes::from(out)) })
    }
}

/// Moves up to `want` bytes (and at most what fills `out` to 64 KiB) from the buffer, reading
/// the socket once if the buffer is empty. 0 means end of stream.
async fn take(reader: &mut BufReader<Box<dyn Conn>>, label: &str, out: &mut Vec<u8>, want: usize) -> Result<usize> {
    let buf = reader.fill_buf().await.map_err(|e| broken(label, e))?;
    let n = buf.len().min(want).min(BUF.saturating_sub(out.len()).max(1));
    out.extend_from_slice(&buf[..n]);
    reader.consume(n);
    Ok(n)
}

/// The status and framing of a response.
struct Head {
    status: u16,
    chunked: bool,
    length: Option<u64>,
}

/// Reads a response's status line and headers, up to the empty line.
async fn read_head<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R, label: &str) -> Result<Head> {
    let status_line = read_line_limited(reader, MAX_HEADERS, label, "status line").await?.unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| bad_response(label, "status line"))?;
    let (mut chunked, mut length, mut total) = (false, None, status_line.len());
    loop {
        let line = read_line_limited(reader, MAX_HEADERS.saturating_sub(total), label, "headers")
            .await?
            .ok_or_else(|| bad_response(label, "headers"))?;
        total += line.len();
        let line = line.trim_end();
        if line.is_empty() {
            return Ok(Head { status, chunked, length });
        }
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = Some(v.parse::<u64>().map_err(|_| bad_response(label, "content-length"))?);
            }
        }
    }
}

/// One line (up to and with its `\n`), read through the buffer without ever holding more than
/// `limit` bytes of it: an endless line is a malformed response, not unbounded memory. `None`
/// at the end of the stream before any byte.
async fn read_line_limited<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
    label: &str,
    what: &str,
) -> Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let buf = reader.fill_buf().await.map_err(|e| broken(label, e))?;
        if buf.is_empty() {
            return Ok(if line.is_empty() { None } else { Some(String::from_utf8_lossy(&line).into_owned()) });
        }
        let (n, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + n > limit {
            return Err(bad_response(label, &format!("{what} longer than {limit} bytes")));
        }
        line.extend_from_slice(&buf[..n]);
        reader.consume(n);
        if done {
            return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
        }
    }
}

async fn connect(endpoint: &Endpoint) -> Result<(Box<dyn Conn>, String)> {
    let label = endpoint.to_string();
    Ok(match endpoint {
        Endpoint::Unix(p) => (
            Box::new(tokio::net::UnixStream::connect(p).await.map_err(|e| Error::from_connect_io(&label, &e))?),
            "docker".to_owned(),
        ),
        Endpoint::Tcp(h) => (
            Box::new(tokio::net::TcpStream::connect(h).await.map_err(|e| Error::from_connect_io(&label, &e))?),
            h.clone(),
        ),
    })
}

/// Sends `GET /v{api}{path_and_query}` and reads the head of the response.
async fn open(endpoint: &Endpoint, api: ApiVersion, path_and_query: &str) -> Result<(u16, Body)> {
    open_with(endpoint, api, "GET", path_and_query, &[]).await
}

/// Sends a body-less request with extra headers and reads the head of the response.
async fn open_with(
    endpoint: &Endpoint,
    api: ApiVersion,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
) -> Result<(u16, Body)> {
    let label = endpoint.to_string();
    let head = async {
        let (mut conn, host) = connect(endpoint).await?;
        let mut req = format!("{method} /v{api}{path_and_query} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bulkhead\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if method == "POST" {
            req.push_str("Content-Length: 0\r\n");
        }
        req.push_str("\r\n");
        conn.write_all(req.as_bytes()).await.map_err(|e| broken(&label, e))?;
        let mut reader = BufReader::with_capacity(BUF, conn);
        let Head { status, chunked, length } = read_head(&mut reader, &label).await?;
        let framing = match (chunked, length) {
            (true, _) => Framing::Chunked { remaining: 0 },
            (false, Some(n)) => Framing::Length { remaining: n },
            (false, None) => Framing::Eof,
        };
        Ok::<_, Error>((status, Body { reader, framing, done: false, label: label.clone() }))
    };
    tokio::time::timeout(TIMEOUT, head)
        .await
        .map_err(|_| Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into()))?
}

async fn error_from(status: u16, mut body: Body) -> Error {
    let mut text = Vec::new();
    while text.len() < MAX_ERROR_BODY {
        match body.next_piece().await {
            Ok(Some(p)) => text.extend_from_slice(&p),
            _ => break,
        }
    }
    let message = serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&text).into_owned());
    Error::from(bollard::errors::Error::DockerResponseServerError { status_code: status, message })
}

/// `GET`, answering with the body as a stream once the status says success (no timeout after
/// the headers: a followed log may be quiet for hours).
pub(crate) async fn get_stream(endpoint: &Endpoint, api: ApiVersion, path_and_query: &str) -> Result<BodyStream> {
    request_stream(endpoint, api, "GET", path_and_query, &[]).await
}

/// A body-less request (e.g. `POST /images/…/push` with X-Registry-Auth), streamed back.
pub(crate) async fn request_stream(
    endpoint: &Endpoint,
    api: ApiVersion,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
) -> Result<BodyStream> {
    let (status, body) = open_with(endpoint, api, method, path_and_query, headers).await?;
    if !(200..300).contains(&status) {
        return Err(error_from(status, body).await);
    }
    Ok(Box::pin(futures_util::stream::unfold(body, |mut b| async move {
        match b.next_piece().await {
            Ok(Some(p)) => Some((Ok(p), b)),
            Ok(None) => None,
            Err(e) => {
                b.done = true;
                Some((Err(e), b))
            }
        }
    })))
}

/// A raw, bidirectional connection to the engine after an HTTP upgrade (exec, attach).
pub(crate) struct Hijacked {
    pub reader: BufReader<tokio::io::ReadHalf<Box<dyn Conn>>>,
    pub writer: tokio::io::WriteHalf<Box<dyn Conn>>,
}

/// `POST` with a JSON body and `Upgrade: tcp`; after `101 UPGRADED` (or `200 OK` from engines
/// that do not switch protocols) the socket carries the session's bytes both ways.
pub(crate) async fn hijack(endpoint: &Endpoint, api: ApiVersion, path: &str, json: &str) -> Result<Hijacked> {
    let label = endpoint.to_string();
    let head = async {
        let (mut conn, host) = connect(endpoint).await?;
        let req = format!(
            "POST /v{api}{path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bulkhead\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {}\r\n\r\n{json}",
            json.len()
        );
        conn.write_all(req.as_bytes()).await.map_err(|e| broken(&label, e))?;
        let (r, writer) = tokio::io::split(conn);
        let mut reader = BufReader::with_capacity(BUF, r);
        let Head { status, length, .. } = read_head(&mut reader, &label).await?;
        let length = length.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
        if status != 101 && status != 200 {
            let mut body = vec![0u8; length.unwrap_or(0).min(MAX_ERROR_BODY)];
            let _ = tokio::io::AsyncReadExt::read_exact(&mut reader, &mut body).await;
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            return Err(Error::from(bollard::errors::Error::DockerResponseServerError {
                status_code: status,
                message,
            }));
        }
        Ok(Hijacked { reader, writer })
    };
    tokio::time::timeout(TIMEOUT, head)
        .await
        .map_err(|_| Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into()))?
}

/// Only the status of a `HEAD` request (e.g. does a path exist in a container).
pub(crate) async fn head_status(endpoint: &Endpoint, api: ApiVersion, path_and_query: &str) -> Result<u16> {
    let (status, _body) = open_with(endpoint, api, "HEAD", path_and_query, &[]).await?;
    Ok(status)
}

/// `GET` on a fresh connection; the whole body (at most `MAX_BODY`), or a typed error.
pub(crate) async fn get(endpoint: &Endpoint, api: ApiVersion, path_and_query: &str) -> Result<Vec<u8>> {
    get_limited(endpoint, api, path_and_query, MAX_BODY).await
}

async fn get_limited(endpoint: &Endpoint, api: ApiVersion, path_and_query: &str, max: usize) -> Result<Vec<u8>> {
    let label = endpoint.to_string();
    let whole = async {
        let (status, mut body) = open(endpoint, api, path_and_query).await?;
        if !(200..300).contains(&status) {
            return Err(error_from(status, body).await);
        }
        let mut all = match body.framing {
            Framing::Length { remaining } => Vec::with_capacity(usize::try_from(remaining).unwrap_or(0).min(64 << 20)),
            _ => Vec::new(),
        };
        while let Some(p) = body.next_piece().await? {
            if all.len() + p.len() > max {
                return Err(bad_response(&label, &format!("a body larger than {max} bytes")));
            }
            all.extend_from_slice(&p);
        }
        Ok(all)
    };
    tokio::time::timeout(TIMEOUT, whole)
        .await
        .map_err(|_| Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves one canned response (written in the given pieces) on a unix socket.
    async fn serve(pieces: Vec<Vec<u8>>) -> (std::path::PathBuf, tokio::task::JoinHandle<String>) {
        let (path, listener) = listen();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 4096];
            let n = s.read(&mut req).await.unwrap();
            for p in pieces {
                s.write_all(&p).await.unwrap();
                s.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            String::from_utf8_lossy(&req[..n]).into_owned()
        });
        (path, task)
    }

    /// A fake engine's socket, at a path of its own.
    fn listen() -> (std::path::PathBuf, tokio::net::UnixListener) {
        let path = std::env::temp_dir().join(format!("bulkhead-http-{}-{}.sock", std::process::id(), rand_suffix()));
        let _ = std::fs::remove_file(&path);
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        (path, listener)
    }

    fn rand_suffix() -> u64 {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    const API: ApiVersion = ApiVersion { major: 1, minor: 41 };

    #[tokio::test]
    async fn decodes_chunked_bodies_split_anywhere() {
        let body = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n".to_vec();
        for cut in [10, 60, 75, 80, 83, 90, 95] {
            let (path, task) = serve(vec![body[..cut].to_vec(), body[cut..].to_vec()]).await;
            let s = get_stream(&Endpoint::Unix(path.clone()), API, "/x").await.unwrap();
            let all: Vec<u8> = s.map(|p| p.unwrap().to_vec()).concat().await;
            assert_eq!(String::from_utf8(all).unwrap(), "hello world", "cut at {cut}");
            let req = task.await.unwrap();
            assert!(req.starts_with("GET /v1.41/x HTTP/1.1\r\n"), "{req}");
            let _ = std::fs::remove_file(path);
        }
    }

    #[tokio::test]
    async fn reads_content_length_and_eof_bodies_and_maps_errors() {
        let (path, _t) = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n[1]\n".to_vec()]).await;
        assert_eq!(get(&Endpoint::Unix(path.clone()), API, "/x").await.unwrap(), b"[1]\n");
        let (path, _t) = serve(vec![b"HTTP/1.0 200 OK\r\n\r\nto the end".to_vec()]).await;
        assert_eq!(get(&Endpoint::Unix(path.clone()), API, "/x").await.unwrap(), b"to the end");
        let (path, _t) = serve(vec![
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 36\r\n\r\n{\"message\":\"No such container: abc\"}".to_vec(),
        ])
        .await;
        let e = get(&Endpoint::Unix(path.clone()), API, "/x").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.message.contains("No such container: abc"), "{}", e.message);
        let (path, _t) = serve(vec![b"SSH-2.0-nope\r\n\r\n".to_vec()]).await;
        assert_eq!(get(&Endpoint::Unix(path), API, "/x").await.unwrap_err().kind, ErrorKind::Engine);
    }

    #[tokio::test]
    async fn a_truncated_chunked_body_is_an_error_not_a_short_read() {
        let (path, _t) =
            serve(vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly six".to_vec()]).await;
        let e = get(&Endpoint::Unix(path), API, "/x").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::EngineNotRunning);
    }

    /// A hostile endpoint: writes `head`, then `filler` over and over until the client goes
    /// away; answers how many bytes it managed to write.
    async fn serve_endless(
        head: &'static [u8],
        filler: &'static [u8],
    ) -> (std::path::PathBuf, tokio::task::JoinHandle<usize>) {
        let (path, listener) = listen();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 4096];
            let _ = s.read(&mut req).await;
            let mut written = 0;
            if s.write_all(head).await.is_err() {
                return written;
            }
            written += head.len();
            while written < 1 << 30 {
                if s.write_all(filler).await.is_err() {
                    break;
                }
                written += filler.len();
            }
            written
        });
        (path, task)
    }

    static A_MIB: [u8; 1 << 20] = [b'a'; 1 << 20];
    static ONES: [u8; 1 << 16] = [b'1'; 1 << 16];

    #[tokio::test]
    async fn an_endless_header_line_is_refused_after_a_bounded_read() {
        let (path, server) = serve_endless(b"HTTP/1.1 200 OK\r\nX-Evil: ", &A_MIB).await;
        let e = get(&Endpoint::Unix(path.clone()), API, "/x").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Engine, "{}", e.message);
        assert!(e.message.contains("headers longer than"), "{}", e.message);
        let written = server.await.unwrap();
        assert!(written < 16 << 20, "the client stopped reading early: the server got {written} bytes out");
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_2_pow_63_chunk_size_and_an_endless_chunk_line_are_malformed() {
        let (path, _s) =
            serve_endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\n", &A_MIB).await;
        let e = get(&Endpoint::Unix(path), API, "/x").await.unwrap_err();
        assert!(e.kind == ErrorKind::Engine && e.message.contains("chunk size"), "{:?}", e);
        let (path, server) = serve_endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &ONES).await;
        let e = get(&Endpoint::Unix(path), API, "/x").await.unwrap_err();
        assert!(e.message.contains("chunk size line longer than"), "{}", e.message);
        assert!(server.await.unwrap() < 16 << 20);
    }

    #[tokio::test]
    async fn a_body_that_never_ends_is_cut_at_the_limit() {
        let (path, server) = serve_endless(b"HTTP/1.0 200 OK\r\n\r\n", &A_MIB).await;
        let e = get_limited(&Endpoint::Unix(path), API, "/x", 4 << 20).await.unwrap_err();
        assert!(e.kind == ErrorKind::Engine && e.message.contains("larger than 4194304 bytes"), "{}", e.message);
        assert!(server.await.unwrap() < 32 << 20);
        // Well-formed chunks of 1 MiB, without end.
        let mut chunk = b"100000\r\n".to_vec();
        chunk.extend_from_slice(&A_MIB);
        chunk.extend_from_slice(b"\r\n");
        let chunk: &'static [u8] = Box::leak(chunk.into_boxed_slice());
        let (path, _s) = serve_endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunk).await;
        let e = get_limited(&Endpoint::Unix(path), API, "/x", 4 << 20).await.unwrap_err();
        assert!(e.message.contains("larger than"), "{}", e.message);
    }

    /// A slowloris: one byte of the status line a second. The head must arrive within the
    /// timeout (virtual time here: the test does not wait two minutes).
    #[tokio::test(start_paused = true)]
    async fn a_slowloris_times_out() {
        let (path, listener) = listen();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 4096];
            let _ = s.read(&mut req).await;
            for b in b"HTTP/1.1 200 OK\r\nX: ".iter().cycle() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if s.write_all(&[*b]).await.is_err() {
                    break;
                }
            }
        });
        let t = tokio::time::Instant::now();
        let e = get(&Endpoint::Unix(path.clone()), API, "/x").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::EngineTimeout, "{}", e.message);
        assert!(t.elapsed() <= TIMEOUT + Duration::from_secs(2), "within the head timeout: {:?}", t.elapsed());
        server.abort();
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn invalid_json_from_the_engine_is_a_typed_engine_error() {
        let e = crate::containers::parse_container_list(b"[{\"Id\": 12").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Engine);
        let e = crate::images::parse_image_list(b"not json").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Engine);
    }
}
