//! Reading a package: a small tree of elements by local name, built with limits (size,
//! depth, element count, text length) before anything is interpreted.

use quick_xml::events::Event;

use crate::ExchangeError;

/// Largest package read: 40 MB (about 29 MB of attachments after base64).
pub const MAX_PACKAGE_BYTES: usize = 40 * 1024 * 1024;
const MAX_DEPTH: usize = 16;
const MAX_ELEMENTS: usize = 20_000;
const MAX_TEXT_CHARS: usize = 100_000;

/// A malformed package, with what is wrong.
pub(super) fn bad(msg: String) -> ExchangeError {
    ExchangeError::Malformed(msg)
}

#[derive(Debug, Default)]
pub(super) struct Node {
    pub(super) name: String,
    /// Attributes by local name (namespace declarations left out).
    pub(super) attrs: Vec<(String, String)>,
    pub(super) text: String,
    pub(super) children: Vec<Node>,
    /// Where the element starts and ends in the package's bytes.
    pub(super) span: (usize, usize),
}

impl Node {
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    pub(super) fn opt_child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    pub(super) fn child(&self, name: &str) -> Result<&Node, ExchangeError> {
        self.opt_child(name).ok_or_else(|| bad(format!("thiếu phần tử {name} trong {}", self.name)))
    }
    pub(super) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    pub(super) fn opt_text(&self, name: &str) -> Option<&str> {
        self.opt_child(name).map(|c| c.text.as_str())
    }
    pub(super) fn text_of(&self, name: &str) -> Result<&str, ExchangeError> {
        self.child(name).map(|c| c.text.as_str())
    }
}

fn local_name(qname: &[u8]) -> Result<String, ExchangeError> {
    let local = match qname.iter().position(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    std::str::from_utf8(local).map(str::to_owned).map_err(|_| bad("tên phần tử không phải UTF-8".into()))
}

/// An element's name and attributes (at most 16; values unescaped, entities refused).
fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<Node, ExchangeError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| bad(format!("thuộc tính không hợp lệ: {e}")))?;
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        if attrs.len() >= 16 {
            return Err(bad("quá nhiều thuộc tính".into()));
        }
        let value = a.unescape_value().map_err(|e| ExchangeError::Forbidden(format!("giá trị thuộc tính: {e}")))?;
        if value.len() > 2048 {
            return Err(bad("giá trị thuộc tính quá dài".into()));
        }
        attrs.push((local_name(key)?, value.into_owned()));
    }
    Ok(Node { name: local_name(e.name().as_ref())?, attrs, ..Default::default() })
}

pub(super) fn parse_tree(bytes: &[u8]) -> Result<Node, ExchangeError> {
    if bytes.len() > MAX_PACKAGE_BYTES {
        return Err(ExchangeError::TooLarge { size: bytes.len(), limit: MAX_PACKAGE_BYTES });
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(bad("gói tin phải mã hóa UTF-8".into()));
    }
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut count = 0usize;
    let mut buf = Vec::new();
    loop {
        let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event_into(&mut buf).map_err(|e| bad(format!("XML không hợp lệ: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(ExchangeError::Forbidden(
                    "khai báo DOCTYPE/thực thể (DTD, external entity) không được phép".into(),
                ));
            }
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(bad("chỉ được có một phần tử gốc".into()));
            }
            Event::Start(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(bad(format!("quá nhiều phần tử (tối đa {MAX_ELEMENTS})")));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(bad(format!("lồng quá sâu (tối đa {MAX_DEPTH} cấp)")));
                }
                let mut node = element(&e)?;
                node.span.0 = at;
                stack.push(node);
            }
            Event::Empty(e) => {
                count += 1;
                let mut node = element(&e)?;
                node.span = (at, usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX));
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::End(_) => {
                let mut node = stack.pop().ok_or_else(|| bad("thẻ đóng thừa".into()))?;
                node.span.1 = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| bad(format!("văn bản không hợp lệ: {e}")))?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(t) => {
                let s = std::str::from_utf8(t.as_ref()).map_err(|_| bad("CDATA không phải UTF-8".into()))?;
                push_text(&mut stack, s)?;
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| bad(format!("tham chiếu ký tự không hợp lệ: {e}")))?
                {
                    Some(c) => c,
                    None => match AsRef::<[u8]>::as_ref(&*r) {
                        b"lt" => '<',
                        b"gt" => '>',
                        b"amp" => '&',
                        b"quot" => '"',
                        b"apos" => '\'',
                        other => {
                            return Err(ExchangeError::Forbidden(format!(
                                "thực thể không được phép: &{};",
                                String::from_utf8_lossy(other)
                            )));
                        }
                    },
                };
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]))?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(bad("gói tin bị cắt cụt (thiếu thẻ đóng)".into()));
    }
    root.ok_or_else(|| bad("gói tin rỗng".into()))
}

fn push_text(stack: &mut [Node], s: &str) -> Result<(), ExchangeError> {
    match stack.last_mut() {
        Some(node) => {
            // Whitespace between elements is layout; text in leaves is kept exactly.
            node.text.push_str(s);
            if node.text.len() > MAX_TEXT_CHARS * 4
                && !matches!(node.name.as_str(), "Data" | "Signature" | "ContentTransferEncoded" | "DigitalSignature")
            {
                return Err(bad(format!("nội dung phần tử {} quá dài", node.name)));
            }
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(bad("có văn bản ngoài phần tử gốc".into())),
    }
}
