//! The administration console (`/quan-tri`): organisations, staff and their roles, each
//! procedure's workflow, holidays. Pages only; the use cases are those of accounts, catalog
//! and calendar.

pub mod pages;
