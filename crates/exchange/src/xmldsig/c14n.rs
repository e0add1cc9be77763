//! XML canonicalisation for signatures: Exclusive XML Canonicalization 1.0 (W3C, 2002) and
//! Canonical XML 1.0 (W3C, 2001), without comments, over a tree read with the same refusals
//! as packages (no DTD, hence no entities but the five predefined; limits on size, depth and
//! count). Processing instructions are refused rather than canonicalised: packages have none.

use quick_xml::events::{BytesStart, Event};

use crate::ExchangeError;

const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 40_000;

/// The algorithms a reference or `SignedInfo` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `http://www.w3.org/2001/10/xml-exc-c14n#`
    Exclusive,
    /// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315`
    Inclusive,
}

#[derive(Debug)]
pub(super) enum Child {
    Element(Element),
    Text(String),
}

/// An element as written: its qualified name, the namespaces it declares, its attributes
/// (qualified names, values after XML's normalisation) and its children in order.
#[derive(Debug, Default)]
pub(super) struct Element {
    pub(super) qname: String,
    pub(super) declares: Vec<(String, String)>,
    pub(super) attrs: Vec<(String, String)>,
    pub(super) children: Vec<Child>,
}

pub(super) fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(p, _)| p)
}

pub(super) fn local_of(qname: &str) -> &str {
    qname.split_once(':').map_or(qname, |(_, l)| l)
}

impl Element {
    pub(super) fn local(&self) -> &str {
        local_of(&self.qname)
    }
    pub(super) fn attr(&self, qname: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == qname).map(|(_, v)| v.as_str())
    }
    pub(super) fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Child::Element(e) => Some(e),
            Child::Text(_) => None,
        })
    }
    pub(super) fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                Child::Text(t) => Some(t.as_str()),
                Child::Element(_) => None,
            })
            .collect()
    }
}

/// Namespaces in scope: (prefix, URI), later entries hiding earlier ones; `""` is the default.
#[derive(Clone, Default)]
pub(super) struct Scope(Vec<(String, String)>);

impl Scope {
    pub(super) fn with(&self, e: &Element) -> Scope {
        let mut s = self.clone();
        s.0.extend(e.declares.iter().cloned());
        s
    }
    pub(super) fn uri(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some("http://www.w3.org/XML/1998/namespace");
        }
        self.0.iter().rev().find(|(p, _)| p == prefix).map(|(_, u)| u.as_str())
    }
    /// Every prefix in scope with its current URI, in prefix order.
    fn all(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for (p, u) in self.0.iter().rev() {
            if !out.iter().any(|(q, _)| q == p) {
                out.push((p, u));
            }
        }
        out.sort();
        out
    }
}

fn bad(msg: impl Into<String>) -> ExchangeError {
    ExchangeError::Malformed(msg.into())
}

/// Line ends as an XML parser hands them on: CR LF and lone CR become LF.
fn normalize_eol(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_owned();
    }
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn unescape(raw: &str) -> Result<String, ExchangeError> {
    quick_xml::escape::unescape(raw)
        .map(|c| c.into_owned())
        .map_err(|e| ExchangeError::Forbidden(format!("thực thể không được phép: {e}")))
}

fn element(e: &BytesStart<'_>) -> Result<Element, ExchangeError> {
    let qname = std::str::from_utf8(e.name().as_ref()).map_err(|_| bad("tên phần tử không phải UTF-8"))?.to_owned();
    let mut out = Element { qname, ..Default::default() };
    for a in e.attributes() {
        let a = a.map_err(|e| bad(format!("thuộc tính không hợp lệ: {e}")))?;
        let key = std::str::from_utf8(a.key.as_ref()).map_err(|_| bad("tên thuộc tính không phải UTF-8"))?.to_owned();
        let raw = std::str::from_utf8(&a.value).map_err(|_| bad("thuộc tính không phải UTF-8"))?;
        // Attribute-value normalisation: each literal white-space character becomes a space,
        // characters given by reference stay what they are.
        let spaced: String =
            normalize_eol(raw).chars().map(|c| if matches!(c, '\t' | '\n') { ' ' } else { c }).collect();
        let value = unescape(&spaced)?;
        if key == "xmlns" {
            out.declares.push((String::new(), value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            out.declares.push((p.to_owned(), value));
        } else {
            out.attrs.push((key, value));
        }
    }
    Ok(out)
}

/// Reads the whole document into a tree (its one root element).
pub(super) fn parse(bytes: &[u8]) -> Result<Element, ExchangeError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(bad("gói tin phải mã hóa UTF-8"));
    }
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let mut buf = Vec::new();
    let push_text = |stack: &mut Vec<Element>, s: String| -> Result<(), ExchangeError> {
        match stack.last_mut() {
            Some(e) => {
                match e.children.last_mut() {
                    Some(Child::Text(t)) => t.push_str(&s),
                    _ => e.children.push(Child::Text(s)),
                }
                Ok(())
            }
            None if s.trim().is_empty() => Ok(()),
            None => Err(bad("có văn bản ngoài phần tử gốc")),
        }
    };
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| bad(format!("XML không hợp lệ: {e}")))? {
            Event::DocType(_) => return Err(ExchangeError::Forbidden("khai báo DOCTYPE không được phép".into())),
            Event::PI(_) => return Err(bad("chỉ dẫn xử lý (processing instruction) không được phép")),
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(bad("chỉ được có một phần tử gốc"));
            }
            Event::Start(e) => {
                count += 1;
                if count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err(bad("quá nhiều phần tử hoặc lồng quá sâu"));
                }
                stack.push(element(&e)?);
            }
            Event::Empty(e) => {
                count += 1;
                let el = element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Child::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| bad("thẻ đóng thừa"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Child::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let raw = std::str::from_utf8(t.as_ref()).map_err(|_| bad("văn bản không phải UTF-8"))?;
                push_text(&mut stack, normalize_eol(raw))?;
            }
            Event::CData(t) => {
                let raw = std::str::from_utf8(t.as_ref()).map_err(|_| bad("CDATA không phải UTF-8"))?;
                push_text(&mut stack, normalize_eol(raw))?;
            }
            Event::GeneralRef(r) => {
                let raw = std::str::from_utf8(r.as_ref()).map_err(|_| bad("tham chiếu không phải UTF-8"))?;
                push_text(&mut stack, unescape(&format!("&{raw};"))?)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(bad("gói tin bị cắt cụt (thiếu thẻ đóng)"));
    }
    root.ok_or_else(|| bad("gói tin rỗng"))
}

/// Text content as C14N writes it. The four characters it replaces are ASCII, so their bytes
/// never occur inside another character's UTF-8: the text is searched as bytes, with memchr,
/// because an attachment's base64 (most of a package) has none of them and is copied in runs.
fn escape_text(out: &mut Vec<u8>, s: &str) {
    let mut rest = s.as_bytes();
    out.reserve(rest.len());
    // Where the next `&`, `<` or `>` and the next CR are (offsets into `rest`), each searched
    // for again only after it is passed.
    let mut markup = memchr::memchr3(b'&', b'<', b'>', rest);
    let mut cr = memchr::memchr(b'\r', rest);
    loop {
        let i = match (markup, cr) {
            (Some(m), Some(c)) => m.min(c),
            (Some(i), None) | (None, Some(i)) => i,
            (None, None) => break,
        };
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(match rest[i] {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            _ => b"&#xD;",
        });
        rest = &rest[i + 1..];
        let step = i + 1;
        markup = match markup {
            Some(m) if m == i => memchr::memchr3(b'&', b'<', b'>', rest),
            m => m.map(|m| m - step),
        };
        cr = match cr {
            Some(c) if c == i => memchr::memchr(b'\r', rest),
            c => c.map(|c| c - step),
        };
    }
    out.extend_from_slice(rest);
}

fn escape_attr(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\t' => out.extend_from_slice(b"&#x9;"),
            '\n' => out.extend_from_slice(b"&#xA;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

/// Namespace declarations already written by an output ancestor.
type Rendered<'a> = Vec<(&'a str, &'a str)>;

/// Writes the canonical form of `e` (whose ancestors' namespaces are `outer`), leaving out
/// the element `skip` (the enveloped signature) wherever it is.
pub(super) fn canonicalize(e: &Element, outer: &Scope, method: Method, skip: Option<&Element>) -> Vec<u8> {
    let mut out = Vec::new();
    write(e, outer, &Vec::new(), method, skip, &mut out);
    out
}

fn write(
    e: &Element,
    outer: &Scope,
    rendered: &Rendered<'_>,
    method: Method,
    skip: Option<&Element>,
    out: &mut Vec<u8>,
) {
    if skip.is_some_and(|s| std::ptr::eq(s, e)) {
        return;
    }
    let scope = outer.with(e);
    // The namespace declarations this element must carry.
    let wanted: Vec<(String, String)> = match method {
        Method::Exclusive => {
            let mut used: Vec<&str> = vec![prefix_of(&e.qname)];
            for (name, _) in &e.attrs {
                let p = prefix_of(name);
                if !p.is_empty() && p != "xml" && !used.contains(&p) {
                    used.push(p);
                }
            }
            used.sort_unstable();
            used.into_iter().map(|p| (p.to_owned(), scope.uri(p).unwrap_or("").to_owned())).collect()
        }
        Method::Inclusive => scope.all().into_iter().map(|(p, u)| (p.to_owned(), u.to_owned())).collect(),
    };
    let mut mine: Rendered<'_> = rendered.clone();
    let mut decls: Vec<(String, String)> = Vec::new();
    for (p, uri) in wanted {
        let before = rendered.iter().rev().find(|(q, _)| *q == p).map(|(_, u)| *u);
        let needed = if p.is_empty() && uri.is_empty() {
            before.is_some_and(|u| !u.is_empty())
        } else {
            before != Some(uri.as_str())
        };
        if needed {
            decls.push((p, uri));
        }
    }
    out.push(b'<');
    out.extend_from_slice(e.qname.as_bytes());
    for (p, uri) in &decls {
        if p.is_empty() {
            out.extend_from_slice(b" xmlns=\"");
        } else {
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"=\"");
        }
        escape_attr(out, uri);
        out.push(b'"');
    }
    // Attributes by namespace URI (none first), then local name.
    let mut attrs: Vec<(&str, &str, &str, &str)> = e
        .attrs
        .iter()
        .map(|(n, v)| {
            let p = prefix_of(n);
            let uri = if p.is_empty() { "" } else { scope.uri(p).unwrap_or("") };
            (uri, local_of(n), n.as_str(), v.as_str())
        })
        .collect();
    attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, name, value) in attrs {
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        escape_attr(out, value);
        out.push(b'"');
    }
    out.push(b'>');
    for (p, uri) in &decls {
        mine.push((p.as_str(), uri.as_str()));
    }
    for child in &e.children {
        match child {
            Child::Text(t) => escape_text(out, t),
            Child::Element(c) => write(c, &scope, &mine, method, skip, out),
        }
    }
    out.extend_from_slice(b"</");
    out.extend_from_slice(e.qname.as_bytes());
    out.push(b'>');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, method: Method) -> String {
        let root = parse(xml.as_bytes()).unwrap();
        String::from_utf8(canonicalize(&root, &Scope::default(), method, None)).unwrap()
    }

    #[test]
    fn the_standards_examples_come_out_as_they_say() {
        // Canonical XML 1.0, 3.2 and 3.3 (white space in content, start and end tags).
        let xml = "<?xml version=\"1.0\"?>\r\n<doc>\r\n   <e1   />\n   <e2   ></e2>\n   <e3   name = \"elem3\"   id=\"elem3\"   />\n   <e5 a:attr=\"out\" b:attr=\"sorted\" attr2=\"all\" attr=\"I'm\"\n      xmlns:b=\"http://www.ietf.org\"\n      xmlns:a=\"http://www.w3.org\"\n      xmlns=\"http://example.org\"/>\n</doc>\n<!-- after -->";
        assert_eq!(
            c14n(xml, Method::Inclusive),
            "<doc>\n   <e1></e1>\n   <e2></e2>\n   <e3 id=\"elem3\" name=\"elem3\"></e3>\n   <e5 xmlns=\"http://example.org\" xmlns:a=\"http://www.w3.org\" xmlns:b=\"http://www.ietf.org\" attr=\"I'm\" attr2=\"all\" b:attr=\"sorted\" a:attr=\"out\"></e5>\n</doc>"
        );
        // 3.4: character references and attribute-value normalisation.
        let xml = "<doc><text>First line&#x0d;&#10;Second line</text><value>&#x32;</value><compute>value&gt;\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"</compute><norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/><normNames attr='   A   &#x20;&#13;&#xa;&#9;   B   '/></doc>";
        assert_eq!(
            c14n(xml, Method::Inclusive),
            "<doc><text>First line&#xD;\nSecond line</text><value>2</value><compute>value&gt;\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"</compute><norm attr=\" '    &#xD;&#xA;&#x9;   ' \"></norm><normNames attr=\"   A    &#xD;&#xA;&#x9;   B   \"></normNames></doc>"
        );
    }

    #[test]
    fn exclusive_carries_only_the_namespaces_an_element_uses() {
        let xml = "<n0:local xmlns:n0=\"foo:bar\" xmlns:n3=\"ftp://example.org\"><n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\"><n3:stuff xmlns:n3=\"ftp://example.org\"/></n1:elem2></n0:local>";
        let root = parse(xml.as_bytes()).unwrap();
        let elem2 = root.elements().next().unwrap();
        let scope = Scope::default().with(&root);
        assert_eq!(
            String::from_utf8(canonicalize(elem2, &scope, Method::Exclusive, None)).unwrap(),
            "<n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\"><n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff></n1:elem2>"
        );
        assert_eq!(
            String::from_utf8(canonicalize(elem2, &scope, Method::Inclusive, None)).unwrap(),
            "<n1:elem2 xmlns:n0=\"foo:bar\" xmlns:n1=\"http://example.net\" xmlns:n3=\"ftp://example.org\" xml:lang=\"en\"><n3:stuff></n3:stuff></n1:elem2>"
        );
    }

    #[test]
    fn a_default_namespace_is_undeclared_only_where_one_was_written() {
        let xml = "<a xmlns=\"urn:a\"><b xmlns=\"\"><c/></b></a>";
        assert_eq!(c14n(xml, Method::Exclusive), "<a xmlns=\"urn:a\"><b xmlns=\"\"><c></c></b></a>");
        assert_eq!(c14n("<b xmlns=\"\"><c/></b>", Method::Exclusive), "<b><c></c></b>");
    }

    #[test]
    fn text_is_escaped_as_c14n_says_wherever_the_characters_fall() {
        // The rule, one character at a time, against the byte search.
        fn by_chars(s: &str) -> String {
            s.chars()
                .map(|c| match c {
                    '&' => "&amp;".to_owned(),
                    '<' => "&lt;".to_owned(),
                    '>' => "&gt;".to_owned(),
                    '\r' => "&#xD;".to_owned(),
                    c => c.to_string(),
                })
                .collect()
        }
        let pieces = ["&", "<", ">", "\r", "\n", "a", "Đ", "ữ", "😀", "QUJD", "\"", "'"];
        let mut cases: Vec<String> = vec![String::new(), "x".repeat(100_000)];
        // Every string of up to four pieces: specials first, last, side by side, and beside
        // characters of two, three and four bytes.
        let mut grow = vec![String::new()];
        for _ in 0..4 {
            grow = grow.iter().flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}"))).collect();
            cases.extend(grow.iter().cloned());
        }
        cases.push(format!("{}&{}\r{}<", "A".repeat(70_000), "ằ".repeat(3_000), "B".repeat(5)));
        for case in &cases {
            let mut out = Vec::new();
            escape_text(&mut out, case);
            assert_eq!(String::from_utf8(out).unwrap(), by_chars(case), "text {case:?}");
        }
    }

    #[test]
    fn entities_and_instructions_are_refused() {
        assert!(parse(b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>").is_err());
        assert!(parse(b"<a>&x;</a>").is_err());
        assert!(parse(b"<a><?pi x?></a>").is_err());
        assert!(parse(b"<a></b>").is_err());
    }
}
