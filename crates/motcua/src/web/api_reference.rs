//! `/tai-lieu-api`: the API reference as pages, read from the same OpenAPI document the API
//! serves at `/api/v1/openapi.json` — so it cannot drift from it — and rendered on the server:
//! no script and nothing fetched from elsewhere, so it reads offline and on a phone.
//!
//! `/tai-lieu-api` lists the capabilities and their operations; `/tai-lieu-api/{capability}`
//! describes each operation (parameters, body, answers); `/tai-lieu-api/kieu-du-lieu` every
//! data type, the stable error codes among them.

use std::sync::Arc;

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::Value;

use crate::app::AppState;
use crate::web::page::*;
use crate::web::texts::Texts;

/// The reference, read once from the document when the server starts.
pub(crate) struct Reference {
    version: String,
    groups: Vec<Group>,
    schemas: Vec<SchemaView>,
}

pub(crate) struct Group {
    tag: String,
    description: Rich,
    operations: Vec<Operation>,
}

pub(crate) struct Operation {
    id: String,
    method: String,
    path: String,
    summary: Rich,
    /// The rest of the operation's description, paragraph by paragraph.
    details: Vec<Rich>,
    signed_in: bool,
    params: Vec<Field>,
    /// (media type, its schema)
    bodies: Vec<(String, TypeView)>,
    /// (status, description, schema — empty text when none)
    responses: Vec<(String, Rich, TypeView)>,
}

/// A parameter of an operation, or a property of a data type.
pub(crate) struct Field {
    name: String,
    /// `path`, `query` or `header` for a parameter; empty for a property.
    place: String,
    required: bool,
    ty: TypeView,
    description: Rich,
}

/// A type as words, and the data type it names (to link to), if any.
#[derive(Default)]
pub(crate) struct TypeView {
    text: String,
    link: String,
}

pub(crate) struct SchemaView {
    name: String,
    description: Vec<Rich>,
    kind: String,
    fields: Vec<Field>,
    /// An enumeration's values.
    values: Vec<String>,
}

impl Reference {
    pub(crate) fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let doc = serde_json::to_value(doc).unwrap_or_default();
        let mut groups: Vec<Group> = doc["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| Group {
                tag: text(&t["name"]),
                description: Rich::of(&text(&t["description"])),
                operations: Vec::new(),
            })
            .collect();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in ["get", "post", "put", "patch", "delete"] {
                let op = &item[method];
                if !op.is_object() {
                    continue;
                }
                let tag = op["tags"][0].as_str().unwrap_or("system");
                let Some(group) = groups.iter_mut().find(|g| g.tag == tag) else { continue };
                group.operations.push(operation(method, path, op));
            }
        }
        for g in &mut groups {
            g.operations.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
        }
        let schemas =
            doc["components"]["schemas"].as_object().into_iter().flatten().map(|(name, s)| schema(name, s)).collect();
        Self { version: text(&doc["openapi"]), groups, schemas }
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A description's text with its `code spans` marked, as the document's Markdown writes them:
/// (is code, text) in order.
#[derive(Default)]
pub(crate) struct Rich(Vec<(bool, String)>);

impl Rich {
    fn of(s: &str) -> Self {
        let s = s.trim().replace('\n', " ");
        Self(s.split('`').enumerate().filter(|(_, t)| !t.is_empty()).map(|(i, t)| (i % 2 == 1, t.to_owned())).collect())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Paragraphs (blank-line separated), each a [`Rich`].
fn paragraphs(s: &str) -> Vec<Rich> {
    s.split("\n\n").map(Rich::of).filter(|p| !p.is_empty()).collect()
}

fn operation(method: &str, path: &str, op: &Value) -> Operation {
    let description = text(&op["description"]);
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Field {
            name: text(&p["name"]),
            place: text(&p["in"]),
            required: p["required"].as_bool().unwrap_or(false),
            ty: type_of(&p["schema"]),
            description: Rich::of(&text(&p["description"])),
        })
        .collect();
    let bodies = op["requestBody"]["content"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(media, c)| (media.clone(), type_of(&c["schema"])))
        .collect();
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, r)| {
            let ty = r["content"].as_object().and_then(|c| c.values().next()).map(|c| type_of(&c["schema"]));
            (status.clone(), Rich::of(&text(&r["description"])), ty.unwrap_or_default())
        })
        .collect();
    Operation {
        id: text(&op["operationId"]),
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        summary: Rich::of(&text(&op["summary"])),
        details: paragraphs(&description),
        signed_in: op["security"].as_array().is_some_and(|s| !s.is_empty()),
        params,
        bodies,
        responses,
    }
}

fn schema(name: &str, s: &Value) -> SchemaView {
    let required: Vec<&str> = s["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let fields = s["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(field, p)| Field {
            name: field.clone(),
            place: String::new(),
            required: required.contains(&field.as_str()),
            ty: type_of(p),
            description: Rich::of(&text(&p["description"])),
        })
        .collect();
    let values: Vec<String> = s["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect();
    let kind = if !values.is_empty() {
        "enum".to_owned()
    } else if s["properties"].is_object() {
        "object".to_owned()
    } else {
        type_of(s).text
    };
    SchemaView { name: name.to_owned(), description: paragraphs(&text(&s["description"])), kind, fields, values }
}

/// A schema in a few words: `string (date)`, `array of DossierView`, `OrgCode | null`.
fn type_of(s: &Value) -> TypeView {
    if let Some(r) = s["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r).to_owned();
        return TypeView { text: name.clone(), link: name };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(items) = s[key].as_array() {
            let parts: Vec<TypeView> = items.iter().map(type_of).collect();
            let link = parts.iter().map(|p| p.link.clone()).find(|l| !l.is_empty()).unwrap_or_default();
            let words: Vec<String> = parts.into_iter().map(|p| p.text).collect();
            return TypeView { text: words.join(" | "), link };
        }
    }
    let kinds: Vec<&str> = match &s["type"] {
        Value::String(k) => vec![k.as_str()],
        Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut link = String::new();
    let words: Vec<String> = kinds
        .iter()
        .map(|k| match *k {
            "array" => {
                let item = type_of(&s["items"]);
                link = item.link;
                format!("array of {}", if item.text.is_empty() { "any" } else { &item.text })
            }
            k => match s["format"].as_str() {
                Some(f) if k != "null" => format!("{k} ({f})"),
                _ => k.to_owned(),
            },
        })
        .collect();
    let text = if words.is_empty() {
        if s.is_object() && s["properties"].is_object() { "object".into() } else { "any".into() }
    } else {
        words.join(" | ")
    };
    TypeView { text, link }
}

pub(crate) fn routes(reference: Arc<Reference>) -> Router<AppState> {
    Router::new()
        .route("/tai-lieu-api", get(index))
        .route("/tai-lieu-api/kieu-du-lieu", get(schemas))
        .route("/tai-lieu-api/{capability}", get(group))
        .layer(Extension(reference))
}

#[derive(Template)]
#[template(path = "web/api_reference.html")]
struct IndexPage<'a> {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    r: &'a Reference,
}

#[derive(Template)]
#[template(path = "web/api_group.html")]
struct GroupPage<'a> {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    g: &'a Group,
}

#[derive(Template)]
#[template(path = "web/api_schemas.html")]
struct SchemasPage<'a> {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    r: &'a Reference,
}

async fn index(cx: PageCtx, Extension(r): Extension<Arc<Reference>>) -> Response {
    let other_lang_href = other_lang_href(&cx.uri, cx.t.lang_value());
    render(IndexPage { t: cx.t, nav: cx.nav, other_lang_href, r: &r })
}

async fn group(cx: PageCtx, Extension(r): Extension<Arc<Reference>>, Path(capability): Path<String>) -> Response {
    let Some(g) = r.groups.iter().find(|g| g.tag == capability) else {
        let t = cx.t;
        return cx.refused(
            StatusCode::NOT_FOUND,
            t.pick("Không có nhóm này", "No such group"),
            t.pick("Tài liệu API không có nhóm chức năng này.", "The API reference has no such group.").into(),
        );
    };
    let other_lang_href = other_lang_href(&cx.uri, cx.t.lang_value());
    render(GroupPage { t: cx.t, nav: cx.nav, other_lang_href, g })
}

async fn schemas(cx: PageCtx, Extension(r): Extension<Arc<Reference>>) -> Response {
    let other_lang_href = other_lang_href(&cx.uri, cx.t.lang_value());
    render(SchemasPage { t: cx.t, nav: cx.nav, other_lang_href, r: &r })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_are_marked() {
        let r = Rich::of("a `scope=all` page,\nthe `next`");
        let parts: Vec<(bool, &str)> = r.0.iter().map(|(c, t)| (*c, t.as_str())).collect();
        assert_eq!(parts, [(false, "a "), (true, "scope=all"), (false, " page, the "), (true, "next")]);
        assert_eq!(paragraphs("one\n\n\ntwo").len(), 2);
    }

    #[test]
    fn types_read_as_words_with_their_links() {
        let t = type_of(&serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/DossierView"}}));
        assert_eq!((t.text.as_str(), t.link.as_str()), ("array of DossierView", "DossierView"));
        let t = type_of(&serde_json::json!({"oneOf": [{"$ref": "#/components/schemas/OrgCode"}, {"type": "null"}]}));
        assert_eq!((t.text.as_str(), t.link.as_str()), ("OrgCode | null", "OrgCode"));
        let t = type_of(&serde_json::json!({"type": ["integer", "null"], "format": "int64"}));
        assert_eq!((t.text.as_str(), t.link.as_str()), ("integer (int64) | null", ""));
    }

    #[test]
    fn every_operation_of_the_document_is_in_a_group() {
        let doc = crate::server::openapi();
        let r = Reference::of(&doc);
        let listed: usize = r.groups.iter().map(|g| g.operations.len()).sum();
        let documented: usize = doc
            .paths
            .paths
            .values()
            .map(|i| [&i.get, &i.post, &i.put, &i.patch, &i.delete].iter().filter(|o| o.is_some()).count())
            .sum();
        assert_eq!(listed, documented);
        assert!(r.schemas.iter().any(|s| s.name == "ErrorCode" && s.values.iter().any(|v| v == "not_found")));
    }
}
