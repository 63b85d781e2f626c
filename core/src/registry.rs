//! Registry credentials found the way the docker CLI finds them (cli/config/configfile):
//! `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`; for a registry, its entry in
//! `credHelpers` names a helper, else `credsStore` names one for every registry, else the inline
//! `auths` entry is read. A helper is the program `docker-credential-<name>` on PATH, run as
//! `docker-credential-<name> get` with the server address on its standard input (an argument
//! vector, never a shell). Docker Hub is the key `https://index.docker.io/v1/`, whether the
//! reference says nothing, `docker.io/…` or `index.docker.io/…`.
//!
//! Credentials go to the engine in the X-Registry-Auth header and are never logged or shown —
//! and never to an engine reached over plain `tcp://` on a non-loopback address, where anyone
//! on the path could read them.

use crate::engine::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use base64::Engine as _;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The key config.json uses for Docker Hub.
pub const DOCKER_HUB: &str = "https://index.docker.io/v1/";

/// A helper that does not answer within this long is stopped (one waiting for a keychain
/// prompt nobody sees would hold a pull forever).
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// What `docker login` stored for one registry. `Debug` does not show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    /// The password, or empty when an identity token is used instead.
    pub password: String,
    /// An OAuth identity token (a helper's `<token>` user, or `identitytoken` in auths).
    pub identity_token: String,
    /// The registry's key, as config.json and the engine know it.
    pub server_address: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("server_address", &self.server_address)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The X-Registry-Auth header's value: base64url of the engine's AuthConfig JSON.
    pub fn header(&self) -> String {
        let mut json = serde_json::json!({ "serveraddress": self.server_address });
        if !self.identity_token.is_empty() {
            json["identitytoken"] = self.identity_token.clone().into();
        } else {
            json["username"] = self.username.clone().into();
            json["password"] = self.password.clone().into();
        }
        base64::engine::general_purpose::URL_SAFE.encode(json.to_string())
    }
}

/// The header for "no credentials".
pub fn anonymous_header() -> String {
    base64::engine::general_purpose::URL_SAFE.encode("{}")
}

/// The registry a reference lives in, as config.json keys it (docker/distribution's rule: the
/// first component is a host when it has a dot or a colon, is `localhost`, or has capitals).
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            match first {
                "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_owned(),
                _ => first.to_owned(),
            }
        }
        _ => DOCKER_HUB.to_owned(),
    }
}

/// A config.json key or a server address reduced to its host (the CLI's ConvertToHostname).
fn hostname(key: &str) -> &str {
    let k = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

/// The docker CLI's config folder: `$DOCKER_CONFIG`, else `~/.docker`.
fn docker_config_dir() -> Option<PathBuf> {
    docker_config_dir_in(|k| std::env::var_os(k))
}

/// The same, with the environment given (`var` answers a variable's value).
pub(crate) fn docker_config_dir_in(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    var("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".docker")))
}

/// Where credentials come from: the docker config folder and the PATH helpers are looked up on.
#[derive(Debug, Clone)]
pub struct CredentialSource {
    pub config_dir: Option<PathBuf>,
    pub path: Option<OsString>,
}

impl CredentialSource {
    /// `$DOCKER_CONFIG`, else `~/.docker`; this process's PATH.
    pub fn from_env() -> CredentialSource {
        CredentialSource { config_dir: docker_config_dir(), path: std::env::var_os("PATH") }
    }

    /// The credentials for `registry` (a key from `registry_of`), if the user logged in to it.
    /// An unreadable config or a failing helper is an error; callers may go on without
    /// credentials, as the docker CLI does for a pull.
    pub async fn get(&self, registry: &str) -> Result<Option<Credentials>> {
        let Some(dir) = &self.config_dir else { return Ok(None) };
        let file = dir.join("config.json");
        let text = match tokio::fs::read_to_string(&file).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::internal(format!("Cannot read {}: {e}", file.display()))),
        };
        let config: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(format!("{} is not valid JSON: {e}", file.display())))?;
        let host = hostname(registry);
        let helper = config
            .get("credHelpers")
            .and_then(|h| h.as_object())
            .and_then(|h| h.iter().find(|(k, _)| hostname(k) == host))
            .and_then(|(_, v)| v.as_str())
            .or_else(|| config.get("credsStore").and_then(|s| s.as_str()))
            .filter(|s| !s.is_empty());
        match helper {
            Some(name) => self.ask_helper(name, registry).await,
            None => from_auths(&config, registry),
        }
    }

    /// Runs `docker-credential-<name> get` with the server address on stdin.
    async fn ask_helper(&self, name: &str, registry: &str) -> Result<Option<Credentials>> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(Error::invalid(format!("The credential helper name {name:?} is not a program name.")));
        }
        let program = format!("docker-credential-{name}");
        let exe = self.path.as_ref().and_then(|p| on_path(p, &program)).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("The credential helper {program} (named in the docker config) is not on PATH."),
            )
        })?;
        let mut child = tokio::process::Command::new(&exe)
            .arg("get")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::internal(format!("Cannot run {program}: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt;
            let _ = stdin.write_all(registry.as_bytes()).await;
        }
        let out = tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| {
                Error::new(ErrorKind::Internal, format!("{program} did not answer within {HELPER_TIMEOUT:?}."))
            })?
            .map_err(|e| Error::internal(format!("{program} failed: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            // docker-credential-helpers' "not found" answer: no credentials, not an error.
            if stdout.contains("credentials not found") {
                return Ok(None);
            }
            let said = crate::text::neutralise(stdout.trim());
            return Err(Error::internal(format!("{program} get failed ({}): {said}", out.status)));
        }
        let v: serde_json::Value = serde_json::from_str(stdout.trim())
            .map_err(|_| Error::internal(format!("{program} get did not answer with credentials JSON.")))?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
        let (user, secret) = (field("Username"), field("Secret"));
        if user.is_empty() && secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(if user == "<token>" {
            Credentials {
                username: String::new(),
                password: String::new(),
                identity_token: secret,
                server_address: registry.to_owned(),
            }
        } else {
            Credentials {
                username: user,
                password: secret,
                identity_token: String::new(),
                server_address: registry.to_owned(),
            }
        }))
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The first executable `program` in the folders of a PATH value (host programs are started
/// by their full path, never through a shell).
pub(crate) fn on_path(path: &std::ffi::OsStr, program: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(path).map(|d| d.join(program)).find(|c| is_executable(c))
}

/// The inline `auths` entry for `registry`: the exact key first, then any key with the same host.
fn from_auths(config: &serde_json::Value, registry: &str) -> Result<Option<Credentials>> {
    let Some(auths) = config.get("auths").and_then(|a| a.as_object()) else { return Ok(None) };
    let host = hostname(registry);
    let Some(entry) = auths.get(registry).or_else(|| auths.iter().find(|(k, _)| hostname(k) == host).map(|(_, v)| v))
    else {
        return Ok(None);
    };
    let field = |k: &str| entry.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
    let (mut username, mut password) = (field("username"), field("password"));
    let auth = field("auth");
    if !auth.is_empty() {
        let bad = || Error::invalid(format!("The docker config's entry for {registry} has an unreadable auth field."));
        let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (u, p) = decoded.split_once(':').ok_or_else(bad)?;
        (username, password) = (u.to_owned(), p.to_owned());
    }
    let identity_token = field("identitytoken");
    if username.is_empty() && password.is_empty() && identity_token.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials { username, password, identity_token, server_address: registry.to_owned() }))
}

/// Whether credentials may be sent to this engine: not over plain TCP to another host, and not
/// over TLS whose server certificate is not verified (anyone in between could read them).
pub fn may_send_credentials(endpoint: &Endpoint) -> bool {
    match endpoint {
        Endpoint::Unix(_) => true,
        Endpoint::Tcp(hostport) => is_loopback(hostport),
        Endpoint::Tls { addr, files } => files.verify || is_loopback(addr),
        // ssh checked the host's key against known_hosts and encrypts the session.
        Endpoint::Ssh(_) => true,
    }
}

pub(crate) fn is_loopback(hostport: &str) -> bool {
    let host = match hostport.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => hostport,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The credentials to send to `endpoint` for `reference`, and what to tell the user when
/// there are some that are not sent (or could not be read).
pub async fn for_engine(
    source: &CredentialSource,
    endpoint: &Endpoint,
    reference: &str,
) -> (Option<Credentials>, Option<String>) {
    let registry = registry_of(reference);
    match source.get(&registry).await {
        Ok(Some(_)) if !may_send_credentials(endpoint) => (
            None,
            Some(format!(
                "Your credentials for {registry} are not sent: the engine is reached over unencrypted TCP ({endpoint}). Going on without them."
            )),
        ),
        Ok(c) => (c, None),
        Err(e) => (None, Some(format!("Going on without credentials for {registry}: {}", e.message))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_registry_as_the_cli_keys_it() {
        assert_eq!(registry_of("127.0.0.1:5000/app:1"), "127.0.0.1:5000");
        assert_eq!(registry_of("localhost/app"), "localhost");
        assert_eq!(registry_of("ghcr.io/me/app"), "ghcr.io");
        for hub in ["busybox", "library/busybox", "docker.io/library/busybox", "index.docker.io/me/app", "me/app:1"] {
            assert_eq!(registry_of(hub), DOCKER_HUB, "{hub}");
        }
        assert_eq!(hostname("https://index.docker.io/v1/"), "index.docker.io");
        assert_eq!(hostname("http://127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn reads_inline_auths() {
        let cfg: serde_json::Value = serde_json::from_str(
            r#"{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"},"https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="},"https://ghcr.io":{"identitytoken":"tok"}}}"#,
        )
        .unwrap();
        let c = from_auths(&cfg, "127.0.0.1:5000").unwrap().unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("user", "pass"));
        assert_eq!(from_auths(&cfg, DOCKER_HUB).unwrap().unwrap().username, "hub");
        assert_eq!(from_auths(&cfg, "ghcr.io").unwrap().unwrap().identity_token, "tok");
        assert!(from_auths(&cfg, "other:5000").unwrap().is_none());
        let broken: serde_json::Value = serde_json::from_str(r#"{"auths":{"x":{"auth":"%%%"}}}"#).unwrap();
        assert_eq!(from_auths(&broken, "x").unwrap_err().kind, ErrorKind::InvalidArgument);
    }

    #[test]
    fn never_over_plain_tcp_to_another_host() {
        assert!(may_send_credentials(&Endpoint::Unix("/run/docker.sock".into())));
        for ok in ["127.0.0.1:2375", "localhost:2375", "[::1]:2375", "127.0.0.2:1"] {
            assert!(may_send_credentials(&Endpoint::Tcp(ok.into())), "{ok}");
        }
        for no in ["10.0.0.1:2375", "docker.example.com:2375", "[2001:db8::1]:2375", "localhost.evil.com:2375"] {
            assert!(!may_send_credentials(&Endpoint::Tcp(no.into())), "{no}");
        }
        let tls = |addr: &str, verify| Endpoint::Tls {
            addr: addr.into(),
            files: crate::engine::TlsFiles { ca: None, cert: None, key: None, verify },
        };
        assert!(may_send_credentials(&tls("10.0.0.1:2376", true)), "verified TLS");
        assert!(!may_send_credentials(&tls("10.0.0.1:2376", false)), "TLS without verification");
        assert!(may_send_credentials(&tls("127.0.0.1:2376", false)));
    }

    #[test]
    fn the_header_carries_the_credentials_and_debug_hides_them() {
        let c = Credentials {
            username: "u".into(),
            password: "hunter2".into(),
            identity_token: String::new(),
            server_address: "r:5000".into(),
        };
        let json = base64::engine::general_purpose::URL_SAFE.decode(c.header()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v, serde_json::json!({"username": "u", "password": "hunter2", "serveraddress": "r:5000"}));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
