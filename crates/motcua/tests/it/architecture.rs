//! The shape docs/ARCHITECTURE.md promises, checked on the source itself: the layers import
//! only downwards, the two adapters never import each other, no module imports one that
//! imports it back, and no source file grows past about 800 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CAPABILITIES: &[&str] = &[
    "accounts",
    "admin",
    "assistant",
    "calendar",
    "catalog",
    "datastore",
    "documents",
    "dossiers",
    "notifications",
    "payments",
    "results",
    "service",
    "statistics",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as (path relative to `dir` with `/`, text).
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The text before the file's unit tests (`#[cfg(test)] mod tests`), which may import anything.
fn code_of(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests").map_or(text, |i| &text[..i])
}

/// The module path a file defines: `dossiers/api/mod.rs` → `dossiers::api`.
fn module_of(rel: &str) -> String {
    let p = rel.trim_end_matches(".rs");
    let p = p.strip_suffix("/mod").unwrap_or(p);
    if p == "lib" { String::new() } else { p.replace('/', "::") }
}

/// Every `crate::…` path named in `code`, with `crate::{a, b::{c, d}}` groups expanded.
fn crate_paths(code: &str) -> Vec<String> {
    fn expand(prefix: &str, s: &str, out: &mut Vec<String>) {
        // s starts right after "prefix::{"; read items up to the matching '}'.
        let mut depth = 0;
        let mut item = String::new();
        for ch in s.chars() {
            match ch {
                '{' => {
                    depth += 1;
                    item.push(ch);
                }
                '}' if depth == 0 => {
                    push_item(prefix, &item, out);
                    return;
                }
                '}' => {
                    depth -= 1;
                    item.push(ch);
                }
                ',' if depth == 0 => {
                    push_item(prefix, &item, out);
                    item.clear();
                }
                _ => item.push(ch),
            }
        }
    }
    fn push_item(prefix: &str, item: &str, out: &mut Vec<String>) {
        let item = item.trim();
        let item = item.split(" as ").next().unwrap_or(item).trim();
        if item.is_empty() || item == "self" {
            out.push(prefix.to_owned());
        } else if let Some(i) = item.find("::{") {
            expand(&format!("{prefix}::{}", &item[..i]), &item[i + 3..], out);
        } else {
            out.push(format!("{prefix}::{item}"));
        }
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            expand("crate", group, &mut out);
        } else {
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            out.push(format!("crate::{}", path.trim_end_matches(':')));
        }
    }
    out
}

/// The module a `crate::…` path lands in: its longest prefix that is a file of the crate.
fn target_of(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.trim_start_matches("crate::").split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains(m))
}

/// The import graph of the server library: module → modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let all = files(&src());
    let modules: BTreeSet<String> = all.iter().map(|(rel, _)| module_of(rel)).collect();
    let mut g = BTreeMap::new();
    for (rel, text) in &all {
        let me = module_of(rel);
        let edges: BTreeSet<String> =
            crate_paths(code_of(text)).iter().filter_map(|p| target_of(p, &modules)).filter(|t| *t != me).collect();
        g.insert(me, edges);
    }
    g
}

fn adapter_of(module: &str) -> Option<&'static str> {
    let parts: Vec<&str> = module.split("::").collect();
    match parts.as_slice() {
        ["api", ..] => Some("api"),
        ["web", ..] => Some("web"),
        [_, "api", ..] => Some("api"),
        [_, "pages", ..] => Some("web"),
        _ => None,
    }
}

#[test]
fn the_json_api_and_the_pages_never_import_each_other() {
    let g = graph();
    let mut wrong = Vec::new();
    for (from, tos) in &g {
        for to in tos {
            if let (Some(a), Some(b)) = (adapter_of(from), adapter_of(to))
                && a != b
                // The two routers are gathered by the server, above both.
                && from != "server"
            {
                wrong.push(format!("{from} ({a}) -> {to} ({b})"));
            }
        }
    }
    assert!(wrong.is_empty(), "adapters importing each other:\n{}", wrong.join("\n"));
}

#[test]
fn use_cases_know_no_http_and_no_adapter() {
    let mut wrong = Vec::new();
    for (rel, text) in files(&src()) {
        let module = module_of(&rel);
        let first = module.split("::").next().unwrap_or_default();
        let use_case = first == "app" || (CAPABILITIES.contains(&first) && adapter_of(&module).is_none());
        // The printable forms 01–05 are documents the application produces (like a PDF), built
        // with a template; they are not pages.
        if !use_case || module == "dossiers::forms" {
            continue;
        }
        let code = code_of(&text);
        for banned in ["axum", "askama::", "crate::api", "crate::web", "crate::edge", "crate::server"] {
            if code.contains(banned) {
                wrong.push(format!("{rel} names {banned}"));
            }
        }
        for adapter in crate_paths(code).iter().filter(|p| {
            let m = p.trim_start_matches("crate::");
            adapter_of(m).is_some()
        }) {
            wrong.push(format!("{rel} imports the adapter {adapter}"));
        }
    }
    assert!(wrong.is_empty(), "use cases reaching into HTTP or an adapter:\n{}", wrong.join("\n"));
}

#[test]
fn every_capability_has_its_folder_and_no_stray_handlers() {
    let src = src();
    for c in CAPABILITIES {
        assert!(src.join(c).join("mod.rs").is_file(), "capability {c} has no folder {c}/mod.rs");
    }
    // The adapters' own folders hold only what every capability shares, and the server's own
    // answers: in web/, the API reference pages (about the API, no capability's).
    let api: BTreeSet<String> = files(&src.join("api")).into_iter().map(|(r, _)| r).collect();
    assert_eq!(api, ["error.rs", "extract.rs", "files.rs", "mod.rs", "page.rs"].map(String::from).into());
    let web: BTreeSet<String> = files(&src.join("web")).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        web,
        ["api_reference.rs", "csrf.rs", "mod.rs", "multipart.rs", "page.rs", "texts.rs"].map(String::from).into()
    );
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let g = graph();
    // Tarjan's strongly connected components: any with more than one module is a loop.
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        on: BTreeSet<&'a str>,
        stack: Vec<&'a str>,
        loops: Vec<Vec<&'a str>>,
    }
    impl<'a> T<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let l = self.low[w].min(self.low[v]);
                    self.low.insert(v, l);
                } else if self.on.contains(w) {
                    let l = self.index[w].min(self.low[v]);
                    self.low.insert(v, l);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.loops.push(component);
                }
            }
        }
    }
    let mut t = T {
        g: &g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on: BTreeSet::new(),
        stack: Vec::new(),
        loops: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    assert!(g.len() > 60 && g.values().map(BTreeSet::len).sum::<usize>() > 150, "the graph was not read");
    assert!(t.loops.is_empty(), "import loops: {:?}", t.loops);
}

#[test]
fn no_source_file_is_over_about_800_lines() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut long = Vec::new();
    for krate in ["domain", "store", "search", "exchange", "motcua", "bench", "cli"] {
        let limit = if krate == "store" { 600 } else { 800 };
        for (rel, text) in files(&workspace.join("crates").join(krate).join("src")) {
            let lines = text.lines().count();
            if lines > limit + limit / 20 {
                long.push(format!("crates/{krate}/src/{rel}: {lines} lines (limit {limit})"));
            }
        }
    }
    assert!(long.is_empty(), "files too long:\n{}", long.join("\n"));
}

/// Functions of `code` longer than `limit` lines: (name, first line, lines). A function runs
/// from its `fn` line to the first line that closes it at the same indentation.
fn long_functions(code: &str, limit: usize) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let body = line.trim_start();
        let indent = line.len() - body.len();
        let after_vis = body
            .strip_prefix("pub ")
            .or_else(|| body.split_once(") ").filter(|_| body.starts_with("pub(")).map(|(_, r)| r))
            .unwrap_or(body);
        let after_async = after_vis.strip_prefix("async ").unwrap_or(after_vis);
        let Some(rest) = after_async.strip_prefix("fn ") else {
            i += 1;
            continue;
        };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        // A declaration without a body (in a trait) ends with `;` before any `{`.
        let mut j = i;
        while j < lines.len() && !lines[j].contains('{') && !lines[j].trim_end().ends_with(';') {
            j += 1;
        }
        if j >= lines.len() || !lines[j].contains('{') {
            i = j + 1;
            continue;
        }
        let close = " ".repeat(indent) + "}";
        let end = (j + 1..lines.len())
            .find(|&k| lines[k].starts_with(&close) && lines[k].len() - lines[k].trim_start().len() == indent)
            .unwrap_or(j);
        if lines[j].trim_end().ends_with('}') && j == i {
            i += 1;
            continue;
        }
        let size = end - i + 1;
        if size > limit {
            out.push((name, i + 1, size));
        }
        i = end + 1;
    }
    out
}

#[test]
fn no_function_is_over_about_120_lines() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut long = Vec::new();
    for krate in ["domain", "store", "search", "exchange", "motcua", "bench", "cli"] {
        for (rel, text) in files(&workspace.join("crates").join(krate).join("src")) {
            for (name, line, size) in long_functions(code_of(&text), 125) {
                long.push(format!("crates/{krate}/src/{rel}:{line} {name}: {size} lines"));
            }
        }
    }
    assert!(long.is_empty(), "functions too long:\n{}", long.join("\n"));
}

#[test]
fn the_import_reader_sees_groups_and_aliases() {
    assert_eq!(
        store_uses(
            "let a = state.store.unit(&c);\nlet b = state\n    .store\n    .as_ref();\nlet c = state.stores; upstate.store"
        ),
        vec![(1, ".unit(&c);".to_owned()), (2, ".as_ref();".to_owned())]
    );
    let paths = crate_paths("use crate::{accounts::api as accounts, service::{api::queue, pages}};\nx::crate::no;");
    assert_eq!(paths, ["crate::accounts::api", "crate::service::api::queue", "crate::service::pages"]);
    assert_eq!(module_of("dossiers/api/mod.rs"), "dossiers::api");
    assert_eq!(adapter_of("service::pages::kiosk"), Some("web"));
    assert_eq!(adapter_of("dossiers::tracking"), None);
    let long = format!("pub async fn big(\n    x: u8,\n) {{\n{}}}\n", "    let _ = 1;\n".repeat(130));
    assert_eq!(long_functions(&long, 120), [("big".to_owned(), 1, 134)]);
    assert!(long_functions("trait T {\n    fn f(&self) -> u8;\n}\n", 0).is_empty());
}

/// The modules that may hold the whole store: the shared state that owns it (`app`), the
/// server that builds that state, runs the background jobs and answers the health check
/// (`server`), and the demo loader, which fills every role (`demo`). Everything else — every
/// capability's use cases, the JSON API, the pages and the edge — asks for the store roles it
/// uses: a use case's constructor (`X::of(&state)`, a background service's `new`) upcasts
/// the one store to its roles, and adapters reach the store only through use cases.
const HOLD_THE_WHOLE_STORE: &[&str] = &["app", "server", "demo"];

/// Where `code` names the shared state's store, `state.store` written on one line or across
/// lines (`state\n    .store`): each with its line number and what follows it.
fn store_uses(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("state") {
        let before_ok = code[..i].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let rest = code[i + "state".len()..].trim_start();
        if before_ok && let Some(after) = rest.strip_prefix(".store") {
            let after = after.trim_start();
            if !after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                let line = code[..i].matches('\n').count() + 1;
                out.push((line, after.lines().next().unwrap_or_default().to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_module_reaches_the_store_only_through_its_roles() {
    let mut wrong = Vec::new();
    for (rel, text) in files(&src()) {
        let module = module_of(&rel);
        let first = module.split("::").next().unwrap_or_default();
        if HOLD_THE_WHOLE_STORE.contains(&first) || module.is_empty() {
            continue;
        }
        let code = code_of(&text);
        for (i, line) in code.lines().enumerate() {
            // The whole store, named as a trait object, a path or an import.
            if line.trim_start().starts_with("//") {
                continue;
            }
            let whole = |at: &str| {
                line.match_indices(at)
                    .any(|(i, _)| !line[i + at.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
            };
            let imported = line.trim_start().starts_with("use motcua_store")
                && line.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == "Store");
            // A background service's constructor may take it, to upcast it to its roles.
            if (whole("dyn Store") || whole("motcua_store::Store") || imported) && !line.contains("pub fn new(") {
                wrong.push(format!("{rel}:{} asks for the whole store: {}", i + 1, line.trim()));
            }
        }
        for (line, after) in store_uses(code) {
            // Only a use case's constructor may take the store, to upcast it to a role.
            let upcast = after.starts_with(".as_ref()") || after.starts_with(".clone()");
            if adapter_of(&module).is_some() || !upcast {
                wrong.push(format!("{rel}:{line} reaches the store directly: state.store{after}"));
            }
        }
    }
    assert!(wrong.is_empty(), "the store reached around the use cases' roles:\n{}", wrong.join("\n"));
}
