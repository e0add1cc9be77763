//! Rows in PostgreSQL's `COPY … FROM STDIN` text format, for bulk loads: one field after
//! another separated by tabs, a row per line, `\N` for NULL, and a backslash, tab, newline or
//! carriage return inside a value written as its escape. Building this is far cheaper than
//! binding a parameter per value, for the client and for the server.

use std::fmt::Write as _;

#[derive(Default)]
pub(crate) struct CopyText {
    buf: String,
    /// Fields written on the current row.
    fields: usize,
}

impl CopyText {
    fn sep(&mut self) {
        if self.fields > 0 {
            self.buf.push('\t');
        }
        self.fields += 1;
    }

    pub(crate) fn text(&mut self, s: &str) -> &mut Self {
        self.sep();
        for c in s.chars() {
            match c {
                '\\' => self.buf.push_str("\\\\"),
                '\t' => self.buf.push_str("\\t"),
                '\n' => self.buf.push_str("\\n"),
                '\r' => self.buf.push_str("\\r"),
                c => self.buf.push(c),
            }
        }
        self
    }

    pub(crate) fn opt_text(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub(crate) fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{v}");
        self
    }

    pub(crate) fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        self.sep();
        self.buf.push(if v { 't' } else { 'f' });
        self
    }

    pub(crate) fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("\\N");
        self
    }

    pub(crate) fn end_row(&mut self) {
        self.buf.push('\n');
        self.fields = 0;
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_separated_escaped_and_null_is_marked() {
        let mut c = CopyText::default();
        c.text("a\tb\\c\nd\re").int(-42).opt_text(None).opt_int(Some(7)).bool(true);
        c.end_row();
        c.text("Nguyễn Văn An").bool(false).null();
        c.end_row();
        assert_eq!(
            String::from_utf8(c.into_bytes()).unwrap(),
            "a\\tb\\\\c\\nd\\re\t-42\t\\N\t7\tt\nNguyễn Văn An\tf\t\\N\n"
        );
    }
}
