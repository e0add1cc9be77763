//! The OpenAPI document as integrators' own tools read it: an outside validator
//! (`openapi-spec-validator`, OpenAPI 3.1) finds no error in it, and a client generated from
//! the document a server serves (`openapi-python-client`) walks a citizen's journey against
//! that server — sign in, search, submit with a file, track — so the document is shown to
//! describe the server, not just to parse. Both tools are pinned in `scripts/install-deps`.

use std::path::Path;
use std::process::Command;

use crate::common::{PASSWORD, TestApp};

on_both_backends!(a_generated_client_walks_a_citizens_journey);

/// Every error the validator finds, one per line (empty when the document is valid).
fn validation_errors(document: &Path) -> String {
    let script = "import json, sys\n\
        from openapi_spec_validator import OpenAPIV31SpecValidator\n\
        spec = json.load(open(sys.argv[1], encoding='utf-8'))\n\
        for e in OpenAPIV31SpecValidator(spec).iter_errors():\n\
        \x20   print('/'.join(str(p) for p in e.absolute_path) + ': ' + e.message.splitlines()[0])\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(document)
        .output()
        .expect("python3 runs (scripts/install-deps installs openapi-spec-validator)");
    assert!(
        out.status.success(),
        "the validator did not run (pip3 install openapi-spec-validator==0.9.0): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_document_has_no_error_for_an_outside_validator() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, motcua::server::openapi().to_pretty_json().unwrap()).unwrap();
    let errors = validation_errors(&path);
    assert!(errors.is_empty(), "{} errors:\n{errors}", errors.lines().count());
}

#[test]
fn the_validator_does_find_errors() {
    // The check above is only worth something if the validator reads what we give it: the
    // same document with a response's description taken away must fail.
    let mut doc: serde_json::Value = serde_json::from_str(&motcua::server::openapi().to_json().unwrap()).unwrap();
    let responses = doc["paths"]["/api/v1/dossiers"]["post"]["responses"].as_object_mut().unwrap();
    responses.get_mut("201").unwrap().as_object_mut().unwrap().remove("description");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let errors = validation_errors(&path);
    assert!(errors.contains("description"), "{errors}");
}

#[test]
fn operation_ids_are_unique_and_named_after_their_capability() {
    let doc = motcua::server::openapi();
    let mut seen = std::collections::BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        for op in [&item.get, &item.post, &item.put, &item.patch, &item.delete].into_iter().flatten() {
            let id = op.operation_id.clone().unwrap_or_default();
            let tags = op.tags.clone().unwrap_or_default();
            assert_eq!(tags.len(), 1, "{path}: one capability each");
            assert!(id.starts_with(&format!("{}_", tags[0])), "{path}: {id} is not named after {}", tags[0]);
            assert!(seen.insert(id.clone()), "{path}: {id} used twice");
        }
    }
}

async fn a_generated_client_walks_a_citizens_journey(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let document = dir.path().join("openapi.json");
    let served = app.get("/api/v1/openapi.json").await.bytes().await.unwrap();
    std::fs::write(&document, &served).unwrap();
    let client = dir.path().join("motcua_client");
    let generated = Command::new("openapi-python-client")
        .args(["generate", "--meta", "none", "--path"])
        .arg(&document)
        .arg("--output-path")
        .arg(&client)
        .output()
        .expect("openapi-python-client runs (pip3 install openapi-python-client==0.29.1; scripts/install-deps does)");
    assert!(
        generated.status.success() && client.join("api/dossiers/dossiers_submit.py").exists(),
        "generation failed: {}{}",
        String::from_utf8_lossy(&generated.stdout),
        String::from_utf8_lossy(&generated.stderr)
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/openapi_client_journey.py");
    let (base, client_dir) = (app.base.clone(), dir.path().to_path_buf());
    // Blocking on the child in a thread of its own: the server answers on the runtime's.
    let journey = tokio::task::spawn_blocking(move || {
        Command::new("python3").arg(script).arg(base).arg(client_dir).arg(PASSWORD).output().expect("python3 runs")
    })
    .await
    .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&journey.stdout), String::from_utf8_lossy(&journey.stderr));
    assert!(journey.status.success() && said.contains("journey done"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_pages_show_every_operation_from_this_server_alone() {
    let app = TestApp::spawn(motcua_store::testing::Engine::Sqlite).await.expect("sqlite");
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let r = app.get("/tai-lieu-api").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let index = r.text().await.unwrap();
    assert!(index.contains("href=\"/api/v1/openapi.json\""), "the document for tools is linked");
    let mut pages = vec![index];
    for tag in doc["tags"].as_array().unwrap() {
        let tag = tag["name"].as_str().unwrap();
        let r = app.get(&format!("/tai-lieu-api/{tag}")).await;
        assert_eq!(r.status(), 200, "{tag}");
        pages.push(r.text().await.unwrap());
    }
    let types = app.get("/tai-lieu-api/kieu-du-lieu").await.text().await.unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let tag = op["tags"][0].as_str().unwrap();
            let page = pages.iter().find(|p| p.contains(&format!("id=\"{id}\""))).unwrap_or_else(|| panic!("{id}"));
            assert!(page.contains(&format!("<h1>API: {tag}</h1>")), "{id} on its capability's page");
            let shown = path.replace('&', "&amp;");
            assert!(page.contains(&shown), "{method} {path} shown");
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(types.contains(&format!("id=\"kieu-{name}\"")), "{name} among the types");
    }
    assert!(types.contains("<code>not_found</code>"), "the error codes are listed");
    // Nothing from another site: the pages read offline.
    for page in pages.iter().chain([&types]) {
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "<script"] {
            assert!(!page.contains(attr), "{attr} in a reference page");
        }
    }
    // A capability that is not there: a page, not JSON, and 404.
    let r = app.get("/tai-lieu-api/khong-co").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // In English too.
    let en = app.get("/tai-lieu-api/dossiers?lang=en").await.text().await.unwrap();
    assert!(en.contains("Responses") && en.contains("dossiers_submit"), "English reference");
}
