//! How amounts are shown to people, whichever capability shows them.

/// `1.200.000 ₫`
pub fn vnd(amount: i64) -> String {
    motcua_domain::Vnd::new(amount).map_or_else(|_| amount.to_string(), |v| v.to_string())
}

/// A file's size as Vietnamese write it: `820 B`, `12 KB`, `1,5 MB`.
pub fn file_size(bytes: i64) -> String {
    const KB: i64 = 1024;
    match bytes {
        b if b < KB => format!("{b} B"),
        b if b < KB * KB => format!("{} KB", (b + KB / 2) / KB),
        b => {
            let tenths = (b * 10 + KB * KB / 2) / (KB * KB);
            if tenths % 10 == 0 { format!("{} MB", tenths / 10) } else { format!("{},{} MB", tenths / 10, tenths % 10) }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_sizes_read_the_vietnamese_way() {
        let cases =
            [(0, "0 B"), (820, "820 B"), (12 * 1024 + 100, "12 KB"), (1024 * 1024, "1 MB"), (1_572_864, "1,5 MB")];
        for (bytes, shown) in cases {
            assert_eq!(super::file_size(bytes), shown);
        }
        assert_eq!(super::vnd(1_200_000), "1.200.000 ₫");
    }
}
