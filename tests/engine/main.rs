//! Live-engine tests of bulkhead-core: a real Docker engine, test-labelled objects with unique
//! names, cleanup that runs even when a test panics.

// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]

mod actions;
mod compose;
mod contexts;
mod events;
mod exec;
mod faults;
mod files;
mod ignore;
mod images;
mod lists;
mod networks;
mod podman;
mod remote;
mod security;
mod ssh;
mod tls;
mod volume_data;
mod volumes;
mod watch;
