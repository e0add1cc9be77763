//! What the in-person service's stores share: column lists, letters, constant-time
//! comparison, and ending a transaction early (see sql_queue.rs, sql_appointments.rs,
//! sql_codes.rs).

use motcua_domain::service::ServiceLetter;

use crate::Result;
use crate::sql_shared::corrupt;

pub(crate) const TICKET_COLUMNS: &str =
    "id, centre_code, letter, day, number, status, issued_at, called_at, finished_at, counter, called_by";
pub(crate) const POINT_COLUMNS: &str = "code, org_code, name, kind, description, parent_code, active";
pub(crate) const SLOT_COLUMNS: &str = "id, point_code, starts_at, ends_at, capacity, booked";
/// An appointment joined with its slot (`s`).
pub(crate) const BOOKING_COLUMNS: &str = "a.code, a.slot_id, a.full_name, a.phone, a.email, a.note, a.account_id, a.status, \
     a.created_at, a.updated_at, a.reminded_for, s.id, s.point_code, s.starts_at, s.ends_at, s.capacity, s.booked";

pub(crate) fn letters_text(letters: &[ServiceLetter]) -> String {
    letters.iter().map(|l| l.as_char()).collect()
}

pub(crate) fn parse_letters(s: &str) -> Result<Vec<ServiceLetter>> {
    s.chars().map(|c| ServiceLetter::parse(&c.to_string()).map_err(corrupt("ký hiệu dịch vụ"))).collect()
}

/// Constant-time comparison of two hashes.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Ends a transaction that changed nothing worth keeping and returns: the rollback is sent
/// now, so no lock outlives the call (a dropped transaction rolls back only when its
/// connection is next used).
macro_rules! rollback_with {
    ($tx:ident, $value:expr) => {{
        $tx.rollback().await?;
        return Ok($value);
    }};
}

pub(crate) use rollback_with;
