//! Known kernel bugs and unfixed errata, from `suites/known-issues.toml`:
//! which tests they make fail, on which kernel versions, and what fixes
//! them. The table is data reviewed like code and compiled into every suite
//! binary; `LLCONF_KNOWN_ISSUES=FILE` reads another one instead, to try an
//! entry without a rebuild.
//!
//! Two kinds of entry:
//! - a bug on a range of versions (`tests` and `affected`): the supervisor
//!   turns a failure of a listed test on an affected kernel into a known
//!   failure, and a pass there into an unexpected pass, which fails;
//! - an erratum (`erratum = N`, no `tests`): the test itself tells, from the
//!   errata bit and the behaviour it saw, that the kernel lacks the fix, and
//!   the entry supplies what the report says about it.

use llconf_record::KnownIssue;
use serde::Deserialize;
use std::sync::OnceLock;

/// Names another table file, read instead of the built-in one.
pub const KNOWN_ISSUES_ENV: &str = "LLCONF_KNOWN_ISSUES";

const BUILT_IN: &str = include_str!("../../known-issues.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    issue: Vec<Entry>,
}

/// One entry of the table; the README documents each field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub summary: String,
    /// Test names; `*` matches any run of characters.
    #[serde(default)]
    pub tests: Vec<String>,
    /// Version ranges, `from` included and `until` excluded.
    #[serde(default)]
    pub affected: Vec<Range>,
    /// The fixing commit's subject.
    #[serde(default)]
    pub fix: Option<String>,
    /// The fixing commit's id, where known.
    #[serde(default)]
    pub commit: Option<String>,
    /// The first fixed release of each series, in words.
    #[serde(default)]
    pub fixed_in: Option<String>,
    #[serde(default)]
    pub erratum: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub from: String,
    pub until: String,
}

/// A kernel version as upstream numbers it.
pub type Version = (u32, u32, u32);

/// `6.18.15` or `6.18` (patch 0) from the start of `s`; what follows the
/// numbers (`+deb13-amd64`, `-rc3`) is ignored.
pub fn parse_version(s: &str) -> Option<Version> {
    let head: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = head.split('.').filter(|p| !p.is_empty());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    Some((major, minor, patch))
}

/// The upstream version of the running kernel. Debian's stable kernels
/// name only the series in `uname -r` (`6.1.0-50-amd64`) and the real
/// version in `uname -v` (`... Debian 6.1.176-1 (...)`), so that is read
/// first.
pub fn running_version(release: &str, version: &str) -> Option<Version> {
    version
        .split("Debian ")
        .nth(1)
        .and_then(parse_version)
        .or_else(|| parse_version(release))
}

impl Entry {
    pub fn covers(&self, test: &str) -> bool {
        self.tests.iter().any(|p| glob(p, test))
    }

    pub fn affects(&self, v: Version) -> Result<bool, String> {
        for r in &self.affected {
            let (from, until) = (
                parse_version(&r.from)
                    .ok_or_else(|| format!("{}: bad version {:?}", self.id, r.from))?,
                parse_version(&r.until)
                    .ok_or_else(|| format!("{}: bad version {:?}", self.id, r.until))?,
            );
            if from <= v && v < until {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// What a record carries about this entry.
    pub fn issue(&self) -> KnownIssue {
        KnownIssue {
            id: self.id.clone(),
            summary: self.summary.clone(),
            fix: self.fix.clone(),
            commit: self.commit.clone(),
            fixed_in: self.fixed_in.clone(),
            erratum: self.erratum,
        }
    }
}

/// `*` matches any run of characters, everything else itself.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The whole table.
#[derive(Debug, Clone)]
pub struct Table {
    pub entries: Vec<Entry>,
}

impl Table {
    pub fn parse(text: &str) -> Result<Table, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let table = Table {
            entries: file.issue,
        };
        table.check()?;
        Ok(table)
    }

    /// What a reviewer would refuse: duplicate ids, an entry that can match
    /// no test on no kernel, a range that cannot be read.
    fn check(&self) -> Result<(), String> {
        let mut ids: Vec<&str> = self.entries.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("two entries have the id {}", w[0]));
        }
        for e in &self.entries {
            if e.erratum.is_none() && (e.tests.is_empty() || e.affected.is_empty()) {
                return Err(format!(
                    "{}: an entry without `erratum` needs `tests` and `affected`",
                    e.id
                ));
            }
            if e.tests.is_empty() != e.affected.is_empty() {
                return Err(format!("{}: `tests` and `affected` go together", e.id));
            }
            e.affects((0, 0, 0))?;
        }
        Ok(())
    }

    /// The entry that lists `test` as failing on kernel `v`.
    pub fn for_test(&self, test: &str, v: Version) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.covers(test) && e.affects(v).unwrap_or(false))
    }

    pub fn by_id(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn erratum(&self, n: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.erratum == Some(n))
    }
}

/// The table in force: the built-in one, or the file `LLCONF_KNOWN_ISSUES`
/// names. An unreadable table is an error for every test that consults it,
/// never a silent empty table.
pub fn table() -> Result<&'static Table, String> {
    static TABLE: OnceLock<Result<Table, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| match std::env::var_os(KNOWN_ISSUES_ENV) {
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e}", path.to_string_lossy()))
                .and_then(|t| {
                    Table::parse(&t).map_err(|e| format!("{}: {e}", path.to_string_lossy()))
                }),
            None => Table::parse(BUILT_IN).map_err(|e| format!("suites/known-issues.toml: {e}")),
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_reads_and_has_every_erratum() {
        let t = Table::parse(BUILT_IN).unwrap();
        for n in 1..=4 {
            let e = t
                .erratum(n)
                .unwrap_or_else(|| panic!("no entry for erratum {n}"));
            assert_eq!(e.id, format!("erratum-{n}"));
        }
    }

    #[test]
    fn versions_read_debian_and_upstream_forms() {
        assert_eq!(parse_version("6.18.15+deb13-amd64"), Some((6, 18, 15)));
        assert_eq!(parse_version("7.3"), Some((7, 3, 0)));
        assert_eq!(parse_version("7.0-rc3"), Some((7, 0, 0)));
        assert_eq!(parse_version("x"), None);
        assert_eq!(
            running_version(
                "6.1.0-50-amd64",
                "#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-01-01)"
            ),
            Some((6, 1, 176))
        );
        assert_eq!(
            running_version("7.3.4", "#1 Mon Dec 1 2026"),
            Some((7, 3, 4))
        );
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(glob("a::b::c", "a::b::c"));
        assert!(!glob("a::b", "a::b::c"));
        assert!(glob("a::*", "a::b::c"));
        assert!(glob("a::*::c", "a::b::c"));
        assert!(!glob("a::*::d", "a::b::c"));
        assert!(glob("*c", "a::b::c"));
    }

    const SAMPLE: &str = r#"
[[issue]]
id = "bug"
summary = "something leaks"
tests = ["s::x::*"]
affected = [{ from = "6.15", until = "6.18.16" }, { from = "6.19", until = "6.19.6" }]
fix = "landlock: Fix it"
commit = "0123456789ab"
fixed_in = "6.18.16, 6.19.6, 7.0"
"#;

    #[test]
    fn ranges_include_from_and_exclude_until() {
        let t = Table::parse(SAMPLE).unwrap();
        assert!(t.for_test("s::x::y", (6, 18, 15)).is_some());
        assert!(t.for_test("s::x::y", (6, 15, 0)).is_some());
        assert!(t.for_test("s::x::y", (6, 18, 16)).is_none());
        assert!(t.for_test("s::x::y", (6, 19, 5)).is_some());
        assert!(t.for_test("s::x::y", (7, 0, 0)).is_none());
        assert!(t.for_test("s::z::y", (6, 18, 15)).is_none());
        let issue = t.by_id("bug").unwrap().issue();
        assert_eq!(
            issue.describe(),
            "bug: something leaks; fixed by \"landlock: Fix it\" (commit 0123456789ab) \
             in 6.18.16, 6.19.6, 7.0"
        );
    }

    #[test]
    fn bad_tables_are_refused_with_the_entry_named() {
        for (text, says) in [
            ("[[issue]]\nid = \"a\"\nsummary = \"s\"\n", "a: an entry without"),
            (
                "[[issue]]\nid = \"a\"\nsummary = \"s\"\nerratum = 1\n[[issue]]\nid = \"a\"\nsummary = \"t\"\nerratum = 2\n",
                "two entries have the id a",
            ),
            (
                "[[issue]]\nid = \"b\"\nsummary = \"s\"\ntests = [\"x\"]\naffected = [{ from = \"six\", until = \"7\" }]\n",
                "b: bad version",
            ),
            ("[[issue]]\nid = \"c\"\nsummary = \"s\"\nerratum = 1\nwhat = 2\n", "unknown field"),
        ] {
            let e = Table::parse(text).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
