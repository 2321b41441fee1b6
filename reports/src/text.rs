//! Words for counts, and text from test processes made safe.
//!
//! Text from test processes (failure messages, skip reasons, output) is
//! untrusted: a control byte in it would drive the terminal that shows the
//! progress, or hide text in a page. Every report shows it through
//! [`visible`].

/// `s` with each control character other than newline and tab written as
/// `\xNN` (or `\u{NNNN}`), so that it shows instead of acting.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.into();
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\t' => o.push(c),
            c if c.is_control() && (c as u32) < 0x100 => {
                o.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => o.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => o.push(c),
        }
    }
    o.into()
}

/// `1 target`, `2 targets`: a count with its noun, singular or plural.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A plain-text table: columns padded to their widest cell, two spaces
/// apart, no trailing blanks.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&mut header.iter().copied());
    for r in rows {
        out += &line(&mut r.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_line_up() {
        let t = table(
            &["a", "bb"],
            &[vec!["xyz".into(), "1".into()], vec!["q".into(), "".into()]],
        );
        assert_eq!(t, "a    bb\nxyz  1\nq\n");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "target"), "1 target");
        assert_eq!(count(0, "target"), "0 targets");
        assert_eq!(count(12, "test"), "12 tests");
    }

    #[test]
    fn control_bytes_show_and_the_rest_stays() {
        assert_eq!(visible("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            visible("red \u{1b}[31mX\u{1b}[0m\r\u{7}\u{9b}"),
            "red \\x1b[31mX\\x1b[0m\\x0d\\x07\\x9b"
        );
    }
}
