//! The OpenAPI document is kept in `docs/openapi.json` so that every change to the API shows
//! in review. After an intended change, regenerate it:
//! `MOTCUA_UPDATE_SNAPSHOTS=1 cargo test -p motcua --test it openapi_snapshot`.

#[test]
fn openapi_document_matches_snapshot() {
    let current = format!("{}\n", motcua::server::openapi().to_pretty_json().expect("serialise"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var("MOTCUA_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == current,
        "docs/openapi.json is out of date; if the API change is intended, run \
         MOTCUA_UPDATE_SNAPSHOTS=1 cargo test -p motcua --test it openapi_snapshot and review the diff"
    );
}
