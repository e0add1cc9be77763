//! motcua's load generators, kept out of the server library: `motcua bench` (the request mix
//! and the write path against a server it starts), `motcua bench-crash` (a mix against a
//! `motcua serve` killed with SIGKILL), `motcua bench-exchange`, `motcua bench-search` (the index
//! and the assistant over a generated catalog), the database engine's own
//! insert rate (the baseline writes are compared with), the reads at archive scale
//! (`motcua bench --reads-only`) and synthetic dossiers for `motcua demo --synthetic`.

pub mod baseline;
pub mod bench;
pub mod common;
pub mod load;
pub mod reads;
pub mod search;
pub mod statements;
pub mod synthetic;
