//! edXML packages (QCVN 102:2016) from other agencies' servers and from imports: the hardened
//! reader never panics, and what it reads, written again, reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_exchange::{DocumentPackage, StatusPackage};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = DocumentPackage::parse(data) {
        let again = DocumentPackage::parse(p.to_xml().as_bytes()).expect("our own writing reads back");
        assert_eq!(again.canonical(), p.canonical());
    }
    if let Ok(p) = StatusPackage::parse(data) {
        let again = StatusPackage::parse(p.to_xml().as_bytes()).expect("our own writing reads back");
        assert_eq!(again.canonical(), p.canonical());
    }
});
