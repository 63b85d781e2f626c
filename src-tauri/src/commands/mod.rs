//! Thin adapters: parse what the webview sent into core types, call core, return its result.

pub mod containers;
pub mod engine;
pub mod exec;
pub mod images;
pub mod run;
pub mod security;
pub mod system;
