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

#[cfg(test)]
mod tests {
    use super::*;

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
