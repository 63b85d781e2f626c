//! A unix-socket proxy in front of the real engine: stopping it looks, to a client, exactly
//! like the engine going away (the socket disappears, open streams are cut), and starting it
//! again like the engine coming back — without disturbing the engine the other tests use.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

pub struct SocketProxy {
    path: PathBuf,
    target: PathBuf,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl SocketProxy {
    /// Listens on `path` and forwards every connection to the engine socket `target`.
    pub fn start(path: &Path, target: &Path) -> SocketProxy {
        let mut p = SocketProxy { path: path.to_owned(), target: target.to_owned(), tasks: Arc::default() };
        p.resume();
        p
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The engine "comes back".
    pub fn resume(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path).expect("bind proxy socket");
        let target = self.target.clone();
        let tasks = Arc::clone(&self.tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut upstream) = UnixStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
                tasks.lock().expect("lock").push(conn);
            }
        });
        self.tasks.lock().expect("lock").push(accept);
    }

    /// The engine "goes away": no socket, every open connection cut.
    pub fn stop(&mut self) {
        for t in self.tasks.lock().expect("lock").drain(..) {
            t.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for SocketProxy {
    fn drop(&mut self) {
        self.stop();
    }
}
