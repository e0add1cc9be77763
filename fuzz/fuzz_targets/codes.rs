//! Dossier, unit, organisation, procedure and field codes and usernames, as they arrive in
//! paths, queries and bodies: never a panic; what parses prints back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_domain::{DossierCode, FieldCode, OrgCode, ProcedureCode, UnitCode, Username};

macro_rules! round_trip {
    ($ty:ty, $s:expr) => {
        if let Ok(v) = <$ty>::parse($s) {
            let again = <$ty>::parse(v.as_str()).expect("a parsed code parses again");
            assert_eq!(again.as_str(), v.as_str());
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    round_trip!(DossierCode, &s);
    round_trip!(UnitCode, &s);
    round_trip!(OrgCode, &s);
    round_trip!(ProcedureCode, &s);
    round_trip!(FieldCode, &s);
    round_trip!(Username, &s);
});
