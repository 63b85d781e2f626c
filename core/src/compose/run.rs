//! `up -d`, `down`, `pull` and `build` run by the user's own Compose — `docker compose` (the v2
//! plugin) when the docker CLI has it, else `docker-compose` (v1) — started from Rust with an
//! argument vector (never a shell), against the engine selected in the app, its output
//! streamed line by line. Dropping the stream cancels: Compose gets SIGINT, as from Ctrl-C,
//! and SIGKILL if it is still running 10 seconds later.

use crate::engine::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

#[cfg(feature = "ts")]
use ts_rs::TS;

/// A line of Compose's output longer than this is cut (progress bars can be endless).
const MAX_LINE: usize = 16 * 1024;
const DETECT_TIMEOUT: Duration = Duration::from_secs(15);
const KILL_AFTER: Duration = Duration::from_secs(10);

/// Which Compose is installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ComposeTool {
    /// `docker compose` or `docker-compose`.
    pub command: String,
    /// What `version --short` printed.
    pub version: String,
    /// `true` for the v2 plugin.
    pub v2: bool,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    program: PathBuf,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    prefix: Vec<String>,
}

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ComposeCommand {
    /// `up -d`
    Up,
    Down,
    Pull,
    Build,
}

impl ComposeCommand {
    fn args(self) -> &'static [&'static str] {
        match self {
            ComposeCommand::Up => &["up", "-d"],
            ComposeCommand::Down => &["down"],
            ComposeCommand::Pull => &["pull"],
            ComposeCommand::Build => &["build"],
        }
    }
}

/// One event of a running Compose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ComposeOutput {
    /// The command line that runs (shown first, so the user sees what runs).
    Started { command: Vec<String> },
    /// A line it printed (Compose writes its progress to stderr), neutralised.
    Line { stderr: bool, text: String },
    /// It ended; `code` is none when a signal ended it.
    Exited { code: Option<i32> },
}

/// How to install Compose, for the message when neither is there.
pub const INSTALL_HINT: &str = "Neither `docker compose` (the Compose v2 plugin) nor `docker-compose` is installed. \
     On Debian or Ubuntu: sudo apt-get install docker-compose (Compose v1), or the docker-compose-plugin \
     package from Docker's own repository (v2). Starting, stopping and removing existing projects works without it.";

fn find_on_path(name: &str) -> Option<PathBuf> {
    crate::registry::on_path(&std::env::var_os("PATH")?, name)
}

async fn version_of(program: &Path, prefix: &[&str]) -> Option<String> {
    let out = tokio::time::timeout(
        DETECT_TIMEOUT,
        tokio::process::Command::new(program)
            .args(prefix)
            .args(["version", "--short"])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .ok()?
    .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !v.is_empty()).then(|| crate::text::neutralise(&v))
}

/// Finds the user's Compose: the v2 plugin first, as the docker CLI's docs advise.
pub async fn find_tool() -> Option<ComposeTool> {
    if let Some(docker) = find_on_path("docker") {
        if let Some(version) = version_of(&docker, &["compose"]).await {
            return Some(ComposeTool {
                command: "docker compose".into(),
                version,
                v2: true,
                program: docker,
                prefix: vec!["compose".into()],
            });
        }
    }
    let v1 = find_on_path("docker-compose")?;
    let version = version_of(&v1, &[]).await?;
    let v2 = version.starts_with('2');
    Some(ComposeTool { command: "docker-compose".into(), version, v2, program: v1, prefix: Vec::new() })
}

/// The environment that points Compose at `endpoint`, as the docker CLI reads it. TLS files
/// are linked into a private folder under the names DOCKER_CERT_PATH wants (ca/cert/key.pem).
/// Variables to set for Compose, and the folder of TLS links that must live as long as it runs.
type EngineEnv = (Vec<(String, String)>, Option<tempfile::TempDir>);

fn engine_env(endpoint: &Endpoint) -> Result<EngineEnv> {
    let mut env = vec![("DOCKER_HOST".to_owned(), String::new())];
    let mut dir = None;
    match endpoint {
        Endpoint::Unix(p) => env[0].1 = format!("unix://{}", p.display()),
        Endpoint::Tcp(h) => env[0].1 = format!("tcp://{h}"),
        Endpoint::Ssh(a) => env[0].1 = a.to_string(),
        Endpoint::Tls { addr, files } => {
            env[0].1 = format!("tcp://{addr}");
            let d = tempfile::Builder::new()
                .prefix("bulkhead-compose-tls-")
                .tempdir()
                .map_err(|e| Error::internal(format!("Cannot make a folder for the TLS files: {e}")))?;
            for (src, name) in [(&files.ca, "ca.pem"), (&files.cert, "cert.pem"), (&files.key, "key.pem")] {
                if let Some(src) = src {
                    std::os::unix::fs::symlink(src, d.path().join(name))
                        .map_err(|e| Error::internal(format!("Cannot link {}: {e}", src.display())))?;
                }
            }
            env.push(("DOCKER_CERT_PATH".into(), d.path().display().to_string()));
            if files.verify {
                env.push(("DOCKER_TLS_VERIFY".into(), "1".into()));
            } else {
                env.push(("DOCKER_TLS".into(), "1".into()));
            }
            dir = Some(d);
        }
    }
    Ok((env, dir))
}

/// The argument vector (after the program) for `cmd` on `file` as project `project`.
pub fn argv(tool: &ComposeTool, file: &Path, project: &str, cmd: ComposeCommand) -> Vec<String> {
    let mut a = tool.prefix.clone();
    a.extend(["--ansi".into(), "never".into(), "-f".into(), file.display().to_string(), "-p".into(), project.into()]);
    a.extend(cmd.args().iter().map(|s| (*s).to_owned()));
    a
}

/// A running Compose: SIGINT when dropped (Cancel), SIGKILL if it outlives [`KILL_AFTER`].
struct Running {
    child: Option<tokio::process::Child>,
    _tls: Option<tempfile::TempDir>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        // The child is not reaped yet (it is still ours), so its pid is not anyone else's.
        if let Some(pid) = child.id().and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if tokio::time::timeout(KILL_AFTER, child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            });
        }
    }
}

/// Starts Compose; its output as a stream that ends with [`ComposeOutput::Exited`].
pub fn run(
    tool: &ComposeTool,
    file: &Path,
    project: &str,
    cmd: ComposeCommand,
    endpoint: &Endpoint,
) -> Result<impl Stream<Item = ComposeOutput> + Send + 'static> {
    // The file is read as the review reads it — absolute, a regular UTF-8 file of bounded size,
    // YAML within limits, every variable interpolated — and Compose never sees one it refuses.
    let (real, _) = super::file::read_text(file)?;
    super::file::load(&real, &file.display().to_string(), std::env::vars().collect())?;
    super::project::ProjectName::parse(project)?;
    let dir = real.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
    let (env, tls) = engine_env(endpoint)?;
    let args = argv(tool, &real, project, cmd);
    let mut child = tokio::process::Command::new(&tool.program)
        .args(&args)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_TLS")
        .env_remove("DOCKER_CERT_PATH")
        .envs(env)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::new(ErrorKind::NotFound, format!("{} could not be started: {e}", tool.command)))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut shown = vec![tool.command.clone()];
    shown.extend(args.iter().skip(tool.prefix.len()).map(|a| crate::text::neutralise(a)));
    let (tx, rx) = tokio::sync::mpsc::channel::<ComposeOutput>(256);
    let readers =
        [stdout.map(|s| lines(Box::new(s), false, tx.clone())), stderr.map(|s| lines(Box::new(s), true, tx.clone()))];
    let running = Running { child: Some(child), _tls: tls };
    Ok(async_stream(shown, readers, running, rx, tx))
}

fn lines(
    r: Box<dyn AsyncRead + Send + Unpin>,
    stderr: bool,
    tx: tokio::sync::mpsc::Sender<ComposeOutput>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut r = BufReader::new(r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            // read_until is bounded by taking at most MAX_LINE bytes per line.
            let n = match (&mut r).take(MAX_LINE as u64).read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let text = String::from_utf8_lossy(&buf[..n]);
            let text = text.trim_end_matches(['\n', '\r']);
            // Compose v2 redraws with \r: the last state of the line is what counts.
            let text = text.rsplit('\r').next().unwrap_or_default();
            if tx.send(ComposeOutput::Line { stderr, text: crate::text::neutralise(text) }).await.is_err() {
                break;
            }
        }
    })
}

fn async_stream(
    shown: Vec<String>,
    readers: [Option<tokio::task::JoinHandle<()>>; 2],
    running: Running,
    rx: tokio::sync::mpsc::Receiver<ComposeOutput>,
    tx: tokio::sync::mpsc::Sender<ComposeOutput>,
) -> impl Stream<Item = ComposeOutput> + Send + 'static {
    drop(tx);
    struct St {
        started: Option<Vec<String>>,
        rx: tokio::sync::mpsc::Receiver<ComposeOutput>,
        readers: [Option<tokio::task::JoinHandle<()>>; 2],
        running: Running,
        done: bool,
    }
    let st = St { started: Some(shown), rx, readers, running, done: false };
    futures_util::stream::unfold(st, |mut st| async move {
        if st.done {
            return None;
        }
        if let Some(command) = st.started.take() {
            return Some((ComposeOutput::Started { command }, st));
        }
        if let Some(item) = st.rx.recv().await {
            return Some((item, st));
        }
        // Both pipes are closed: wait for the exit status.
        for r in st.readers.iter_mut().flatten() {
            let _ = r.await;
        }
        st.done = true;
        let code = match st.running.child.as_mut() {
            Some(c) => c.wait().await.ok().and_then(|s| s.code()),
            None => None,
        };
        // Exited: nothing to cancel any more.
        st.running.child = None;
        Some((ComposeOutput::Exited { code }, st))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_vectors() {
        let v2 = ComposeTool {
            command: "docker compose".into(),
            version: "2.29.1".into(),
            v2: true,
            program: "docker".into(),
            prefix: vec!["compose".into()],
        };
        assert_eq!(
            argv(&v2, Path::new("/p/compose.yaml"), "p", ComposeCommand::Up),
            ["compose", "--ansi", "never", "-f", "/p/compose.yaml", "-p", "p", "up", "-d"]
        );
        let v1 = ComposeTool {
            command: "docker-compose".into(),
            version: "1.29.2".into(),
            v2: false,
            program: "docker-compose".into(),
            prefix: vec![],
        };
        assert_eq!(
            argv(&v1, Path::new("/a b/x.yml"), "ab", ComposeCommand::Down),
            ["--ansi", "never", "-f", "/a b/x.yml", "-p", "ab", "down"]
        );
    }

    #[test]
    fn the_engine_as_the_cli_reads_it() {
        let (env, dir) = engine_env(&Endpoint::Unix("/run/x.sock".into())).unwrap();
        assert_eq!(env, vec![("DOCKER_HOST".to_owned(), "unix:///run/x.sock".to_owned())]);
        assert!(dir.is_none());
    }
}
