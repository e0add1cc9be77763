//! How amounts are shown to people, whichever capability shows them.

/// `1.200.000 ₫`
pub fn vnd(amount: i64) -> String {
    motcua_domain::Vnd::new(amount).map_or_else(|_| amount.to_string(), |v| v.to_string())
}
