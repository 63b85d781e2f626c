//! Container logs: tail, since, follow, timestamps, stdout and stderr told apart.
//!
//! The body is read with our own lean GET and demultiplexed here (8-byte frame headers unless
//! the container has a TTY), split into lines, and handed out in batches: at most one batch per
//! 16 ms (an animation frame) and at most `MAX_BATCH_LINES` lines, so a container writing 10,000
//! lines a second costs the UI ~60 messages a second. Text is passed as the container wrote it
//! (lossy UTF-8); the UI renders colours and neutralises every other control sequence.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::ContainerRef;
use bytes::Bytes;
use futures_util::{FutureExt, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The longest pause before a batch is handed out: one animation frame.
pub const BATCH_WINDOW: Duration = Duration::from_millis(16);
pub const MAX_BATCH_LINES: usize = 5000;
/// A line longer than this is cut into pieces (a runaway line must not grow without bound).
const MAX_LINE: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct LogOptions {
    /// Keep the stream open and send new lines as they come.
    pub follow: bool,
    /// Only the last N lines; none: the whole log.
    pub tail: Option<u32>,
    /// Only lines since this Unix time (seconds).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub since: Option<i64>,
    /// Prefix each line with the engine's RFC 3339 timestamp.
    pub timestamps: bool,
    pub stdout: bool,
    pub stderr: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions { follow: false, tail: Some(1000), since: None, timestamps: false, stdout: true, stderr: true }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum LogStream {
    Stdout,
    Stderr,
    /// A TTY container: one stream, stdout and stderr mixed.
    Tty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct LogLine {
    pub stream: LogStream,
    /// The engine's timestamp, when asked for.
    pub ts: Option<String>,
    pub text: String,
    /// Which service of a Compose project the line came from (a project's interleaved log).
    pub source: Option<String>,
}

impl LogOptions {
    /// Refuses options that make no sense, before anything is asked of the engine.
    pub fn check(&self) -> Result<()> {
        self.query().map(|_| ())
    }

    fn query(&self) -> Result<String> {
        if !self.stdout && !self.stderr {
            return Err(Error::invalid("Choose stdout, stderr or both."));
        }
        let mut q = format!(
            "follow={}&stdout={}&stderr={}&timestamps={}",
            u8::from(self.follow),
            u8::from(self.stdout),
            u8::from(self.stderr),
            u8::from(self.timestamps)
        );
        q.push_str(&match self.tail {
            Some(n) => format!("&tail={n}"),
            None => "&tail=all".to_owned(),
        });
        if let Some(s) = self.since {
            if s < 0 {
                return Err(Error::invalid("`since` is a Unix time, 0 or later."));
            }
            q.push_str(&format!("&since={s}"));
        }
        Ok(q)
    }
}

/// Turns the engine's byte stream into lines.
pub struct Demux {
    tty: bool,
    timestamps: bool,
    pending: Vec<u8>,
    partial: [Vec<u8>; 2],
    /// The stream's partial line continues a line already handed out in pieces (it has no
    /// timestamp of its own).
    continued: [bool; 2],
}

impl Demux {
    pub fn new(tty: bool, timestamps: bool) -> Demux {
        Demux { tty, timestamps, pending: Vec::new(), partial: [Vec::new(), Vec::new()], continued: [false; 2] }
    }

    /// Adds a chunk of the body; complete lines go to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<LogLine>) {
        if self.tty {
            self.lines(0, chunk, out);
            return;
        }
        let mut data = chunk;
        let owned;
        if !self.pending.is_empty() {
            self.pending.extend_from_slice(chunk);
            owned = std::mem::take(&mut self.pending);
            data = &owned;
            let used = self.frames(data, out);
            self.pending = data[used..].to_vec();
        } else {
            let used = self.frames(data, out);
            self.pending = data[used..].to_vec();
        }
    }

    /// Parses whole frames; returns how many bytes were used.
    fn frames(&mut self, data: &[u8], out: &mut Vec<LogLine>) -> usize {
        let mut at = 0;
        while data.len() - at >= 8 {
            let h = &data[at..at + 8];
            let size = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
            if data.len() - at - 8 < size {
                break;
            }
            let stream = if h[0] == 2 { 1 } else { 0 };
            let payload = &data[at + 8..at + 8 + size];
            self.lines(stream, payload, out);
            at += 8 + size;
        }
        at
    }

    fn lines(&mut self, stream: usize, mut data: &[u8], out: &mut Vec<LogLine>) {
        while let Some(nl) = data.iter().position(|&b| b == b'\n') {
            let part = &data[..nl];
            if self.partial[stream].is_empty() && part.len() <= MAX_LINE {
                let continued = std::mem::take(&mut self.continued[stream]);
                out.push(self.line(stream, part, continued));
            } else {
                self.partial[stream].extend_from_slice(part);
                self.cut_pieces(stream, out);
                let whole = std::mem::take(&mut self.partial[stream]);
                let continued = std::mem::take(&mut self.continued[stream]);
                out.push(self.line(stream, &whole, continued));
            }
            data = &data[nl + 1..];
        }
        self.partial[stream].extend_from_slice(data);
        self.cut_pieces(stream, out);
    }

    /// A line longer than MAX_LINE goes in pieces of exactly MAX_LINE bytes (less where a
    /// UTF-8 character would be cut), wherever the engine's frames happen to end: memory stays
    /// bounded on a 100 MB line, and the pieces do not depend on how the stream was chunked.
    fn cut_pieces(&mut self, stream: usize, out: &mut Vec<LogLine>) {
        while self.partial[stream].len() > MAX_LINE {
            let p = &self.partial[stream];
            let mut cut = MAX_LINE;
            while cut > MAX_LINE - 3 && p[cut] & 0xC0 == 0x80 {
                cut -= 1;
            }
            let rest = self.partial[stream].split_off(cut);
            let piece = std::mem::replace(&mut self.partial[stream], rest);
            out.push(self.line(stream, &piece, self.continued[stream]));
            self.continued[stream] = true;
        }
    }

    fn line(&self, stream: usize, raw: &[u8], continued: bool) -> LogLine {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (ts, text) = if self.timestamps && !continued {
            match raw.iter().position(|&b| b == b' ') {
                Some(sp) => (Some(String::from_utf8_lossy(&raw[..sp]).into_owned()), &raw[sp + 1..]),
                None => (None, raw),
            }
        } else {
            (None, raw)
        };
        let stream = match (self.tty, stream) {
            (true, _) => LogStream::Tty,
            (false, 1) => LogStream::Stderr,
            _ => LogStream::Stdout,
        };
        LogLine { stream, ts, text: String::from_utf8_lossy(text).into_owned(), source: None }
    }

    /// The last, unterminated lines at the end of the stream.
    pub fn finish(&mut self, out: &mut Vec<LogLine>) {
        for s in 0..2 {
            if !self.partial[s].is_empty() {
                let whole = std::mem::take(&mut self.partial[s]);
                let continued = std::mem::take(&mut self.continued[s]);
                out.push(self.line(s, &whole, continued));
            }
        }
    }
}

struct Batcher {
    body: crate::http::BodyStream,
    demux: Demux,
    done: bool,
    error: Option<Error>,
}

impl Engine {
    async fn is_tty(&self, r: &ContainerRef) -> Result<bool> {
        let c = self
            .docker
            .inspect_container(r.as_str(), None::<bollard::query_parameters::InspectContainerOptions>)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(c.config.and_then(|c| c.tty).unwrap_or(false))
    }

    async fn log_body(&self, r: &ContainerRef, opts: &LogOptions) -> Result<(crate::http::BodyStream, Demux)> {
        let q = opts.query()?;
        let tty = self.is_tty(r).await?;
        let body = crate::http::get_stream(
            self.transport(),
            self.version().api,
            &format!("/containers/{}/logs?{q}", r.as_str()),
        )
        .await?;
        Ok((body, Demux::new(tty, opts.timestamps)))
    }

    /// For `make bench` only (`logs-50mb-hyper`): reads a log's whole body on the log fast path
    /// or through hyper's client, answering its size — the measurement that keeps the fast path.
    #[doc(hidden)]
    pub async fn bench_read_log_body(&self, r: &ContainerRef, through_hyper: bool) -> Result<usize> {
        let path = format!("/containers/{}/logs?stdout=1&stderr=1&tail=all", r.as_str());
        let api = self.version().api;
        let mut body = if through_hyper {
            crate::http::request_stream(self.transport(), api, "GET", &path, &[]).await?
        } else {
            crate::http::get_stream(self.transport(), api, &path).await?
        };
        let mut n = 0;
        while let Some(p) = body.next().await {
            n += p?.len();
        }
        Ok(n)
    }

    /// Log lines in batches (see the module's notes). Errors such as "no such container"
    /// come from this call, before any line.
    pub async fn logs(
        &self,
        r: &ContainerRef,
        opts: &LogOptions,
    ) -> Result<impl Stream<Item = Result<Vec<LogLine>>> + Send + 'static> {
        let (body, demux) = self.log_body(r, opts).await?;
        let state = Batcher { body, demux, done: false, error: None };
        Ok(futures_util::stream::unfold(state, |mut st| async move {
            if let Some(e) = st.error.take() {
                st.done = true;
                return Some((Err(e), st));
            }
            if st.done {
                return None;
            }
            let mut out = Vec::new();
            // Wait as long as it takes for the first line …
            while out.is_empty() {
                match st.body.next().await {
                    Some(Ok(chunk)) => st.demux.push(&chunk, &mut out),
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    None => {
                        st.demux.finish(&mut out);
                        st.done = true;
                        return if out.is_empty() { None } else { Some((Ok(out), st)) };
                    }
                }
            }
            // … then gather what follows within one frame: first whatever is ready now (no
            // timer per chunk: a busy log arrives in hundreds of thousands of small chunks),
            // then wait for more only until the frame is over.
            let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
            'frame: while out.len() < MAX_BATCH_LINES {
                while out.len() < MAX_BATCH_LINES {
                    match st.body.next().now_or_never() {
                        Some(Some(Ok(chunk))) => st.demux.push(&chunk, &mut out),
                        Some(Some(Err(e))) => {
                            st.error = Some(e);
                            break 'frame;
                        }
                        Some(None) => {
                            st.demux.finish(&mut out);
                            st.done = true;
                            break 'frame;
                        }
                        None => break,
                    }
                }
                if out.len() >= MAX_BATCH_LINES || tokio::time::Instant::now() >= deadline {
                    break;
                }
                match tokio::time::timeout_at(deadline, st.body.next()).await {
                    Ok(Some(Ok(chunk))) => st.demux.push(&chunk, &mut out),
                    Ok(Some(Err(e))) => {
                        st.error = Some(e);
                        break;
                    }
                    Ok(None) => {
                        st.demux.finish(&mut out);
                        st.done = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            Some((Ok(out), st))
        }))
    }

    /// Streams the log (never followed) into a file, a chunk at a time — never the whole log
    /// in memory. Writes a new, exclusively created `.<name>.<random>.part` file next to the
    /// target first (never following a link, never overwriting what is there) and renames it
    /// into place, so a failure leaves neither a half file nor a changed target.
    /// Returns the number of lines written.
    pub async fn save_logs(&self, r: &ContainerRef, opts: &LogOptions, path: &Path) -> Result<u64> {
        let opts = LogOptions { follow: false, ..opts.clone() };
        let io = |e: std::io::Error| Error::new(ErrorKind::Internal, format!("Cannot write {}: {e}", path.display()));
        let (dir, name) = match (path.parent(), path.file_name()) {
            (Some(d), Some(n)) => (if d.as_os_str().is_empty() { Path::new(".") } else { d }, n),
            _ => return Err(Error::invalid(format!("Not a file to save to: {}", path.display()))),
        };
        let (mut body, mut demux) = self.log_body(r, &opts).await?;
        let part = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(io)?;
        let (file, part) = part.into_parts();
        let mut w = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
        let mut lines = 0u64;
        let result: Result<()> = async {
            let mut out = Vec::new();
            loop {
                let chunk: Option<Result<Bytes>> = body.next().await;
                match chunk {
                    Some(Ok(c)) => demux.push(&c, &mut out),
                    Some(Err(e)) => return Err(e),
                    None => {
                        demux.finish(&mut out);
                        write_lines(&mut w, &out, &mut lines).await.map_err(io)?;
                        return Ok(());
                    }
                }
                write_lines(&mut w, &out, &mut lines).await.map_err(io)?;
                out.clear();
            }
        }
        .await;
        result?; // `part` removes the file when dropped
        w.flush().await.map_err(io)?;
        w.into_inner().sync_all().await.map_err(io)?;
        part.persist(path).map_err(|e| io(e.error))?;
        Ok(lines)
    }
}

async fn write_lines<W: tokio::io::AsyncWrite + Unpin>(
    w: &mut W,
    lines: &[LogLine],
    count: &mut u64,
) -> std::io::Result<()> {
    for l in lines {
        if let Some(ts) = &l.ts {
            w.write_all(ts.as_bytes()).await?;
            w.write_all(b" ").await?;
        }
        w.write_all(l.text.as_bytes()).await?;
        w.write_all(b"\n").await?;
        *count += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![stream, 0, 0, 0];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn demultiplexes_frames_split_anywhere() {
        let mut body = frame(1, b"hello\nwor");
        body.extend(frame(2, b"oops\n"));
        body.extend(frame(1, b"ld\r\nlast"));
        // Feed it in every possible pair of pieces: the result must not depend on chunking.
        for cut in 0..body.len() {
            let mut d = Demux::new(false, false);
            let mut out = Vec::new();
            d.push(&body[..cut], &mut out);
            d.push(&body[cut..], &mut out);
            d.finish(&mut out);
            let got: Vec<(LogStream, &str)> = out.iter().map(|l| (l.stream, l.text.as_str())).collect();
            assert_eq!(
                got,
                vec![
                    (LogStream::Stdout, "hello"),
                    (LogStream::Stderr, "oops"),
                    (LogStream::Stdout, "world"),
                    (LogStream::Stdout, "last")
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn tty_logs_are_raw_and_timestamps_are_split_off() {
        let mut d = Demux::new(true, true);
        let mut out = Vec::new();
        d.push(b"2024-01-01T00:00:00.000000001Z \x1b[31mred\x1b[0m\n2024-01-01T00:00:01Z b", &mut out);
        d.finish(&mut out);
        assert_eq!(out[0].stream, LogStream::Tty);
        assert_eq!(out[0].ts.as_deref(), Some("2024-01-01T00:00:00.000000001Z"));
        assert_eq!(out[0].text, "\x1b[31mred\x1b[0m");
        assert_eq!(out[1].text, "b");
    }

    #[test]
    fn invalid_utf8_and_runaway_lines_are_bounded() {
        let mut d = Demux::new(true, false);
        let mut out = Vec::new();
        d.push(&[0xff, 0xfe, b'\n'], &mut out);
        assert_eq!(out[0].text, "\u{FFFD}\u{FFFD}");
        d.push(&vec![b'x'; MAX_LINE + 10], &mut out);
        assert_eq!(out.len(), 2, "a line longer than MAX_LINE is cut");
        assert_eq!(out[1].text.len(), MAX_LINE);
        // In frames of any size, with timestamps: pieces of MAX_LINE, the first one's stamp
        // split off, the others' text kept whole (a space in them is not a stamp).
        let mut d = Demux::new(false, true);
        let mut out = Vec::new();
        let mut line = b"2026-12-03T10:00:00Z ".to_vec();
        line.extend(std::iter::repeat_n(b"ab c".iter().copied(), MAX_LINE).flatten());
        line.push(b'\n');
        for frame in line.chunks(20_000) {
            let mut f = vec![1, 0, 0, 0];
            f.extend_from_slice(&u32::try_from(frame.len()).unwrap().to_be_bytes());
            f.extend_from_slice(frame);
            d.push(&f, &mut out);
        }
        assert_eq!(out.len(), 5, "the stamp and 4 × 64 KiB of text: 5 pieces");
        assert_eq!(out[0].ts.as_deref(), Some("2026-12-03T10:00:00Z"));
        assert!(out.iter().all(|l| l.text.len() <= MAX_LINE));
        assert!(out[1..].iter().all(|l| l.ts.is_none()));
        assert_eq!(out.iter().map(|l| l.text.len()).sum::<usize>(), 4 * MAX_LINE);
        let lens: Vec<usize> = out.iter().map(|l| l.text.len()).collect();
        assert_eq!(
            lens,
            [MAX_LINE - 21, MAX_LINE, MAX_LINE, MAX_LINE, 21],
            "cut at MAX_LINE bytes, the stamp's included"
        );
    }

    #[test]
    fn options_become_a_query() {
        let q = LogOptions { follow: true, tail: None, since: Some(5), timestamps: true, stdout: true, stderr: false }
            .query()
            .unwrap();
        assert_eq!(q, "follow=1&stdout=1&stderr=0&timestamps=1&tail=all&since=5");
        assert!(LogOptions { stdout: false, stderr: false, ..Default::default() }.query().is_err());
    }
}
