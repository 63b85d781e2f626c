//! bulkhead-core: every Docker operation and every inspection rule of Bulkhead.
//! It knows nothing of Tauri; the desktop shell and the `bulkhead audit` CLI both sit on it.

pub mod archive;
pub mod build;
pub mod compose;
pub mod containers;
pub mod context;
pub mod engine;
pub mod engines;
pub mod error;
pub mod events;
pub mod exec;
pub mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
pub mod ignore;
pub mod images;
pub mod inspect;
pub mod lifecycle;
pub mod logs;
pub mod model;
pub mod networks;
pub mod prefs;
pub mod refs;
pub mod registry;
pub mod run;
pub mod shell;
mod ssh;
pub mod stats;
pub mod system;
pub mod text;
pub mod time;
mod transport;
pub mod volume_data;
pub mod volumes;
pub mod watch;

#[cfg(feature = "ts")]
pub mod bindings;

pub use engine::{ApiVersion, Endpoint, Engine, EngineVersion, SshAddr, TlsFiles};
pub use error::{Error, ErrorKind, Result};
pub use refs::{ContainerName, ContainerRef, ImageRef, NetworkRef, VolumeRef};
pub use watch::Watcher;
