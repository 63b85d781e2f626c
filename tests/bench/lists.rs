// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]
fn main() {}
