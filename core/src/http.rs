//! A lean GET for the hot list calls. bollard parses every list row into its full model
//! (labels, mounts, network settings …) before we map it; for 1,000 containers that alone
//! costs ~10 % on top of the engine's own time. Here the body is read once and parsed straight
//! into borrowed rows with only the fields the lists show (`make bench` measures it against a
//! raw GET on the same socket). Everything else goes through bollard.

use crate::engine::{ApiVersion, Endpoint};
use crate::error::{Error, Result};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

/// A streaming response body: chunks as they arrive.
pub(crate) type BodyStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes>> + Send>>;

/// `GET /v{api}{path_and_query}`, answering with the body as a stream of chunks once the
/// headers say success (no timeout after that: a followed log may be quiet for hours).
pub(crate) async fn get_stream(endpoint: &Endpoint, api: ApiVersion, path_and_query: &str) -> Result<BodyStream> {
    use futures_util::StreamExt;
    let label = endpoint.to_string();
    let uri = format!("/v{api}{path_and_query}");
    let resp = tokio::time::timeout(TIMEOUT, async {
        match endpoint {
            Endpoint::Unix(p) => {
                let s = tokio::net::UnixStream::connect(p).await.map_err(|e| Error::from_connect_io(&label, &e))?;
                send(s, &uri, "docker").await
            }
            Endpoint::Tcp(h) => {
                let s = tokio::net::TcpStream::connect(h).await.map_err(|e| Error::from_connect_io(&label, &e))?;
                send(s, &uri, h).await
            }
        }
    })
    .await
    .map_err(|_| Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into()))??;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        return Err(server_error(status, &body));
    }
    let broken = move |e: hyper::Error| {
        Error::new(crate::ErrorKind::EngineNotRunning, format!("The stream from {label} broke: {e}"))
    };
    Ok(resp.into_body().into_data_stream().map(move |r| r.map_err(&broken)).boxed())
}

fn server_error(status: hyper::StatusCode, body: &[u8]) -> Error {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    Error::from(bollard::errors::Error::DockerResponseServerError { status_code: status.as_u16(), message })
}

/// `GET /v{api}{path_and_query}` on a fresh connection; the whole body, or a typed error.
pub(crate) async fn get(endpoint: &Endpoint, api: ApiVersion, path_and_query: &str) -> Result<Bytes> {
    let label = endpoint.to_string();
    let uri = format!("/v{api}{path_and_query}");
    let fut = async {
        let resp = match endpoint {
            Endpoint::Unix(p) => {
                let s = tokio::net::UnixStream::connect(p).await.map_err(|e| Error::from_connect_io(&label, &e))?;
                send(s, &uri, "docker").await?
            }
            Endpoint::Tcp(h) => {
                let s = tokio::net::TcpStream::connect(h).await.map_err(|e| Error::from_connect_io(&label, &e))?;
                send(s, &uri, h).await?
            }
        };
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::new(crate::ErrorKind::EngineNotRunning, format!("Reading from {label} failed: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(server_error(status, &body));
        }
        Ok(body)
    };
    match tokio::time::timeout(TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(Error::from_connect_io(&label, &std::io::ErrorKind::TimedOut.into())),
    }
}

async fn send<S>(stream: S, uri: &str, host: &str) -> Result<hyper::Response<hyper::body::Incoming>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let broken =
        |e: hyper::Error| Error::new(crate::ErrorKind::EngineNotRunning, format!("The engine connection broke: {e}"));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(broken)?;
    tokio::spawn(conn);
    let req = hyper::Request::get(uri)
        .header(hyper::header::HOST, host)
        .body(Empty::<Bytes>::new())
        .map_err(|e| Error::internal(format!("bad request {uri}: {e}")))?;
    sender.send_request(req).await.map_err(broken)
}
