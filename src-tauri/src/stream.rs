//! The one helper that pumps a core stream into a Channel. It stops when the stream ends or
//! when `send` fails (the webview is gone).

use futures_util::{Stream, StreamExt};
use serde::Serialize;
use tauri::ipc::{Channel, IpcResponse};

pub fn pump<T>(
    stream: impl Stream<Item = T> + Send + 'static,
    channel: Channel<T>,
) -> tauri::async_runtime::JoinHandle<()>
where
    T: Serialize + Clone + Send + 'static,
    T: IpcResponse,
{
    tauri::async_runtime::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            if channel.send(item).is_err() {
                break;
            }
        }
    })
}
