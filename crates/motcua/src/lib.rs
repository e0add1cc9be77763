//! motcua: the server library (the application layer, the JSON API, the web pages, the demo
//! data) over `motcua-domain` and `motcua-store`. The `motcua` binary is `crates/cli`; the load
//! generators are `crates/bench`.

pub mod api;
pub mod app;
pub mod assistant;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod calendar;
pub mod demo;
pub mod edge;
pub mod exchange;
pub mod export;
pub mod forms;
pub mod import;
pub mod memory;
pub mod notify;
pub mod pki;
pub mod registration;
pub mod search;
pub mod server;
pub mod service;
pub mod stats;
pub mod throttle;
pub mod web;
