//! edXML packages (QCVN 102:2016) from other agencies' servers, the national axis and
//! imports: the hardened reader never panics, what it reads, written again, reads back the
//! same, and checking an XML signature (canonicalising whatever came) never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_exchange::{DocumentPackage, StatusPackage, TrustAnchors};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = DocumentPackage::parse(data) {
        let again = DocumentPackage::parse(p.to_xml().as_bytes()).expect("our own writing reads back");
        assert_eq!(again.canonical(), p.canonical());
    }
    if let Ok(p) = StatusPackage::parse(data) {
        let again = StatusPackage::parse(p.to_xml().as_bytes()).expect("our own writing reads back");
        assert_eq!(again.canonical(), p.canonical());
    }
    let _ = motcua_exchange::xmldsig::verify(data, &TrustAnchors::default(), None, jiff::Timestamp::UNIX_EPOCH);
});
