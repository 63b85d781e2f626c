use crate::sessions::{self, Input};
use crate::state::AppState;
use bulkhead_core::exec::ExecRequest;
use bulkhead_core::model::{ExecEvent, ExecOpened};
use bulkhead_core::{ContainerRef, Error};
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::State;

fn no_session(id: u32) -> Error {
    Error::new(bulkhead_core::ErrorKind::NotFound, format!("Terminal session {id} has ended."))
}

/// Opens a terminal: output bytes go raw to `on_data`, the exit to `on_event`.
#[tauri::command]
pub async fn exec_open(
    state: State<'_, AppState>,
    container: String,
    request: ExecRequest,
    on_data: Channel<InvokeResponseBody>,
    on_event: Channel<ExecEvent>,
) -> Result<ExecOpened, Error> {
    let c = ContainerRef::parse(&container)?;
    let engine = state.watcher().engine()?;
    let session = if request.attach {
        engine.attach(&c, request.cols, request.rows).await?
    } else {
        engine.exec(&c, &request).await?
    };
    let command = session.command.clone();
    let handle = sessions::start(engine, session, on_data, on_event);
    Ok(ExecOpened { session: state.add_session(handle), command })
}

/// Keystrokes, in order.
#[tauri::command]
pub async fn exec_input(state: State<'_, AppState>, session: u32, data: String) -> Result<(), Error> {
    let tx = state.with_session(session, |s| s.input.clone()).ok_or_else(|| no_session(session))?;
    tx.send(Input::Data(data.into_bytes())).await.map_err(|_| no_session(session))
}

#[tauri::command]
pub async fn exec_resize(state: State<'_, AppState>, session: u32, cols: u16, rows: u16) -> Result<(), Error> {
    if cols == 0 || rows == 0 || cols > 1000 || rows > 1000 {
        return Err(Error::invalid("A terminal is 1 to 1000 columns and rows."));
    }
    let tx = state.with_session(session, |s| s.input.clone()).ok_or_else(|| no_session(session))?;
    tx.send(Input::Resize(cols, rows)).await.map_err(|_| no_session(session))
}

/// The webview drew `bytes` more bytes: the session may send that much more.
#[tauri::command]
pub fn exec_ack(state: State<'_, AppState>, session: u32, bytes: u32) {
    state.with_session(session, |s| s.ack(u64::from(bytes)));
}

/// Ends the session (the shell gets a hang-up).
#[tauri::command]
pub fn exec_close(state: State<'_, AppState>, session: u32) -> bool {
    state.close_session(session)
}
