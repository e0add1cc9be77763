//! The web pages' adapter kit, in Vietnamese first and English second: what every page shares
//! (the header and navigation, rendering, error pages in `page.rs`; the texts of both
//! languages; multipart forms; the cross-site check on forms) and what the server answers
//! with a page. Server-rendered with compiled templates; JavaScript only where a screen must
//! update by itself. The router that gathers every capability's pages is
//! `server/page_routes.rs`. The API reference (`api_reference.rs`) is here too: pages about
//! the API, read from its OpenAPI document, not a capability's.

pub mod api_reference;
pub mod csrf;
pub mod multipart;
pub mod page;
pub mod texts;

pub(crate) use page::{page_for_error, too_many_requests};
pub use texts::{Lang, Texts};
