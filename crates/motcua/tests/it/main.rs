//! motcua's integration tests, in one test binary (one link of the server instead of one per
//! file): the real server on 127.0.0.1 with a random port, on SQLite and on PostgreSQL, the
//! browser journeys in Chromium, and the source-reading checks of the architecture.
//!
//! Run one file's tests with a filter on its module, e.g.
//! `cargo nextest run -p motcua --test it -E 'test(/^web::/)'`.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

#[path = "../common/s3.rs"]
mod s3;

mod accounts;
mod api;
mod architecture;
mod assistant;
mod authz;
mod axis;
mod datastore;
mod declarations;
mod documents;
mod dossiers;
mod edxml_axis;
mod exchange_servers;
mod feedback;
mod files_kept;
mod files_s3;
mod hardening;
mod identity;
mod limits;
mod linked;
mod lists;
mod meetings;
mod notifications;
mod openapi_snapshot;
mod openapi_tools;
mod payments;
mod revocations;
mod second_factor;
mod servers;
mod service;
mod stats;
mod web;
mod work;
mod workflows;
