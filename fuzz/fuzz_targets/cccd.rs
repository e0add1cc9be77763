//! Citizen ID numbers (CCCD) as typed or scanned: never a panic; a valid number parses back
//! to itself, and its display (what logs get) never shows it whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_domain::Cccd;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(c) = Cccd::parse(&s) {
        assert_eq!(c.as_str().len(), 12);
        assert_eq!(Cccd::parse(c.as_str()).expect("again").as_str(), c.as_str());
        let shown = format!("{c} {c:?}");
        assert!(!shown.contains(c.as_str()), "the full number leaked into its display");
    }
});
