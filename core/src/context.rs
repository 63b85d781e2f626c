//! Docker contexts, exactly as the docker CLI reads and writes them, and which one is in use.
//!
//! The store is `$DOCKER_CONFIG` (default `~/.docker`): `config.json`'s `currentContext`;
//! `contexts/meta/<sha256 of the name>/meta.json` (`Name`, `Metadata.Description`,
//! `Endpoints.docker.{Host, SkipTLSVerify}`); TLS material in
//! `contexts/tls/<sha256>/docker/{ca,cert,key}.pem`. Which context is used follows the CLI's
//! `resolveContextName` (cli/command/cli.go): `--context`, then `--host` (→ `default`), then
//! `DOCKER_HOST` (→ `default`), then `DOCKER_CONTEXT`, then `currentContext`, then `default`.
//! The built-in `default` context is `DOCKER_HOST` (or `-H`) with the TLS settings of the
//! environment, else the local socket.
//!
//! Unlike the CLI, one bad context does not hide the others: a malformed `meta.json`, TLS
//! material that cannot be used (an encrypted key, a certificate without its key) is a typed
//! error naming the file, kept with that context, and the rest still load.

use crate::engine::{Endpoint, TlsFiles, DEFAULT_SOCKET};
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The built-in context: `DOCKER_HOST`, else the local socket.
pub const DEFAULT_CONTEXT: &str = "default";
/// What `docker context ls` says of the built-in context.
const DEFAULT_DESCRIPTION: &str = "Current DOCKER_HOST based configuration";
/// The endpoint folder of TLS material in the store (contexts also hold other endpoints).
const DOCKER_ENDPOINT: &str = "docker";

/// One docker context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    pub description: String,
    /// `Endpoints.docker.Host` as written (for `default`: `DOCKER_HOST` or the local socket).
    pub host: String,
    pub skip_tls_verify: bool,
    /// The context's meta.json; `None` for the built-in `default`.
    pub meta_file: Option<PathBuf>,
    /// Where to connect, or why this context cannot be used.
    pub endpoint: Result<Endpoint>,
}

/// Why a context is the one in use (for "Using … because …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ChosenBy {
    /// `--context NAME`.
    ContextFlag,
    /// `-H/--host URL`: the default context with that host.
    HostFlag,
    /// `DOCKER_HOST` is set: the default context with that host.
    DockerHost,
    /// `DOCKER_CONTEXT` is set.
    DockerContext,
    /// `currentContext` in config.json (`docker context use`).
    ConfigFile,
    /// Nothing chose: the built-in default.
    BuiltIn,
}

/// The context in use and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub by: ChosenBy,
}

/// The CLI's precedence, given `--context`, `--host`, the environment and config.json's
/// `currentContext`. Empty values count as unset, as Go's `!= ""`. Both flags: an error, as in
/// the CLI ("conflicting options").
pub fn choose(
    context_flag: Option<&str>,
    host_flag: Option<&str>,
    var: &dyn Fn(&str) -> Option<OsString>,
    current_context: Option<&str>,
) -> Result<Choice> {
    let set = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);
    let env = |k: &str| var(k).map(|v| v.to_string_lossy().into_owned()).filter(|s| !s.is_empty());
    let (context_flag, host_flag) = (set(context_flag), set(host_flag));
    if context_flag.is_some() && host_flag.is_some() {
        return Err(Error::invalid("conflicting options: either specify --host or --context, not both"));
    }
    let choice = |name: String, by| Ok(Choice { name, by });
    if let Some(name) = context_flag {
        return choice(name, ChosenBy::ContextFlag);
    }
    if host_flag.is_some() {
        return choice(DEFAULT_CONTEXT.into(), ChosenBy::HostFlag);
    }
    if env("DOCKER_HOST").is_some() {
        return choice(DEFAULT_CONTEXT.into(), ChosenBy::DockerHost);
    }
    if let Some(name) = env("DOCKER_CONTEXT") {
        return choice(name, ChosenBy::DockerContext);
    }
    if let Some(name) = set(current_context) {
        return choice(name, ChosenBy::ConfigFile);
    }
    choice(DEFAULT_CONTEXT.into(), ChosenBy::BuiltIn)
}

/// The docker CLI's context names: `^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`, and not `default`.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("context name cannot be empty"));
    }
    if name == DEFAULT_CONTEXT {
        return Err(Error::invalid("\"default\" is a reserved context name"));
    }
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest: Vec<char> = chars.collect();
    if !first_ok
        || rest.is_empty()
        || !rest.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
    {
        return Err(Error::invalid(format!(
            "context name {:?} is invalid: use letters, digits and _ . + - (at least two, starting with a letter or digit)",
            crate::text::neutralise(name)
        )));
    }
    Ok(())
}

/// TLS files for a new `tcp://` context: copied into the store, as `docker context create
/// --docker ca=…,cert=…,key=…` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInput {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// A context to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContext {
    pub name: String,
    pub description: String,
    pub host: String,
    pub tls: Option<TlsInput>,
    pub skip_tls_verify: bool,
}

/// The docker CLI's context store in one config folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextStore {
    config_dir: PathBuf,
}

impl ContextStore {
    pub fn new(config_dir: impl Into<PathBuf>) -> ContextStore {
        ContextStore { config_dir: config_dir.into() }
    }

    /// `$DOCKER_CONFIG`, else `~/.docker`.
    pub fn from_env() -> ContextStore {
        ContextStore::from_vars(&|k| std::env::var_os(k))
    }

    pub fn from_vars(var: &dyn Fn(&str) -> Option<OsString>) -> ContextStore {
        ContextStore::new(crate::registry::docker_config_dir_in(var).unwrap_or_else(|| PathBuf::from(".docker")))
    }

    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    fn digest(name: &str) -> String {
        format!("{:x}", Sha256::digest(name.as_bytes()))
    }

    fn meta_root(&self) -> PathBuf {
        self.config_dir.join("contexts").join("meta")
    }

    fn meta_dir(&self, name: &str) -> PathBuf {
        self.meta_root().join(ContextStore::digest(name))
    }

    fn tls_root(&self, name: &str) -> PathBuf {
        self.config_dir.join("contexts").join("tls").join(ContextStore::digest(name))
    }

    fn tls_dir(&self, name: &str) -> PathBuf {
        self.tls_root(name).join(DOCKER_ENDPOINT)
    }

    /// `currentContext` of config.json (`None`: no file, or not set).
    pub fn current_context(&self) -> Result<Option<String>> {
        let file = self.config_dir.join("config.json");
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::invalid(format!("Cannot read {}: {e}", file.display()))),
        };
        if text.trim().is_empty() {
            return Ok(None);
        }
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(format!("{} is not valid JSON: {e}", file.display())))?;
        Ok(field(&v, "currentContext").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned))
    }

    /// The built-in `default` context: `-H` or `DOCKER_HOST` (with the environment's TLS
    /// settings), else the local socket.
    pub fn default_context(host_flag: Option<&str>, var: &dyn Fn(&str) -> Option<OsString>) -> Context {
        let host = host_flag
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .or_else(|| var("DOCKER_HOST").map(|v| v.to_string_lossy().trim().to_owned()).filter(|h| !h.is_empty()));
        let (host, endpoint) = match host {
            Some(h) => {
                let endpoint = Endpoint::parse_with(&h, || TlsFiles::from_vars(var));
                (h, endpoint)
            }
            None => (format!("unix://{DEFAULT_SOCKET}"), Ok(Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)))),
        };
        Context {
            name: DEFAULT_CONTEXT.into(),
            description: DEFAULT_DESCRIPTION.into(),
            host,
            skip_tls_verify: false,
            meta_file: None,
            endpoint,
        }
    }

    /// Every stored context, in the CLI's natural order; each meta.json that cannot be read as
    /// a context is an error of its own (naming the file), after the readable ones.
    pub fn list(&self) -> (Vec<Context>, Vec<Error>) {
        let mut files = Vec::new();
        collect_meta_files(&self.meta_root(), &mut files);
        let mut contexts = Vec::new();
        let mut broken = Vec::new();
        for file in files {
            match self.read_meta(&file) {
                Ok(c) => contexts.push(c),
                Err(e) => broken.push(e),
            }
        }
        contexts.sort_by(|a, b| natural_cmp(&a.name, &b.name));
        (contexts, broken)
    }

    /// A stored context by name (`default` is not stored: see `default_context`).
    pub fn get(&self, name: &str) -> Result<Context> {
        let file = self.meta_dir(name).join("meta.json");
        if !file.is_file() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("context {:?} does not exist (no {})", crate::text::neutralise(name), file.display()),
            ));
        }
        self.read_meta(&file)
    }

    fn read_meta(&self, file: &Path) -> Result<Context> {
        let bad = |why: String| Error::invalid(format!("The docker context file {} {why}", file.display()));
        let text = std::fs::read_to_string(file).map_err(|e| bad(format!("cannot be read: {e}")))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("is not valid JSON: {e}")))?;
        if !v.is_object() {
            return Err(bad("is not a JSON object".into()));
        }
        let name = match field(&v, "Name") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(bad("has a Name that is not a string".into())),
            None => return Err(bad("has no Name".into())),
        };
        validate_name(&name).map_err(|e| bad(format!("names the context badly: {}", e.message)))?;
        let description = field(&v, "Metadata")
            .and_then(|m| field(m, "Description"))
            .and_then(Value::as_str)
            .map(crate::text::neutralise)
            .unwrap_or_default();
        let docker = field(&v, "Endpoints").and_then(|e| field(e, DOCKER_ENDPOINT));
        let host = docker.and_then(|d| field(d, "Host")).and_then(Value::as_str).unwrap_or_default().to_owned();
        let skip_tls_verify = docker.and_then(|d| field(d, "SkipTLSVerify")).and_then(Value::as_bool).unwrap_or(false);
        let endpoint = match docker {
            None => Err(bad("has no docker endpoint (Endpoints.docker)".into())),
            Some(d) if !d.is_object() => Err(bad("has an Endpoints.docker that is not an object".into())),
            Some(_) => self
                .endpoint_of(&name, &host, skip_tls_verify)
                .map_err(|e| Error::new(e.kind, format!("Context {:?} ({}): {}", name, file.display(), e.message))),
        };
        Ok(Context {
            name: crate::text::neutralise(&name),
            description,
            host: crate::text::neutralise(&host),
            skip_tls_verify,
            meta_file: Some(file.to_owned()),
            endpoint,
        })
    }

    /// A stored context's endpoint, as the CLI's `docker/load.go` builds it: an empty host is the
    /// local socket; `tcp://` uses TLS when the context has TLS material or skips verification
    /// (the CA from `ca.pem` when present, else the system's roots; the client certificate
    /// when both `cert.pem` and `key.pem` are there); unix and ssh hosts take no TLS.
    fn endpoint_of(&self, name: &str, host: &str, skip_tls_verify: bool) -> Result<Endpoint> {
        if host.is_empty() {
            return Ok(Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)));
        }
        let dir = self.tls_dir(name);
        let existing = |f: &str| Some(dir.join(f)).filter(|p| p.is_file());
        let (ca, cert, key) = (existing("ca.pem"), existing("cert.pem"), existing("key.pem"));
        let has_tls = ca.is_some() || cert.is_some() || key.is_some();
        let files = (has_tls || skip_tls_verify).then_some(TlsFiles { ca, cert, key, verify: !skip_tls_verify });
        let endpoint = Endpoint::parse_with(host, || files.clone())?;
        if let Endpoint::Tls { files, .. } = &endpoint {
            if files.cert.is_some() != files.key.is_some() {
                let missing = if files.cert.is_none() { dir.join("cert.pem") } else { dir.join("key.pem") };
                return Err(Error::invalid(format!(
                    "the TLS client certificate needs its key and the other way round: {} is missing",
                    missing.display()
                )));
            }
            // Read the material now, so that an encrypted key or a junk CA shows in the list.
            crate::transport::client_config(files)?;
        }
        Ok(endpoint)
    }

    /// Writes a context as `docker context create NAME --description … --docker host=…[,ca=…,cert=…,key=…][,skip-tls-verify=true]`
    /// does. Everything is checked before anything is written; the TLS files are written first
    /// and meta.json last, so a failure leaves no half-made context behind.
    pub fn create(&self, new: &NewContext) -> Result<Context> {
        validate_name(&new.name)?;
        if self.meta_dir(&new.name).join("meta.json").exists() {
            return Err(Error::new(ErrorKind::Conflict, format!("context {:?} already exists", new.name)));
        }
        // The host must be one we can connect to; TLS material goes only with tcp://.
        let probe = Endpoint::parse_with(&new.host, || None)?;
        let tls = new.tls.clone().filter(|t| t.ca.is_some() || t.cert.is_some() || t.key.is_some());
        if tls.is_some() && !matches!(probe, Endpoint::Tcp(_)) {
            return Err(Error::invalid("CA, certificate and key files are for tcp:// engines only"));
        }
        let mut blobs = Vec::new();
        if let Some(t) = &tls {
            if t.cert.is_some() != t.key.is_some() {
                return Err(Error::invalid("a client certificate needs its key and the other way round"));
            }
            // The same checks as when connecting (readable, PEM, not encrypted).
            crate::transport::client_config(&TlsFiles {
                ca: t.ca.clone(),
                cert: t.cert.clone(),
                key: t.key.clone(),
                verify: !new.skip_tls_verify,
            })?;
            for (src, dst) in [(&t.ca, "ca.pem"), (&t.cert, "cert.pem"), (&t.key, "key.pem")] {
                if let Some(src) = src {
                    let data = std::fs::read(src)
                        .map_err(|e| Error::invalid(format!("Cannot read {}: {e}", src.display())))?;
                    blobs.push((dst, data));
                }
            }
        }
        // As the CLI writes it: `"Metadata":{}` when there is no description.
        let metadata = if new.description.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::json!({ "Description": new.description })
        };
        let meta = serde_json::json!({
            "Name": new.name,
            "Metadata": metadata,
            "Endpoints": { DOCKER_ENDPOINT: { "Host": new.host, "SkipTLSVerify": new.skip_tls_verify } },
        });
        let write = || -> std::io::Result<()> {
            if !blobs.is_empty() {
                let dir = self.tls_dir(&new.name);
                create_private_dir(&dir)?;
                for (file, data) in &blobs {
                    write_private(&dir.join(file), data)?;
                }
            }
            let dir = self.meta_dir(&new.name);
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("meta.json"), serde_json::to_vec(&meta).unwrap_or_default())
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_dir_all(self.tls_root(&new.name));
            let _ = std::fs::remove_dir_all(self.meta_dir(&new.name));
            return Err(Error::internal(format!(
                "Cannot write the context {:?} under {}: {e}",
                new.name,
                self.config_dir.display()
            )));
        }
        self.get(&new.name)
    }

    /// Removes a stored context (its meta.json and TLS material). The CLI's current context is
    /// refused: config.json would name a context that no longer exists.
    pub fn remove(&self, name: &str) -> Result<()> {
        if name == DEFAULT_CONTEXT {
            return Err(Error::invalid("the default context cannot be removed"));
        }
        self.get(name)?;
        if self.current_context().ok().flatten().as_deref() == Some(name) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "{name:?} is the docker CLI's current context ({}): run `docker context use default` first",
                    self.config_dir.join("config.json").display()
                ),
            ));
        }
        std::fs::remove_dir_all(self.tls_root(name))
            .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
            .and_then(|()| std::fs::remove_dir_all(self.meta_dir(name)))
            .map_err(|e| Error::internal(format!("Cannot remove the context {name:?}: {e}")))
    }

    /// The context chosen by the CLI's precedence, and its endpoint.
    pub fn resolve(
        &self,
        context_flag: Option<&str>,
        host_flag: Option<&str>,
        var: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<(Choice, Context)> {
        // config.json is read only when it decides (a broken one does not stop DOCKER_HOST).
        let decided = choose(context_flag, host_flag, var, None)?;
        let choice = if decided.by == ChosenBy::BuiltIn {
            choose(context_flag, host_flag, var, self.current_context()?.as_deref())?
        } else {
            decided
        };
        let context = if choice.name == DEFAULT_CONTEXT {
            ContextStore::default_context(host_flag, var)
        } else {
            self.get(&choice.name).map_err(|e| {
                if e.kind == ErrorKind::NotFound && choice.by == ChosenBy::ConfigFile {
                    Error::new(
                        ErrorKind::NotFound,
                        format!(
                            "current context {:?} is not found on the file system, please check your config file at {}",
                            choice.name,
                            self.config_dir.join("config.json").display()
                        ),
                    )
                } else {
                    e
                }
            })?
        };
        Ok((choice, context))
    }
}

/// A key of a JSON object as Go's encoding/json finds it: the exact name, else any case.
fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// Every `meta.json` below `dir` (the CLI walks the tree the same way).
fn collect_meta_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for d in dirs {
        let meta = d.join("meta.json");
        if meta.is_file() {
            out.push(meta);
        }
        collect_meta_files(&d, out);
    }
}

/// The order of `sortorder.NaturalLess`: runs of digits compare as numbers.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (n, m) = (run(x), run(y));
                let (p, q) = (&x[..n], &y[..m]);
                let (pt, qt) = (trim_zeros(p), trim_zeros(q));
                let ord = pt.len().cmp(&qt.len()).then_with(|| pt.cmp(qt)).then_with(|| n.cmp(&m));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[n..];
                y = &y[m..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| **c == b'0').count();
    &s[n.min(s.len().saturating_sub(1))..]
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

fn write_private(file: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(file)?;
    f.write_all(data)
}

/// Podman's API sockets on this machine: rootful `/run/podman/podman.sock`, rootless
/// `$XDG_RUNTIME_DIR/podman/podman.sock`; only those that exist.
pub fn podman_sockets(var: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("/run/podman/podman.sock")];
    if let Some(dir) = var("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        found.push(PathBuf::from(dir).join("podman").join("podman.sock"));
    }
    found.retain(|p| {
        std::fs::symlink_metadata(p).is_ok_and(|m| {
            use std::os::unix::fs::FileTypeExt;
            m.file_type().is_socket()
        })
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| OsString::from(v))
    }

    /// The CLI's `resolveContextName`, case by case.
    #[test]
    fn the_context_in_use_follows_the_cli_precedence() {
        use ChosenBy::*;
        /// --context, --host, the environment, config.json's currentContext → the name, and why.
        type Case<'a> =
            (Option<&'a str>, Option<&'a str>, &'a [(&'a str, &'a str)], Option<&'a str>, &'a str, ChosenBy);
        let cases: &[Case] = &[
            (None, None, &[], None, "default", BuiltIn),
            (None, None, &[], Some("cfg"), "cfg", ConfigFile),
            (None, None, &[("DOCKER_CONTEXT", "env")], Some("cfg"), "env", DockerContext),
            (
                None,
                None,
                &[("DOCKER_HOST", "tcp://h:1"), ("DOCKER_CONTEXT", "env")],
                Some("cfg"),
                "default",
                DockerHost,
            ),
            (None, Some("tcp://h:1"), &[("DOCKER_CONTEXT", "env")], Some("cfg"), "default", HostFlag),
            (
                Some("flag"),
                None,
                &[("DOCKER_HOST", "tcp://h:1"), ("DOCKER_CONTEXT", "env")],
                Some("cfg"),
                "flag",
                ContextFlag,
            ),
            // Empty values are unset, as Go's `!= ""`.
            (Some(""), Some(""), &[("DOCKER_HOST", ""), ("DOCKER_CONTEXT", "")], Some(""), "default", BuiltIn),
            (None, None, &[("DOCKER_HOST", ""), ("DOCKER_CONTEXT", "env")], None, "env", DockerContext),
            // `--context default` is the default context, chosen by the flag.
            (Some("default"), None, &[("DOCKER_CONTEXT", "env")], None, "default", ContextFlag),
        ];
        for (ctx, host, env, current, name, by) in cases {
            let got = choose(*ctx, *host, &vars(env), *current).unwrap();
            assert_eq!((got.name.as_str(), got.by), (*name, *by), "{ctx:?} {host:?} {env:?} {current:?}");
        }
        let e = choose(Some("a"), Some("tcp://h:1"), &vars(&[]), None).unwrap_err();
        assert!(e.message.contains("conflicting options"), "{}", e.message);
    }

    #[test]
    fn names_are_checked_as_the_cli_checks_them() {
        for ok in ["ab", "my-box", "a.b+c_d", "9lives"] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "default", "a", "-x", ".x", "a b", "a/b", "ä1"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["box10", "box2", "Box1", "box1", "a"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["Box1", "a", "box1", "box2", "box10"]);
    }

    #[test]
    fn a_broken_context_is_a_typed_error_naming_its_file_and_the_others_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path());
        let made = store
            .create(&NewContext {
                name: "box2".into(),
                description: "the home server".into(),
                host: "ssh://me@box:2222/run/user/1000/docker.sock".into(),
                tls: None,
                skip_tls_verify: false,
            })
            .unwrap();
        assert_eq!(made.meta_file.as_deref(), Some(store.meta_dir("box2").join("meta.json").as_path()));
        let Ok(Endpoint::Ssh(addr)) = &made.endpoint else { panic!("{:?}", made.endpoint) };
        assert_eq!((addr.user.as_deref(), addr.host.as_str(), addr.port), (Some("me"), "box", Some(2222)));
        assert_eq!(addr.socket.as_deref(), Some("/run/user/1000/docker.sock"));

        // Malformed JSON in another folder.
        let junk = store.meta_root().join("0000");
        std::fs::create_dir_all(&junk).unwrap();
        std::fs::write(junk.join("meta.json"), "{\"Name\": ").unwrap();
        // A TLS context whose certificate has no key, and one whose key is encrypted.
        for (name, files) in [("nokey", &["ca.pem", "cert.pem"][..]), ("locked", &["cert.pem", "key.pem"][..])] {
            let meta = store.meta_dir(name);
            std::fs::create_dir_all(&meta).unwrap();
            std::fs::write(
                meta.join("meta.json"),
                format!(r#"{{"name":"{name}","metadata":{{"description":"d"}},"endpoints":{{"docker":{{"host":"tcp://h:2376"}}}}}}"#),
            )
            .unwrap();
            let tls = store.tls_dir(name);
            std::fs::create_dir_all(&tls).unwrap();
            for f in files {
                let body = if *f == "key.pem" {
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
                } else {
                    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
                };
                std::fs::write(tls.join(f), body).unwrap();
            }
        }
        let (contexts, broken) = store.list();
        let names: Vec<&str> = contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["box2", "locked", "nokey"], "lower-case keys read as Go reads them");
        assert!(contexts[0].endpoint.is_ok());
        assert_eq!(contexts[0].description, "the home server");
        let nokey = contexts[2].endpoint.as_ref().unwrap_err();
        assert_eq!(nokey.kind, ErrorKind::InvalidArgument);
        assert!(nokey.message.contains("key.pem is missing"), "{}", nokey.message);
        let locked = contexts[1].endpoint.as_ref().unwrap_err();
        assert!(locked.message.contains("key.pem") && locked.message.contains("encrypted"), "{}", locked.message);
        assert_eq!(broken.len(), 1);
        assert!(
            broken[0].message.contains("0000") && broken[0].message.contains("not valid JSON"),
            "{}",
            broken[0].message
        );
    }

    #[test]
    fn resolving_reads_config_json_only_when_it_decides() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path());
        std::fs::write(dir.path().join("config.json"), "{ not json").unwrap();
        let (choice, ctx) = store.resolve(None, None, &vars(&[("DOCKER_HOST", "unix:///x.sock")])).unwrap();
        assert_eq!((choice.by, ctx.host.as_str()), (ChosenBy::DockerHost, "unix:///x.sock"));
        assert_eq!(ctx.endpoint, Ok(Endpoint::Unix("/x.sock".into())));
        let e = store.resolve(None, None, &vars(&[])).unwrap_err();
        assert!(e.message.contains("config.json") && e.message.contains("not valid JSON"), "{}", e.message);

        std::fs::write(dir.path().join("config.json"), r#"{"currentContext":"gone"}"#).unwrap();
        let e = store.resolve(None, None, &vars(&[])).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.message.contains("current context \"gone\" is not found"), "{}", e.message);
        let e = store.resolve(None, None, &vars(&[("DOCKER_CONTEXT", "nope")])).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        let (choice, ctx) = store.resolve(Some("default"), None, &vars(&[])).unwrap();
        assert_eq!(choice.by, ChosenBy::ContextFlag);
        assert_eq!(ctx.endpoint, Ok(Endpoint::Unix(DEFAULT_SOCKET.into())));
    }

    #[test]
    fn creating_checks_everything_first_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path());
        let new = |name: &str, host: &str, tls: Option<TlsInput>| NewContext {
            name: name.into(),
            description: String::new(),
            host: host.into(),
            tls,
            skip_tls_verify: false,
        };
        assert!(store.create(&new("default", "unix:///x", None)).is_err());
        assert!(store.create(&new("ok1", "ftp://x", None)).is_err());
        let missing = TlsInput { ca: Some(dir.path().join("nope.pem")), cert: None, key: None };
        let e = store.create(&new("tls1", "tcp://h:2376", Some(missing))).unwrap_err();
        assert!(e.message.contains("nope.pem"), "{}", e.message);
        let e = store.create(&new(
            "tls2",
            "ssh://h",
            Some(TlsInput { ca: Some("/etc/hostname".into()), ..Default::default() }),
        ));
        assert!(e.is_err());
        assert!(!dir.path().join("contexts").exists(), "nothing was written");
        store.create(&new("ok1", "unix:///run/x.sock", None)).unwrap();
        assert_eq!(store.create(&new("ok1", "unix:///run/x.sock", None)).unwrap_err().kind, ErrorKind::Conflict);
        store.remove("ok1").unwrap();
        assert_eq!(store.get("ok1").unwrap_err().kind, ErrorKind::NotFound);
        assert!(!store.meta_dir("ok1").exists());
    }
}
