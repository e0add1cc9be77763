//! The `motcua` binary's tests, in one test binary: the commands as a user runs them (serve,
//! crash and restart, import, export, users), backup and restore, `audit verify`, signed
//! results checked offline — on SQLite and on PostgreSQL.
//!
//! Run one file's tests with a filter on its module, e.g.
//! `cargo nextest run -p motcua-cli --test it -E 'test(/^backup::/)'`.

#[macro_use]
#[path = "../../../motcua/tests/common/mod.rs"]
mod common;
#[allow(dead_code)]
mod process;
#[allow(dead_code)]
#[path = "../../../motcua/tests/common/s3.rs"]
mod s3;

mod audit;
mod axis;
mod backup;
mod balancer;
mod bench;
mod cli;
mod cluster;
mod keys;
mod operating;
mod results;
mod seals;
