//! VietQR (EMVCo) payloads and the transfer descriptions payment gateways send back: never a
//! panic; a payload that parses has a right CRC and its fields cover it exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_domain::payment::{crc16_ccitt_false, find_dossier_code, parse_emv, purpose_text};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(fields) = parse_emv(&s) {
        // ASCII, ending in "6304" and four hex digits of CRC over everything before them.
        let (body, crc) = s.split_at(s.len() - 4);
        assert!(crc.eq_ignore_ascii_case(&format!("{:04X}", crc16_ccitt_false(body.as_bytes()))));
        let covered: usize = fields.iter().map(|(tag, value)| tag.len() + 2 + value.len()).sum();
        assert_eq!(covered + 4, body.len());
    }
    let _ = find_dossier_code(&s);
    let _ = purpose_text(&s);
});
