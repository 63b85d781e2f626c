//! Live-engine tests of bulkhead-core: a real Docker engine, test-labelled objects with unique
//! names, cleanup that runs even when a test panics.

// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]

mod actions;
mod exec;
mod ignore;
mod images;
mod lists;
mod security;
mod tls;
mod watch;
