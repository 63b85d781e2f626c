//! HTTP requests to the engine, on the one transport (`crate::transport`: hyper's pooled
//! client over a unix socket, TCP or TLS).
//!
//! One hand-written path is kept where `make bench` shows it is needed: reading a streamed body
//! (`get_stream`: logs). A log arrives as hundreds of thousands of tiny chunks, which hyper
//! hands over one frame at a time through a channel between the connection task and ours;
//! here the socket (a raw connection from the same connector, so TLS applies too) is read
//! through one 64 KiB buffer, chunked encoding is decoded in place and the body comes out in
//! large pieces. `logs-50mb-body-fast-path-cpu` in `make bench` measures both: on a 50 MB log
//! this path spent 2.1–2.4 s of this process's CPU where hyper's spent 9.6 s (0.22–0.25x).
//!
//! The endpoint may be hostile (a remote engine, a proxy): every line is read with a limit
//! (status and headers 64 KiB in all, a chunk-size line 1 KiB), a chunk over 1 GiB is
//! malformed, a whole body read into memory is at most 256 MiB, and the head must arrive within
//! the timeout — each a typed error, tested against a fake server (an endless header line, a
//! 2^63 chunk size, a body that never ends, a slowloris, invalid JSON), on both paths.

use crate::engine::ApiVersion;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{ReqBody, Transport};
use bytes::Bytes;
use futures_util::Stream;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
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
        // Three digits (a `5200` is not a status: found by the `http_response` fuzz target).
        .filter(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..=999).contains(s))
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

/// A request for a path under `/v{api}`, with the given headers and body.
fn request(
    api: ApiVersion,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
    body: ReqBody,
) -> Result<http::Request<ReqBody>> {
    let mut b = http::Request::builder()
        .method(method)
        .uri(Transport::uri(&format!("/v{api}{path_and_query}"))?)
        .header("User-Agent", "bulkhead");
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(body).map_err(|e| Error::invalid(format!("a request to {path_and_query:?}: {e}")))
}

fn empty() -> ReqBody {
    Either::Left(Full::new(Bytes::new()))
}

/// Sends a request and waits (at most `TIMEOUT`) for the head of the response.
async fn send(t: &Transport, req: http::Request<ReqBody>) -> Result<http::Response<Incoming>> {
    match tokio::time::timeout(TIMEOUT, t.send(req)).await {
        Err(_) => Err(Error::from_connect_io(t.label(), &std::io::ErrorKind::TimedOut.into())),
        Ok(r) => r.map_err(|e| t.error(&e)),
    }
}

/// The next frame's data, `None` at the end; trailers are skipped.
async fn next_data(t: &Transport, body: &mut Incoming) -> Result<Option<Bytes>> {
    loop {
        match body.frame().await {
            None => return Ok(None),
            Some(Err(e)) => return Err(t.hyper_error(&e)),
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    return Ok(Some(d));
                }
            }
        }
    }
}

/// The engine's error for a failed response: `{"message": …}` or the body's text.
async fn error_from(t: &Transport, resp: http::Response<Incoming>) -> Error {
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let mut text = Vec::new();
    while text.len() < MAX_ERROR_BODY {
        match next_data(t, &mut body).await {
            Ok(Some(p)) => text.extend_from_slice(&p),
            _ => break,
        }
    }
    engine_says(status, &text)
}

fn engine_says(status: u16, text: &[u8]) -> Error {
    let message = serde_json::from_slice::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(text).into_owned());
    Error::from(bollard::errors::Error::DockerResponseServerError { status_code: status, message })
}

/// `GET` on the fast path, answering with the body as a stream once the status says success
/// (no timeout after the headers: a followed log may be quiet for hours).
pub(crate) async fn get_stream(t: &Transport, api: ApiVersion, path_and_query: &str) -> Result<BodyStream> {
    let label = t.label().to_owned();
    let head = async {
        let mut conn = t.connect_raw().await?;
        let req = format!(
            "GET /v{api}{path_and_query} HTTP/1.1\r\nHost: docker\r\nUser-Agent: bulkhead\r\nConnection: close\r\n\r\n"
        );
        conn.write_all(req.as_bytes()).await.map_err(|e| broken(&label, e))?;
        read_response(Box::new(conn), &label).await
    };
    let (status, mut body) = tokio::time::timeout(TIMEOUT, head)
        .await
        .map_err(|_| Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into()))??;
    if !(200..300).contains(&status) {
        let mut text = Vec::new();
        while text.len() < MAX_ERROR_BODY {
            match body.next_piece().await {
                Ok(Some(p)) => text.extend_from_slice(&p),
                _ => break,
            }
        }
        return Err(engine_says(status, &text));
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

/// A response's head, read off `conn`, and its body, still to be read in pieces.
async fn read_response(conn: Box<dyn Conn>, label: &str) -> Result<(u16, Body)> {
    let mut reader = BufReader::with_capacity(BUF, conn);
    let Head { status, chunked, length } = read_head(&mut reader, label).await?;
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked { remaining: 0 },
        (false, Some(n)) => Framing::Length { remaining: n },
        (false, None) => Framing::Eof,
    };
    Ok((status, Body { reader, framing, done: false, label: label.to_owned() }))
}

/// A whole response from bytes, read as `get_stream` reads one off a socket: the status and
/// the decoded body (the fuzz target `http_response` and its corpus test).
#[cfg(feature = "fuzzing")]
pub(crate) fn decode_response(bytes: &[u8]) -> Result<(u16, Vec<u8>)> {
    let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| Error::internal(e.to_string()))?;
    rt.block_on(async {
        let conn = Box::new(std::io::Cursor::new(bytes.to_vec())) as Box<dyn Conn>;
        let (status, mut body) = read_response(conn, "the fuzzer").await?;
        let mut out = Vec::new();
        while let Some(piece) = body.next_piece().await? {
            out.extend_from_slice(&piece);
        }
        Ok((status, out))
    })
}

/// A body-less request (e.g. `POST /images/…/push` with X-Registry-Auth), streamed back through
/// hyper, in pieces of up to 64 KiB (frames that are already there are handed over together).
pub(crate) async fn request_stream(
    t: &Transport,
    api: ApiVersion,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, String)],
) -> Result<BodyStream> {
    let req = request(api, method, path_and_query, headers, empty())?;
    let resp = send(t, req).await?;
    if !resp.status().is_success() {
        return Err(error_from(t, resp).await);
    }
    Ok(Box::pin(Pieces { body: resp.into_body(), transport: t.clone(), failed: None, done: false }))
}

/// A hyper body as large pieces: every frame that is ready now, up to 64 KiB.
struct Pieces {
    body: Incoming,
    transport: Transport,
    /// An error that came after data: handed over on the next poll.
    failed: Option<Error>,
    done: bool,
}

impl Stream for Pieces {
    type Item = Result<Bytes>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Result<Bytes>>> {
        use hyper::body::Body as _;
        use std::task::Poll;
        let me = self.get_mut();
        if let Some(e) = me.failed.take() {
            return Poll::Ready(Some(Err(e)));
        }
        let mut first: Option<Bytes> = None;
        let mut more: Vec<u8> = Vec::new();
        while !me.done && first.as_ref().map_or(0, Bytes::len) + more.len() < BUF {
            match Pin::new(&mut me.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(f))) => {
                    let Ok(d) = f.into_data() else { continue };
                    match &first {
                        None => first = Some(d),
                        Some(_) => more.extend_from_slice(&d),
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    me.done = true;
                    me.failed = Some(me.transport.hyper_error(&e));
                }
                Poll::Ready(None) => me.done = true,
                Poll::Pending => break,
            }
        }
        match first {
            None => match me.failed.take() {
                Some(e) => Poll::Ready(Some(Err(e))),
                None if me.done => Poll::Ready(None),
                None => Poll::Pending,
            },
            Some(f) if more.is_empty() => Poll::Ready(Some(Ok(f))),
            Some(f) => {
                let mut all = Vec::with_capacity(f.len() + more.len());
                all.extend_from_slice(&f);
                all.extend_from_slice(&more);
                Poll::Ready(Some(Ok(Bytes::from(all))))
            }
        }
    }
}

/// A raw, bidirectional connection to the engine after an HTTP upgrade (exec, attach).
pub(crate) struct Hijacked {
    pub reader: BufReader<tokio::io::ReadHalf<Box<dyn Conn>>>,
    pub writer: tokio::io::WriteHalf<Box<dyn Conn>>,
}

/// `POST` with a JSON body and `Upgrade: tcp`; after `101 UPGRADED` the connection carries the
/// session's bytes both ways (hyper hands it over, with anything it had already read).
pub(crate) async fn hijack(t: &Transport, api: ApiVersion, path: &str, json: &str) -> Result<Hijacked> {
    let req = request(
        api,
        "POST",
        path,
        &[
            ("Content-Type", "application/json".to_owned()),
            ("Connection", "Upgrade".to_owned()),
            ("Upgrade", "tcp".to_owned()),
        ],
        Either::Left(Full::new(Bytes::from(json.to_owned()))),
    )?;
    let resp = send(t, req).await?;
    if resp.status() != http::StatusCode::SWITCHING_PROTOCOLS {
        if resp.status().is_success() {
            return Err(Error::new(
                ErrorKind::Engine,
                format!("{} did not switch protocols for {path}: an engine before API 1.41?", t.label()),
            ));
        }
        return Err(error_from(t, resp).await);
    }
    let upgraded = tokio::time::timeout(TIMEOUT, hyper::upgrade::on(resp))
        .await
        .map_err(|_| Error::from_connect_io(t.label(), &std::io::ErrorKind::TimedOut.into()))?
        .map_err(|e| t.hyper_error(&e))?;
    let conn: Box<dyn Conn> = Box::new(hyper_util::rt::TokioIo::new(upgraded));
    let (r, writer) = tokio::io::split(conn);
    Ok(Hijacked { reader: BufReader::with_capacity(BUF, r), writer })
}

/// Only the status of a `HEAD` request (e.g. does a path exist in a container).
pub(crate) async fn head_status(t: &Transport, api: ApiVersion, path_and_query: &str) -> Result<u16> {
    let req = request(api, "HEAD", path_and_query, &[], empty())?;
    Ok(send(t, req).await?.status().as_u16())
}

/// One header of a `HEAD` answer (e.g. a path's stat in a container), or the engine's error.
pub(crate) async fn head_header(
    t: &Transport,
    api: ApiVersion,
    path_and_query: &str,
    name: &str,
) -> Result<Option<String>> {
    let req = request(api, "HEAD", path_and_query, &[], empty())?;
    let resp = send(t, req).await?;
    if !resp.status().is_success() {
        let status = resp.status().as_u16();
        return Err(engine_says(status, b""));
    }
    Ok(resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned))
}

/// `PUT` with a streamed body (a tar into a container). There is no deadline: the engine
/// answers once the whole upload is in, however long that takes; a failed upload is the
/// engine's error, typed.
pub(crate) async fn put_stream(
    t: &Transport,
    api: ApiVersion,
    path_and_query: &str,
    content_type: &str,
    body: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
) -> Result<()> {
    use futures_util::StreamExt;
    let frames: Pin<Box<dyn Stream<Item = std::io::Result<hyper::body::Frame<Bytes>>> + Send>> =
        Box::pin(body.map(|r| r.map(hyper::body::Frame::data)));
    let req = request(
        api,
        "PUT",
        path_and_query,
        &[("Content-Type", content_type.to_owned())],
        Either::Right(http_body_util::StreamBody::new(frames)),
    )?;
    let resp = t.send(req).await.map_err(|e| t.error(&e))?;
    if !resp.status().is_success() {
        return Err(error_from(t, resp).await);
    }
    Ok(())
}

/// `GET` on a pooled connection; the whole body (at most `MAX_BODY`), or a typed error.
pub(crate) async fn get(t: &Transport, api: ApiVersion, path_and_query: &str) -> Result<Vec<u8>> {
    get_limited(t, api, path_and_query, MAX_BODY).await
}

/// A request with a JSON body (`POST /networks/create`, `DELETE /volumes/x` with none) on a
/// pooled connection; the whole answer (at most `MAX_BODY`), or the engine's error, typed.
pub(crate) async fn send_json(
    t: &Transport,
    api: ApiVersion,
    method: &str,
    path_and_query: &str,
    json: Option<String>,
) -> Result<Vec<u8>> {
    fetch(t, api, method, path_and_query, json, MAX_BODY).await
}

async fn get_limited(t: &Transport, api: ApiVersion, path_and_query: &str, max: usize) -> Result<Vec<u8>> {
    fetch(t, api, "GET", path_and_query, None, max).await
}

async fn fetch(
    t: &Transport,
    api: ApiVersion,
    method: &str,
    path_and_query: &str,
    json: Option<String>,
    max: usize,
) -> Result<Vec<u8>> {
    let whole = async {
        let req = match json {
            Some(j) => request(
                api,
                method,
                path_and_query,
                &[("Content-Type", "application/json".to_owned())],
                Either::Left(Full::new(Bytes::from(j))),
            )?,
            None => request(api, method, path_and_query, &[], empty())?,
        };
        let resp = send(t, req).await?;
        if !resp.status().is_success() {
            return Err(error_from(t, resp).await);
        }
        let length = resp
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if length.is_some_and(|n| n > max) {
            return Err(bad_response(t.label(), &format!("a body larger than {max} bytes")));
        }
        let mut all = Vec::with_capacity(length.unwrap_or(0).min(64 << 20));
        let mut body = resp.into_body();
        while let Some(p) = next_data(t, &mut body).await? {
            if all.len() + p.len() > max {
                return Err(bad_response(t.label(), &format!("a body larger than {max} bytes")));
            }
            all.extend_from_slice(&p);
        }
        Ok(all)
    };
    tokio::time::timeout(TIMEOUT, whole)
        .await
        .map_err(|_| Error::from_connect_io(t.label(), &std::io::ErrorKind::TimedOut.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Endpoint;
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

    fn unix(path: &std::path::Path) -> Transport {
        Transport::new(&Endpoint::Unix(path.to_owned())).unwrap()
    }

    const API: ApiVersion = ApiVersion { major: 1, minor: 41 };

    /// Both ways a body is read: hyper's (every request but logs) and the log fast path.
    #[derive(Debug, Clone, Copy)]
    enum Path {
        Hyper,
        Fast,
    }
    const BOTH: [Path; 2] = [Path::Hyper, Path::Fast];

    /// The whole body, read the given way, with a limit.
    async fn read_all(t: &Transport, via: Path, max: usize) -> Result<Vec<u8>> {
        let mut s = match via {
            Path::Hyper => return get_limited(t, API, "/x", max).await,
            Path::Fast => get_stream(t, API, "/x").await?,
        };
        let mut all = Vec::new();
        while let Some(p) = s.next().await {
            all.extend_from_slice(&p?);
            if all.len() > max {
                return Err(bad_response(t.label(), &format!("a body larger than {max} bytes")));
            }
        }
        Ok(all)
    }

    #[tokio::test]
    async fn decodes_chunked_bodies_split_anywhere() {
        let body = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n".to_vec();
        for via in BOTH {
            for cut in [10, 60, 75, 80, 83, 90, 95] {
                let (path, task) = serve(vec![body[..cut].to_vec(), body[cut..].to_vec()]).await;
                let all = read_all(&unix(&path), via, 1 << 20).await.unwrap();
                assert_eq!(String::from_utf8(all).unwrap(), "hello world", "cut at {cut}, {via:?}");
                let req = task.await.unwrap();
                assert!(req.starts_with("GET /v1.41/x HTTP/1.1\r\n"), "{req}");
                let _ = std::fs::remove_file(path);
            }
        }
    }

    #[tokio::test]
    async fn reads_content_length_and_eof_bodies_and_maps_errors() {
        for via in BOTH {
            let (path, _t) = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n[1]\n".to_vec()]).await;
            assert_eq!(read_all(&unix(&path), via, 1 << 20).await.unwrap(), b"[1]\n");
            let (path, _t) = serve(vec![b"HTTP/1.0 200 OK\r\n\r\nto the end".to_vec()]).await;
            assert_eq!(read_all(&unix(&path), via, 1 << 20).await.unwrap(), b"to the end");
            let (path, _t) = serve(vec![
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 36\r\n\r\n{\"message\":\"No such container: abc\"}"
                    .to_vec(),
            ])
            .await;
            let e = read_all(&unix(&path), via, 1 << 20).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotFound, "{via:?}");
            assert!(e.message.contains("No such container: abc"), "{}", e.message);
            // Not HTTP; a four-digit status, 074 (found by the `http_response` fuzz target).
            for head in [
                &b"SSH-2.0-nope\r\n\r\n"[..],
                b"HTTP/1.1 5200 OK\r\nContent-Length: 0\r\n\r\n",
                b"HTTP/1.1 074 OK\r\nContent-Length: 0\r\n\r\n",
            ] {
                let (path, _t) = serve(vec![head.to_vec()]).await;
                let e = read_all(&unix(&path), via, 1 << 20).await.unwrap_err();
                assert_eq!(e.kind, ErrorKind::Engine, "{via:?}: {}", e.message);
                assert!(e.message.contains("malformed"), "{}", e.message);
            }
        }
    }

    #[tokio::test]
    async fn a_truncated_chunked_body_is_an_error_not_a_short_read() {
        for via in BOTH {
            let (path, _t) =
                serve(vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly six".to_vec()]).await;
            let e = read_all(&unix(&path), via, 1 << 20).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::EngineNotRunning, "{via:?}: {}", e.message);
        }
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
        for via in BOTH {
            let (path, server) = serve_endless(b"HTTP/1.1 200 OK\r\nX-Evil: ", &A_MIB).await;
            let e = read_all(&unix(&path), via, 1 << 20).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Engine, "{via:?}: {}", e.message);
            assert!(e.message.contains("malformed"), "{}", e.message);
            let written = server.await.unwrap();
            assert!(written < 16 << 20, "the client stopped reading early: the server got {written} bytes out");
            let _ = std::fs::remove_file(path);
        }
    }

    #[tokio::test]
    async fn a_2_pow_63_chunk_size_and_an_endless_chunk_line_are_refused() {
        for via in BOTH {
            // hyper takes 2^63 as a size (it fits in a u64) and the body limit stops it; the
            // fast path refuses any chunk over 1 GiB.
            let (path, _s) =
                serve_endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\n", &A_MIB)
                    .await;
            let e = read_all(&unix(&path), via, 4 << 20).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Engine, "{via:?}: {}", e.message);
            assert!(e.message.contains("chunk size") || e.message.contains("larger than"), "{}", e.message);
            let (path, server) = serve_endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &ONES).await;
            let e = read_all(&unix(&path), via, 4 << 20).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Engine, "{via:?}: {}", e.message);
            assert!(e.message.contains("chunk size"), "{}", e.message);
            assert!(server.await.unwrap() < 16 << 20);
        }
    }

    #[tokio::test]
    async fn a_body_that_never_ends_is_cut_at_the_limit() {
        for via in BOTH {
            let (path, server) = serve_endless(b"HTTP/1.0 200 OK\r\n\r\n", &A_MIB).await;
            let e = read_all(&unix(&path), via, 4 << 20).await.unwrap_err();
            assert!(e.kind == ErrorKind::Engine && e.message.contains("larger than 4194304 bytes"), "{}", e.message);
            assert!(server.await.unwrap() < 32 << 20);
            // Well-formed chunks of 1 MiB, without end.
            let mut chunk = b"100000\r\n".to_vec();
            chunk.extend_from_slice(&A_MIB);
            chunk.extend_from_slice(b"\r\n");
            let chunk: &'static [u8] = Box::leak(chunk.into_boxed_slice());
            let (path, _s) = serve_endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunk).await;
            let e = read_all(&unix(&path), via, 4 << 20).await.unwrap_err();
            assert!(e.message.contains("larger than"), "{}", e.message);
        }
    }

    /// A slowloris: one byte of the status line a second. The head must arrive within the
    /// timeout (virtual time here: the test does not wait two minutes).
    #[tokio::test(start_paused = true)]
    async fn a_slowloris_times_out() {
        for via in BOTH {
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
            let e = read_all(&unix(&path), via, 1 << 20).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::EngineTimeout, "{via:?}: {}", e.message);
            assert!(t.elapsed() <= TIMEOUT + Duration::from_secs(2), "within the head timeout: {:?}", t.elapsed());
            server.abort();
            let _ = std::fs::remove_file(path);
        }
    }

    #[test]
    fn invalid_json_from_the_engine_is_a_typed_engine_error() {
        let e = crate::containers::parse_container_list(b"[{\"Id\": 12").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Engine);
        let e = crate::images::parse_image_list(b"not json").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Engine);
    }

    /// A keep-alive engine: answers every GET on a connection with `[n]`, n counting requests,
    /// and counts the connections it accepted.
    async fn keep_alive_engine() -> (std::path::PathBuf, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        let (path, listener) = listen();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&accepted);
        tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                let Ok((s, _)) = listener.accept().await else { return };
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                loop {
                    let mut line = String::new();
                    let mut head_done = false;
                    while let Ok(k) = r.read_line(&mut line).await {
                        if k == 0 {
                            break;
                        }
                        if line == "\r\n" {
                            head_done = true;
                            break;
                        }
                        line.clear();
                    }
                    if !head_done {
                        break;
                    }
                    n += 1;
                    let body = format!("[{n}]");
                    let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                    if w.write_all(resp.as_bytes()).await.is_err() {
                        break;
                    }
                }
            }
        });
        (path, accepted)
    }

    #[tokio::test]
    async fn requests_reuse_one_pooled_connection() {
        let (path, accepted) = keep_alive_engine().await;
        let t = unix(&path);
        for i in 1..=5 {
            assert_eq!(get(&t, API, "/x").await.unwrap(), format!("[{i}]").as_bytes());
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "five requests, one connection");
        let _ = std::fs::remove_file(path);
    }
}
