//! The text of a chip ID card's QR code, as a kiosk scanner types it: never a panic, and a
//! parsed card never has dates after today.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_domain::service::ChipId;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let today = jiff::civil::date(2026, 12, 1);
    if let Ok(id) = ChipId::parse(&s, today) {
        assert!(id.birth_date <= today && id.issue_date <= today);
        assert!(!format!("{id:?}").contains(id.cccd.as_str()), "Debug shows only the masked number");
    }
});
