//! GitHub Actions annotations (`::error title=...::message` workflow
//! commands) for what did not pass, printed by the report job so that the
//! run's page lists each failure by test and kernel without opening a log.
//! A failed test or a crashed suite is an error, a failed run-level check
//! (boot, ABI) too; a known kernel bug is a notice, since it is expected.

use crate::record::Outcome;
use crate::run_results::Run;

pub fn github(run: &Run) -> String {
    let mut out = String::new();
    for col in &run.columns {
        for p in col
            .meta
            .as_ref()
            .map(|m| m.problems.as_slice())
            .unwrap_or_default()
        {
            out.push_str(&line("error", &format!("{}: run", col.id), p));
        }
        for s in &col.suites {
            if let Some(c) = &s.crash {
                out.push_str(&line(
                    "error",
                    &format!("{}: {} crashed", col.id, s.suite),
                    c,
                ));
            }
            for t in &s.tests {
                let kind = match t.outcome {
                    Outcome::Failed => "error",
                    Outcome::KnownFailure => "notice",
                    _ => continue,
                };
                let mut msg = t
                    .failure
                    .as_ref()
                    .map_or_else(String::new, |f| f.to_string());
                if let Some(k) = &t.known {
                    msg = format!("known kernel bug {}: {msg}", k.id);
                }
                out.push_str(&line(kind, &format!("{}: {}", col.id, t.name), &msg));
            }
        }
    }
    out
}

fn line(kind: &str, title: &str, message: &str) -> String {
    format!("::{kind} title={}::{}\n", property(title), data(message))
}

/// A workflow command's message: `%`, CR and LF escaped.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as a message, and `:` and `,` too.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("a\nb 100%", "a%0Ab 100%25")]
    #[case("plain", "plain")]
    fn messages_are_escaped(#[case] input: &str, #[case] escaped: &str) {
        assert_eq!(data(input), escaped);
    }

    #[test]
    fn titles_escape_colons_and_commas() {
        assert_eq!(
            line("error", "debian-7.3-default: fs::a::b, c", "x"),
            "::error title=debian-7.3-default%3A fs%3A%3Aa%3A%3Ab%2C c::x\n"
        );
    }
}
