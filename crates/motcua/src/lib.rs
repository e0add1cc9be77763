//! motcua: the server, the command line and the demo data, over `motcua-domain` and
//! `motcua-store`.

pub mod api;
pub mod app;
pub mod assistant;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod bench_common;
pub mod blobs;
pub mod calendar;
pub mod cli;
pub mod demo;
pub mod edge;
pub mod exchange;
pub mod export;
pub mod forms;
pub mod import;
pub mod load;
pub mod memory;
pub mod notify;
pub mod pki;
pub mod registration;
pub mod search;
pub mod server;
pub mod service;
pub mod stats;
pub mod synthetic;
pub mod throttle;
pub mod web;
