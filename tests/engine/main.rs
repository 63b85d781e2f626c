//! Live-engine tests of bulkhead-core: a real Docker engine, test-labelled objects with unique
//! names, cleanup that runs even when a test panics.

mod actions;
mod exec;
mod images;
mod lists;
mod security;
mod watch;
