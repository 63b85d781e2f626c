//! The connection to a Docker engine: where it is, whether it answers, and which API version
//! both sides speak.
//!
//! bollard 0.21.1 builds its URLs with `Url::join(path)` on an absolute path, which throws the
//! `/v1.xx` prefix away (its issue #736): every request goes out unversioned and the engine
//! answers in whatever its newest API is. Bulkhead negotiates itself — `GET /version`, then
//! min(engine's API, the newest bollard models) — and a request modifier puts the negotiated
//! prefix on every request. A unit test reads the request line off a socket to prove it.

use crate::error::{Error, ErrorKind, Result};
use bollard::Docker;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The oldest engine API we support and test against: Docker 20.10 (Debian 12's docker.io).
pub const MIN_API: ApiVersion = ApiVersion { major: 1, minor: 41 };
/// The newest API whose models bollard 0.21 carries.
pub const MAX_API: ApiVersion = ApiVersion {
    major: bollard::API_DEFAULT_VERSION.major_version as u16,
    minor: bollard::API_DEFAULT_VERSION.minor_version as u16,
};
/// The default socket on Linux and macOS.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const SSH_CONNECT_TIMEOUT: Duration = Duration::from_secs(35);
/// bollard's timeout covers a request until its response headers arrive.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// An engine API version such as 1.41.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u16,
    pub minor: u16,
}

impl ApiVersion {
    pub fn parse(s: &str) -> Option<ApiVersion> {
        let (a, b) = s.trim().split_once('.')?;
        Some(ApiVersion { major: a.parse().ok()?, minor: b.parse().ok()? })
    }
    fn encode(self) -> u32 {
        (u32::from(self.major) << 16) | u32::from(self.minor)
    }
    fn decode(v: u32) -> Option<ApiVersion> {
        (v != 0).then_some(ApiVersion { major: (v >> 16) as u16, minor: (v & 0xffff) as u16 })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Where the engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// Plain HTTP, `host:port` (`tcp://` in DOCKER_HOST).
    Tcp(String),
    /// HTTPS to `host:port` (`tcp://` with the CLI's TLS settings).
    Tls {
        addr: String,
        files: TlsFiles,
    },
    /// `ssh://[user@]host[:port][/socket]`: the system's `ssh` runs `docker system dial-stdio`
    /// on that host, as the docker CLI's connection helper does.
    Ssh(SshAddr),
}

/// Where an SSH engine is: the parts of `ssh://[user@]host[:port][/socket/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshAddr {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The engine's socket on the remote host (`docker --host=unix://PATH`); `None`: its default.
    pub socket: Option<String>,
    /// An ssh_config(5) file used instead of `~/.ssh/config` (`ssh -F`); `None`, the user's own
    /// configuration, is what docker contexts use. `BULKHEAD_SSH_CONFIG` sets it.
    pub config: Option<PathBuf>,
}

impl SshAddr {
    /// Parses an `ssh://` URL as the docker CLI's `connhelper/ssh` does: no password, no query,
    /// no fragment, a host. The user and host may not start with `-` (they would read as ssh
    /// options), and the socket path must be absolute and printable.
    pub fn parse(s: &str) -> Result<SshAddr> {
        let bad = |why: &str| {
            Error::invalid(format!("{:?} is not a valid SSH engine address: {why}", crate::text::neutralise(s)))
        };
        let u = url::Url::parse(s).map_err(|e| bad(&e.to_string()))?;
        if u.scheme() != "ssh" {
            return Err(bad("it must start with ssh://"));
        }
        if u.password().is_some() {
            return Err(bad("a plain-text password is not supported; use a key or the ssh agent"));
        }
        if u.query().is_some() {
            return Err(bad("query parameters are not allowed"));
        }
        if u.fragment().is_some() {
            return Err(bad("fragments are not allowed"));
        }
        let decode = |v: &str| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned();
        let host = u.host_str().map(|h| decode(h.trim_start_matches('[').trim_end_matches(']'))).unwrap_or_default();
        if host.is_empty() {
            return Err(bad("the host name is empty"));
        }
        let user = Some(decode(u.username())).filter(|v| !v.is_empty());
        for part in std::iter::once(&host).chain(user.as_ref()) {
            if part.starts_with('-') || part.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(bad("the user and host may not start with '-' or hold spaces or control characters"));
            }
        }
        let path = decode(u.path());
        let socket = if path.trim_matches('/').is_empty() {
            None
        } else if path.chars().any(char::is_control) {
            return Err(bad("the socket path holds control characters"));
        } else {
            Some(path)
        };
        Ok(SshAddr { user, host, port: u.port(), socket, config: None })
    }

    /// The arguments of `ssh`, as the CLI builds them (`[-l user] [-p port] -o ConnectTimeout=30
    /// -T -- host 'docker' ['--host=unix://PATH'] 'system' 'dial-stdio'`), plus `BatchMode=yes`:
    /// a window has no terminal to ask on, so a password or an unknown host key is refused, never
    /// accepted silently. The remote command goes through the remote shell, so each word is quoted.
    pub fn ssh_args(&self) -> Vec<std::ffi::OsString> {
        let mut remote = vec!["docker".to_owned()];
        if let Some(socket) = &self.socket {
            remote.push(format!("--host=unix://{socket}"));
        }
        remote.extend(["system".to_owned(), "dial-stdio".to_owned()]);
        self.ssh_args_running(&remote)
    }

    /// The arguments of `ssh` that run `remote` (each word quoted for the remote shell) on the
    /// host, with the same options as the engine's connection.
    pub fn ssh_args_running(&self, remote: &[String]) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = Vec::new();
        if let Some(config) = &self.config {
            args.extend(["-F".into(), config.clone().into_os_string()]);
        }
        if let Some(user) = &self.user {
            args.extend(["-l".into(), user.into()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".into(), port.to_string().into()]);
        }
        for opt in ["-o", "ConnectTimeout=30", "-o", "BatchMode=yes", "-T", "--"] {
            args.push(opt.into());
        }
        args.push(self.host.clone().into());
        args.push(crate::shell::join(remote).into());
        args
    }
}

impl fmt::Display for SshAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if let Some(s) = &self.socket {
            f.write_str(s)?;
        }
        Ok(())
    }
}

/// TLS material as the docker CLI takes it: `DOCKER_TLS_VERIFY`/`DOCKER_TLS` with the files
/// in `DOCKER_CERT_PATH` (default `~/.docker`), or a context's `tls/<sha>/docker/` folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA the engine's certificate must chain to; `None`: the system's roots.
    pub ca: Option<PathBuf>,
    /// The client certificate and its key (both or neither).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `false` only when the user asked for it (`--tls` without `--tlsverify`, SkipTLSVerify):
    /// the connection is encrypted but the engine's identity is not checked.
    pub verify: bool,
}

impl TlsFiles {
    /// As `cli/flags/options.go` sets them: TLS when `DOCKER_TLS_VERIFY` or `DOCKER_TLS` is
    /// non-empty (any value — even "0" — turns verification on, as Go's `!= ""` does); the
    /// CA is `ca.pem` in the cert path; `cert.pem`/`key.pem` only when they exist.
    fn from_env() -> Option<TlsFiles> {
        TlsFiles::from_vars(|k| std::env::var_os(k))
    }

    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<TlsFiles> {
        let set = |k: &str| var(k).is_some_and(|v| !v.is_empty());
        let verify = set("DOCKER_TLS_VERIFY");
        if !verify && !set("DOCKER_TLS") {
            return None;
        }
        let dir = var("DOCKER_CERT_PATH")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| crate::registry::docker_config_dir_in(&var))
            .unwrap_or_else(|| PathBuf::from(".docker"));
        let existing = |name: &str| Some(dir.join(name)).filter(|p| p.exists());
        Some(TlsFiles { ca: Some(dir.join("ca.pem")), cert: existing("cert.pem"), key: existing("key.pem"), verify })
    }
}

impl Endpoint {
    /// `DOCKER_HOST` when set, else the platform default socket.
    pub fn from_env() -> Result<Endpoint> {
        match std::env::var("DOCKER_HOST") {
            Ok(h) if !h.trim().is_empty() => Endpoint::parse(h.trim()),
            _ => Ok(Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET))),
        }
    }

    /// A `DOCKER_HOST` value; `tcp://` takes the TLS settings of this process's environment.
    pub fn parse(s: &str) -> Result<Endpoint> {
        Endpoint::parse_with(s, TlsFiles::from_env)
    }

    pub(crate) fn parse_with(s: &str, tls: impl FnOnce() -> Option<TlsFiles>) -> Result<Endpoint> {
        if s.starts_with("ssh://") {
            let mut addr = SshAddr::parse(s)?;
            addr.config = std::env::var_os("BULKHEAD_SSH_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from);
            return Ok(Endpoint::Ssh(addr));
        }
        if let Some(p) = s.strip_prefix("unix://") {
            if p.is_empty() || !p.starts_with('/') {
                return Err(Error::invalid(format!("DOCKER_HOST {s:?}: a unix socket needs an absolute path")));
            }
            return Ok(Endpoint::Unix(PathBuf::from(p)));
        }
        if let Some(rest) = s.strip_prefix("tcp://").or_else(|| s.strip_prefix("http://")) {
            let hostport = rest.trim_end_matches('/');
            if hostport.is_empty() || hostport.contains('/') {
                return Err(Error::invalid(format!("DOCKER_HOST {s:?}: expected tcp://host:port")));
            }
            let tls = tls();
            // The CLI's default ports: 2376 with TLS, 2375 without.
            let hostport = if hostport.rsplit_once(':').is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit())) {
                hostport.to_owned()
            } else {
                format!("{hostport}:{}", if tls.is_some() { 2376 } else { 2375 })
            };
            return Ok(match tls {
                Some(files) => Endpoint::Tls { addr: hostport, files },
                None => Endpoint::Tcp(hostport),
            });
        }
        if s.starts_with('/') {
            return Ok(Endpoint::Unix(PathBuf::from(s)));
        }
        Err(Error::invalid(format!(
            "DOCKER_HOST {s:?} is not supported: use unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host"
        )))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(h) => write!(f, "tcp://{h}"),
            Endpoint::Tls { addr, files } => {
                write!(f, "tcp://{addr} (TLS{})", if files.verify { "" } else { ", not verified" })
            }
            Endpoint::Ssh(a) => a.fmt(f),
        }
    }
}

/// What the engine told us about itself when we connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersion {
    /// The version both sides speak, sent as the `/v1.xx` prefix of every request.
    pub api: ApiVersion,
    /// The newest API the engine speaks.
    pub engine_api: ApiVersion,
    /// The engine's own release, e.g. 20.10.24+dfsg1.
    pub engine_version: String,
    /// What answers: "Docker" or "Podman" (from the components `/version` lists).
    pub product: String,
    pub os: String,
    pub arch: String,
    pub kernel: String,
}

/// A connected, version-negotiated engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) docker: Docker,
    /// The connection pool every request goes through (bollard's included).
    transport: crate::transport::Transport,
    endpoint: Endpoint,
    version: Arc<EngineVersion>,
    /// Where registry credentials are looked up (the user's docker config and PATH).
    credentials: Arc<crate::registry::CredentialSource>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("endpoint", &self.endpoint).field("version", &self.version).finish()
    }
}

impl Engine {
    /// Connects to the endpoint, classifies any failure (socket missing, permission denied,
    /// not running, too old) and negotiates the API version.
    pub async fn connect(endpoint: &Endpoint) -> Result<Engine> {
        let label = endpoint.to_string();
        if let Endpoint::Unix(path) = endpoint {
            // A cheap pre-flight that tells "missing", "denied" and "refused" apart.
            match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::UnixStream::connect(path)).await {
                Err(_) => return Err(Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into())),
                Ok(Err(e)) => return Err(Error::from_connect_io(&label, &e)),
                Ok(Ok(_)) => {}
            }
        }
        let negotiated = Arc::new(AtomicU32::new(0));
        let transport = crate::transport::Transport::new(endpoint)?;
        // bollard's calls share our client: one pool, and TLS (or any later carrier) for all.
        let shared = transport.clone();
        let docker = Docker::connect_with_custom_transport(
            move |req: bollard::BollardRequest| {
                let t = shared.clone();
                async move { t.send(req).await.map_err(|err| bollard::errors::Error::HyperLegacyError { err }) }
            },
            Some("http://docker"),
            REQUEST_TIMEOUT_SECS,
            bollard::API_DEFAULT_VERSION,
        )
        .map_err(|e| engine_error(e, &label))?;
        let prefix = Arc::clone(&negotiated);
        let docker = docker.with_request_modifier(move |req| with_version_prefix(req, &prefix));

        // Over SSH the first request carries the whole ssh handshake (ssh's own ConnectTimeout
        // is 30 s, as the CLI sets it).
        let first = if matches!(endpoint, Endpoint::Ssh(_)) { SSH_CONNECT_TIMEOUT } else { CONNECT_TIMEOUT };
        let v = match tokio::time::timeout(first, docker.version()).await {
            Err(_) => return Err(Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into())),
            Ok(r) => r.map_err(|e| engine_error(e, &label))?,
        };
        let engine_version = v.version.clone().unwrap_or_default();
        let engine_api = v.api_version.as_deref().and_then(ApiVersion::parse).ok_or_else(|| {
            Error::new(ErrorKind::Engine, format!("The engine at {label} did not report its API version."))
        })?;
        let api = negotiate(engine_api, v.min_api_version.as_deref().and_then(ApiVersion::parse))
            .map_err(|e| Error::new(e.kind, format!("{} (engine {engine_version} at {label})", e.message)))?;
        negotiated.store(api.encode(), Ordering::Relaxed);

        Ok(Engine {
            docker,
            transport,
            credentials: Arc::new(crate::registry::CredentialSource::from_env()),
            endpoint: endpoint.clone(),
            version: Arc::new(EngineVersion {
                api,
                engine_api,
                engine_version: crate::text::neutralise(&engine_version),
                product: product_of(&v),
                os: crate::text::neutralise(&v.os.unwrap_or_default()),
                arch: crate::text::neutralise(&v.arch.unwrap_or_default()),
                kernel: crate::text::neutralise(&v.kernel_version.unwrap_or_default()),
            }),
        })
    }

    /// The same engine, with registry credentials looked up in `source` instead.
    pub fn with_credentials(mut self, source: crate::registry::CredentialSource) -> Engine {
        self.credentials = Arc::new(source);
        self
    }

    pub(crate) fn credentials(&self) -> Arc<crate::registry::CredentialSource> {
        Arc::clone(&self.credentials)
    }

    /// Maps an error of a bollard call on this engine.
    pub(crate) fn fail(&self, e: bollard::errors::Error) -> Error {
        engine_error(e, &self.endpoint.to_string())
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub(crate) fn transport(&self) -> &crate::transport::Transport {
        &self.transport
    }

    pub fn version(&self) -> &EngineVersion {
        &self.version
    }

    /// A cheap liveness check.
    pub async fn ping(&self) -> Result<()> {
        self.docker.ping().await.map(|_| ()).map_err(|e| self.fail(e))
    }
}

/// "Podman" when Podman's compat API answers (its `/version` names a "Podman Engine"
/// component), else "Docker".
fn product_of(v: &bollard::models::SystemVersion) -> String {
    let podman = v.components.iter().flatten().any(|c| c.name.to_ascii_lowercase().contains("podman"));
    if podman { "Podman" } else { "Docker" }.to_owned()
}

/// The version both sides speak: the engine's newest, capped at ours; refused when the
/// engine is older than we support or only speaks versions newer than ours.
pub fn negotiate(engine_api: ApiVersion, engine_min: Option<ApiVersion>) -> Result<ApiVersion> {
    if engine_api < MIN_API {
        return Err(Error::new(
            ErrorKind::EngineTooOld,
            format!(
                "The engine speaks Docker API {engine_api}; Bulkhead needs {MIN_API} or newer (Docker 20.10+). Upgrade Docker."
            ),
        ));
    }
    if engine_min.is_some_and(|m| m > MAX_API) {
        return Err(Error::new(
            ErrorKind::Engine,
            format!(
                "The engine only speaks Docker API {} and newer; Bulkhead speaks up to {MAX_API}. Update Bulkhead.",
                engine_min.map_or_else(String::new, |m| m.to_string())
            ),
        ));
    }
    Ok(engine_api.min(MAX_API))
}

/// Maps a bollard error, naming the endpoint when the connection itself failed.
pub(crate) fn engine_error(e: bollard::errors::Error, label: &str) -> Error {
    // bollard 0.21 hands a streamed body's failure (a stats stream when the engine was killed)
    // over as `IOError(io::Error::other(hyper's message))`, a transparent variant (its
    // `source()` skips the io::Error): only the text says the connection closed under the body.
    if let bollard::errors::Error::IOError { err } = &e {
        if err.kind() == std::io::ErrorKind::Other && err.to_string().contains("error reading a body") {
            return Error::new(ErrorKind::EngineNotRunning, format!("The connection to {label} broke: {err}"));
        }
    }
    match crate::error::io_cause(&e) {
        Some(io) if !matches!(e, bollard::errors::Error::DockerResponseServerError { .. }) => {
            Error::from_connect_io(label, io)
        }
        _ => Error::from(e),
    }
}

/// Puts `/v{api}` in front of the request path once a version has been negotiated.
fn with_version_prefix(mut req: bollard::BollardRequest, negotiated: &AtomicU32) -> bollard::BollardRequest {
    let Some(api) = ApiVersion::decode(negotiated.load(Ordering::Relaxed)) else {
        return req;
    };
    let uri = req.uri().clone();
    let mut parts = uri.into_parts();
    let pq = parts.path_and_query.as_ref().map_or("/", |pq| pq.as_str());
    if pq.starts_with("/v1.") {
        return req;
    }
    if let Ok(new_pq) = format!("/v{api}{pq}").parse() {
        parts.path_and_query = Some(new_pq);
        if let Ok(new_uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = new_uri;
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::UnixListener;

    #[test]
    fn parses_endpoints() {
        assert_eq!(Endpoint::parse("unix:///run/docker.sock").unwrap(), Endpoint::Unix("/run/docker.sock".into()));
        assert_eq!(Endpoint::parse("tcp://10.0.0.1:2376").unwrap(), Endpoint::Tcp("10.0.0.1:2376".into()));
        assert_eq!(Endpoint::parse("tcp://host").unwrap(), Endpoint::Tcp("host:2375".into()));
        assert_eq!(Endpoint::parse("unix:///x").unwrap().to_string(), "unix:///x");
        for bad in [
            "ssh://me:pw@host",
            "ssh://",
            "ssh://-oProxyCommand=x",
            "ssh://h?x=1",
            "unix://relative",
            "tcp://",
            "npipe:////./pipe/docker_engine",
            "tcp://h/x",
        ] {
            assert_eq!(Endpoint::parse(bad).unwrap_err().kind, ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn tls_settings_come_from_the_environment_as_the_cli_reads_them() {
        let dir = std::env::temp_dir().join(format!("bulkhead-tls-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), "x").unwrap();
        let vars = |pairs: &'static [(&'static str, &'static str)], dir: PathBuf| {
            move |k: &str| {
                if k == "DOCKER_CERT_PATH" {
                    return Some(dir.clone().into_os_string());
                }
                pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert_eq!(TlsFiles::from_vars(vars(&[], dir.clone())), None, "no TLS unless asked for");
        assert_eq!(TlsFiles::from_vars(vars(&[("DOCKER_TLS_VERIFY", "")], dir.clone())), None);
        // Go's `!= ""`: "0" turns verification on too.
        let f = TlsFiles::from_vars(vars(&[("DOCKER_TLS_VERIFY", "0")], dir.clone())).unwrap();
        assert!(f.verify);
        assert_eq!(f.ca, Some(dir.join("ca.pem")), "the CA is always the cert path's ca.pem");
        assert_eq!(f.cert, Some(dir.join("cert.pem")));
        assert_eq!(f.key, None, "key.pem does not exist: left out, as the CLI does");
        let f = TlsFiles::from_vars(vars(&[("DOCKER_TLS", "1")], dir.clone())).unwrap();
        assert!(!f.verify, "--tls without --tlsverify");
        let tls = || TlsFiles::from_vars(vars(&[("DOCKER_TLS", "1")], dir.clone()));
        assert_eq!(
            Endpoint::parse_with("tcp://engine.example", tls).unwrap(),
            Endpoint::Tls { addr: "engine.example:2376".into(), files: f.clone() },
            "the TLS port by default"
        );
        assert_eq!(
            Endpoint::parse_with("tcp://engine.example", || None).unwrap(),
            Endpoint::Tcp("engine.example:2375".into())
        );
        assert_eq!(Endpoint::Tls { addr: "h:2376".into(), files: f }.to_string(), "tcp://h:2376 (TLS, not verified)");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn negotiates() {
        let v = |s| ApiVersion::parse(s).unwrap();
        assert_eq!(negotiate(v("1.41"), Some(v("1.12"))).unwrap(), v("1.41"));
        assert_eq!(negotiate(v("1.99"), Some(v("1.44"))).unwrap(), MAX_API);
        assert_eq!(negotiate(v("1.40"), None).unwrap_err().kind, ErrorKind::EngineTooOld);
        assert_eq!(negotiate(v("1.99"), Some(v("1.90"))).unwrap_err().kind, ErrorKind::Engine);
        assert!(v("1.9") < v("1.41"));
    }

    /// A fake engine on a unix socket that records every request line and answers
    /// `/version` with the given API version.
    async fn fake_engine(api: &'static str) -> (tempdir::Dir, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let dir = tempdir::Dir::new();
        let listener = UnixListener::bind(dir.path().join("docker.sock")).unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else { return };
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let Ok(Some(request_line)) = lines.next_line().await else { return };
                    while let Ok(Some(l)) = lines.next_line().await {
                        if l.is_empty() {
                            break;
                        }
                    }
                    let body = if request_line.contains("/version") {
                        format!(
                            r#"{{"Version":"99.0.0","ApiVersion":"{api}","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64","KernelVersion":"6.1"}}"#
                        )
                    } else {
                        "[]".to_owned()
                    };
                    let _ = tx.send(request_line);
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = w.write_all(resp.as_bytes()).await;
                });
            }
        });
        (dir, rx)
    }

    #[tokio::test]
    async fn every_request_after_negotiation_carries_the_version_prefix() {
        for (engine_api, expected) in [("1.41", "1.41"), ("1.99", "1.53")] {
            let (dir, mut seen) = fake_engine(engine_api).await;
            let engine = Engine::connect(&Endpoint::Unix(dir.path().join("docker.sock"))).await.unwrap();
            assert_eq!(engine.version().api.to_string(), expected);
            assert_eq!(engine.version().engine_version, "99.0.0");
            assert_eq!(seen.recv().await.unwrap(), "GET /version HTTP/1.1", "negotiation itself is unversioned");
            let list = engine.list_containers().await.unwrap();
            assert!(list.is_empty());
            let line = seen.recv().await.unwrap();
            assert!(
                line.starts_with(&format!("GET /v{expected}/containers/json?")),
                "the engine must see the negotiated prefix, saw {line:?}"
            );
            // And through bollard, whose own URL building drops the prefix (its issue #736).
            engine.ping().await.unwrap();
            assert_eq!(seen.recv().await.unwrap(), format!("GET /v{expected}/_ping HTTP/1.1"));
        }
    }

    #[tokio::test]
    async fn a_missing_socket_and_a_dead_one_are_told_apart() {
        let dir = tempdir::Dir::new();
        let missing = Endpoint::Unix(dir.path().join("nope.sock"));
        let e = Engine::connect(&missing).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::EngineSocketMissing);
        assert!(e.message.contains("nope.sock"), "{}", e.message);

        // A socket file that nobody listens on any more: connection refused.
        let path = dir.path().join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let e = Engine::connect(&Endpoint::Unix(path)).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::EngineNotRunning, "{}", e.message);
    }

    #[tokio::test]
    async fn an_old_engine_is_refused_with_a_clear_kind() {
        let (dir, _seen) = fake_engine("1.38").await;
        let e = Engine::connect(&Endpoint::Unix(dir.path().join("docker.sock"))).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::EngineTooOld);
        assert!(e.message.contains("1.38") && e.message.contains("99.0.0"), "{}", e.message);
    }

    /// A throwaway directory, removed on drop.
    mod tempdir {
        use std::path::{Path, PathBuf};
        pub struct Dir(PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let p = std::env::temp_dir().join(format!("bulkhead-core-test-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
