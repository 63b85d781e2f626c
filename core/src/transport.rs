//! The one transport every request to an engine goes through: hyper's HTTP/1.1 client over a
//! unix socket, plain TCP or TLS (rustls), with pooled connections and HTTP upgrades for exec
//! and attach. bollard's calls are routed through it too (`Docker::connect_with_custom_transport`),
//! so TLS — and any carrier added later — applies to every call, not only to ours.
//!
//! A hostile endpoint is bounded here: a response head is at most `MAX_READ_BUF` bytes (hyper
//! refuses longer ones), a chunk-size line that overflows is refused by hyper, whole bodies are
//! read with a limit (`http::get`) and a head must arrive within the timeout.
//!
//! The log fast path (`http::get_stream`) reads a raw connection from the same connector: see
//! the comment there and `make bench` (`logs-50mb-body-fast-path-cpu`).

use crate::engine::{Endpoint, TlsFiles};
use crate::error::{Error, ErrorKind, Result};
use bytes::Bytes;
use futures_util::Stream as FutStream;
use http_body_util::{Either, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// hyper's read buffer: a response head (status line and headers) longer than this is refused.
const MAX_READ_BUF: usize = 256 * 1024;
/// How long an idle pooled connection is kept.
const IDLE: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request body: whole, or streamed (bollard's own body type, so its calls share the client).
pub(crate) type ReqBody =
    Either<Full<Bytes>, StreamBody<Pin<Box<dyn FutStream<Item = io::Result<Frame<Bytes>>> + Send>>>>;

/// One connection to the engine, whatever carries it.
pub(crate) enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Ssh(Box<crate::ssh::SshStream>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Ssh(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Ssh(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
            Stream::Ssh(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Unix(s) => s.is_write_vectored(),
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
            Stream::Ssh(s) => s.is_write_vectored(),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Ssh(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Ssh(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// What a connection is opened to.
enum Target {
    Unix(PathBuf),
    Tcp(String),
    Tls { addr: String, name: rustls::pki_types::ServerName<'static>, config: Arc<rustls::ClientConfig> },
    Ssh(crate::engine::SshAddr),
}

/// Opens connections to one endpoint; hyper's pool calls it, and so does the log fast path.
#[derive(Clone)]
pub(crate) struct Connector(Arc<Target>);

impl Connector {
    fn new(endpoint: &Endpoint) -> Result<Connector> {
        Ok(Connector(Arc::new(match endpoint {
            Endpoint::Unix(p) => Target::Unix(p.clone()),
            Endpoint::Tcp(h) => Target::Tcp(h.clone()),
            Endpoint::Tls { addr, files } => {
                let host = host_of(addr);
                let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                    .map_err(|_| Error::invalid(format!("{host:?} is not a host name or address TLS can verify")))?;
                Target::Tls { addr: addr.clone(), name, config: Arc::new(client_config(files)?) }
            }
            Endpoint::Ssh(addr) => Target::Ssh(addr.clone()),
        })))
    }

    pub(crate) async fn connect(&self) -> io::Result<Stream> {
        let open = async {
            Ok(match &*self.0 {
                Target::Unix(p) => Stream::Unix(UnixStream::connect(p).await?),
                Target::Tcp(h) => {
                    let s = TcpStream::connect(h).await?;
                    s.set_nodelay(true)?;
                    Stream::Tcp(s)
                }
                Target::Tls { addr, name, config } => {
                    let s = TcpStream::connect(addr).await?;
                    s.set_nodelay(true)?;
                    let tls = tokio_rustls::TlsConnector::from(Arc::clone(config)).connect(name.clone(), s).await?;
                    Stream::Tls(Box::new(tls))
                }
                Target::Ssh(addr) => Stream::Ssh(Box::new(crate::ssh::connect(addr)?)),
            })
        };
        tokio::time::timeout(CONNECT_TIMEOUT, open).await.map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
    }
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<Stream>>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The URI's authority only keys the pool: every connection goes to this endpoint.
    fn call(&mut self, _uri: http::Uri) -> Self::Future {
        let me = self.clone();
        Box::pin(async move { me.connect().await.map(TokioIo::new) })
    }
}

/// `host` of `host:port` or `[v6]:port`.
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The client side of TLS as the docker CLI sets it up (go-connections' `tlsconfig.Client`):
/// the CA file when verifying (else the system's roots), the client certificate and key when
/// both are given, TLS 1.2 or newer. Each unreadable file is a typed error that names it.
pub(crate) fn client_config(files: &TlsFiles) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS set-up: {e}")))?;
    let builder = if files.verify {
        let mut roots = rustls::RootCertStore::empty();
        match &files.ca {
            Some(ca) => {
                let certs = read_pem(ca, "CA certificate", |b| {
                    CertificateDer::pem_slice_iter(b).collect::<std::result::Result<Vec<_>, _>>()
                })?;
                if certs.is_empty() {
                    return Err(tls_file_error(ca, "CA certificate", "it holds no certificate"));
                }
                for c in certs {
                    roots.add(c).map_err(|e| tls_file_error(ca, "CA certificate", e))?;
                }
            }
            None => {
                for c in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(c);
                }
            }
        }
        builder.with_root_certificates(roots)
    } else {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    };
    match (&files.cert, &files.key) {
        (Some(cert), Some(key)) => {
            let chain = read_pem(cert, "client certificate", |b| {
                CertificateDer::pem_slice_iter(b).collect::<std::result::Result<Vec<_>, _>>()
            })?;
            if chain.is_empty() {
                return Err(tls_file_error(cert, "client certificate", "it holds no certificate"));
            }
            let text = read_file(key, "client key")?;
            if text.windows(9).any(|w| w == b"ENCRYPTED") {
                return Err(tls_file_error(
                    key,
                    "client key",
                    "it is encrypted with a passphrase, which the docker CLI does not support either; decrypt it (openssl pkey -in key.pem -out key.pem)",
                ));
            }
            let key_der = PrivateKeyDer::from_pem_slice(&text).map_err(|e| tls_file_error(key, "client key", e))?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| tls_file_error(key, "client key", e))
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(f), None) | (None, Some(f)) => {
            Err(tls_file_error(f, "client certificate", "a client certificate needs its key and the other way round"))
        }
    }
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| tls_file_error(path, what, e))
}

fn read_pem<T, E: std::fmt::Display>(
    path: &Path,
    what: &str,
    parse: impl FnOnce(&[u8]) -> std::result::Result<T, E>,
) -> Result<T> {
    parse(&read_file(path, what)?).map_err(|e| tls_file_error(path, what, e))
}

fn tls_file_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("The TLS {what} {} cannot be used: {e}", path.display()))
}

/// `SkipTLSVerify` / `--tls` without `--tlsverify`: any server certificate is accepted (the
/// connection is still encrypted, and its signatures still checked); the UI shows a warning.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A pooled HTTP/1.1 client for one endpoint. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    connector: Connector,
    client: Client<Connector, ReqBody>,
    label: Arc<str>,
}

impl Transport {
    pub(crate) fn new(endpoint: &Endpoint) -> Result<Transport> {
        let connector = Connector::new(endpoint)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(IDLE)
            .pool_timer(hyper_util::rt::TokioTimer::new())
            .http1_max_buf_size(MAX_READ_BUF)
            .build(connector.clone());
        Ok(Transport { connector, client, label: endpoint.to_string().into() })
    }

    /// The endpoint, as error messages name it.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// The URI of a request: the authority only keys the pool (the connector knows where to go).
    pub(crate) fn uri(path_and_query: &str) -> Result<http::Uri> {
        format!("http://docker{path_and_query}")
            .parse()
            .map_err(|_| Error::invalid(format!("{path_and_query:?} is not a valid request path")))
    }

    /// Sends a request on a pooled connection (bollard's calls come here too).
    pub(crate) async fn send(
        &self,
        req: http::Request<ReqBody>,
    ) -> std::result::Result<http::Response<Incoming>, hyper_util::client::legacy::Error> {
        self.client.request(req).await
    }

    /// A connection of its own (the log fast path reads it with its own HTTP reader).
    pub(crate) async fn connect_raw(&self) -> Result<Stream> {
        self.connector.connect().await.map_err(|e| self.connect_error(&e))
    }

    /// Classifies a failure to open a connection (TLS failures are named as such).
    pub(crate) fn connect_error(&self, e: &io::Error) -> Error {
        Error::from_connect_io(&self.label, e)
    }

    /// Maps a hyper client error: connection failures by their cause, a response hyper could not
    /// parse as malformed, a connection that broke mid-response as such.
    pub(crate) fn error(&self, e: &hyper_util::client::legacy::Error) -> Error {
        if e.is_connect() {
            if let Some(io) = crate::error::io_cause(e) {
                return self.connect_error(io);
            }
        }
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = cur {
            if let Some(h) = err.downcast_ref::<hyper::Error>() {
                return self.hyper_error(h);
            }
            cur = err.source();
        }
        match crate::error::io_cause(e) {
            Some(io) => self.connect_error(io),
            None => Error::new(ErrorKind::Engine, format!("The request to {} failed: {e}", self.label)),
        }
    }

    /// Maps an error hyper raised while reading a response or its body.
    pub(crate) fn hyper_error(&self, e: &hyper::Error) -> Error {
        if e.is_parse() || e.is_parse_too_large() || e.is_parse_status() {
            return Error::new(
                ErrorKind::Engine,
                format!("{} sent a malformed HTTP response ({e}{}).", self.label, cause_text(e)),
            );
        }
        if e.is_timeout() {
            return Error::from_connect_io(&self.label, &io::ErrorKind::TimedOut.into());
        }
        // hyper's body decoder reports a bad chunk (size overflow, bad extension) as invalid data.
        if crate::error::io_cause(e).is_some_and(|io| {
            matches!(io.kind(), io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput) && io.get_ref().is_some()
        }) {
            return Error::new(
                ErrorKind::Engine,
                format!("{} sent a malformed HTTP response ({e}{}).", self.label, cause_text(e)),
            );
        }
        Error::new(ErrorKind::EngineNotRunning, format!("The connection to {} broke: {e}{}", self.label, cause_text(e)))
    }
}

fn cause_text(e: &(dyn std::error::Error + 'static)) -> String {
    e.source().map_or_else(String::new, |s| format!(": {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_addresses() {
        assert_eq!(host_of("10.0.0.1:2376"), "10.0.0.1");
        assert_eq!(host_of("[::1]:2376"), "::1");
        assert_eq!(host_of("engine.example:2376"), "engine.example");
    }

    #[test]
    fn unreadable_tls_files_are_typed_errors_that_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("ca.pem");
        let files = TlsFiles { ca: Some(missing.clone()), cert: None, key: None, verify: true };
        let e = client_config(&files).err().unwrap();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(e.message.contains(&missing.display().to_string()), "{}", e.message);

        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let files = TlsFiles { ca: Some(junk.clone()), cert: None, key: None, verify: true };
        let e = client_config(&files).err().unwrap();
        assert!(e.message.contains("junk.pem") && e.message.contains("no certificate"), "{}", e.message);

        let key = dir.path().join("key.pem");
        std::fs::write(&key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
            .unwrap();
        let cert = dir.path().join("cert.pem");
        // Only the PEM framing is read before the key is looked at.
        std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let files = TlsFiles { ca: None, cert: Some(cert), key: Some(key), verify: false };
        let e = client_config(&files).err().unwrap();
        assert!(e.message.contains("key.pem") && e.message.contains("encrypted"), "{}", e.message);
    }
}
