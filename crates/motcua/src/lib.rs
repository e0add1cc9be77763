//! motcua: the server library (the application layer, the JSON API, the web pages, the demo
//! data) over `motcua-domain` and `motcua-store`. The `motcua` binary is `crates/cli`; the load
//! generators are `crates/bench`.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod app;
pub mod assistant;
pub mod backup;
pub mod blobs;
pub mod calendar;
pub mod catalog;
pub mod datastore;
pub mod demo;
pub mod documents;
pub mod dossiers;
pub mod edge;
pub mod export;
pub mod feedback;
pub mod meetings;
pub mod memory;
pub mod notifications;
pub mod payments;
pub mod results;
pub mod server;
pub mod service;
pub mod statistics;
pub mod throttle;
pub mod web;
