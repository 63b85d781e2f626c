//! The real engine behind TLS: a test-made PKI (a CA, a server certificate for 127.0.0.1 and
//! localhost, a client certificate) and a TLS-terminating proxy on 127.0.0.1 that demands the
//! client certificate and forwards each connection to the engine's unix socket — so remote-engine
//! code paths run against the real engine without a second dockerd.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A CA and the certificates it signed, as PEM text.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

impl Pki {
    pub fn new() -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "bulkhead test CA");
        ca.distinguished_name = dn;
        let ca_cert = ca.self_signed(&ca_key).expect("CA");
        let issuer = Issuer::from_params(&ca, &ca_key);
        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params")
            .signed_by(&server_key, &issuer)
            .expect("server certificate");
        let client_key = KeyPair::generate().expect("client key");
        let client = CertificateParams::new(vec!["client".to_owned()])
            .expect("client params")
            .signed_by(&client_key, &issuer)
            .expect("client certificate");
        Pki {
            ca_pem: ca_cert.pem(),
            server_cert_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_cert_pem: client.pem(),
            client_key_pem: client_key.serialize_pem(),
        }
    }

    /// The client's files in a folder, as `DOCKER_CERT_PATH` holds them (ca.pem, cert.pem, key.pem).
    pub fn cert_path(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ca.pem"), &self.ca_pem).expect("ca.pem");
        std::fs::write(dir.path().join("cert.pem"), &self.client_cert_pem).expect("cert.pem");
        std::fs::write(dir.path().join("key.pem"), &self.client_key_pem).expect("key.pem");
        dir
    }

    /// The files of `cert_path`, verified or not.
    pub fn files(dir: &Path, verify: bool) -> bulkhead_core::TlsFiles {
        bulkhead_core::TlsFiles {
            ca: Some(dir.join("ca.pem")),
            cert: Some(dir.join("cert.pem")),
            key: Some(dir.join("key.pem")),
            verify,
        }
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

/// TLS on 127.0.0.1 in front of a unix socket; stops when dropped.
pub struct TlsProxy {
    pub addr: String,
    /// Connections that completed the TLS handshake.
    pub accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsProxy {
    pub async fn start(pki: &Pki, target: PathBuf) -> TlsProxy {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(pki.ca_pem.as_bytes()).expect("CA pem")).expect("CA");
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .expect("client verifier");
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(pki.server_cert_pem.as_bytes()).expect("server pem")],
                PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes()).expect("server key pem"),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let (acceptor, target, count) = (acceptor.clone(), target.clone(), Arc::clone(&count));
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(s).await else { return };
                    count.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut upstream) = tokio::net::UnixStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                    }
                });
            }
        });
        TlsProxy { addr, accepted, task }
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
