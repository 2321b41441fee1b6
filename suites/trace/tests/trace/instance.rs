//! A tracefs instance of one test: its own buffer, the events it enables,
//! only its own process traced; removed when dropped.

use llconf_harness::requirement::TRACEFS;
use llconf_harness::{ensure, fail, Stop, TestResult};
use std::path::PathBuf;

pub struct Instance {
    dir: PathBuf,
    /// Opened at creation, so that a domain that denies reading files
    /// (the subject of a test) does not deny reading the events.
    trace: std::fs::File,
}

impl Instance {
    /// A new instance tracing `events` (names under events/landlock) of
    /// this process only. Made before the test's domain, which may deny
    /// what it takes.
    pub fn new(events: &[&str]) -> Result<Instance, Stop> {
        let dir = PathBuf::from(format!("{TRACEFS}/instances/llconf-{}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| fail(format!("mkdir {}: {e}", dir.display())))?;
        let p = dir.join("trace");
        let trace = match std::fs::File::open(&p) {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                return Err(fail(format!("open {}: {e}", p.display())));
            }
        };
        let i = Instance { dir, trace };
        i.write("set_event_pid", &std::process::id().to_string())?;
        for e in events {
            i.write(&format!("events/landlock/{e}/enable"), "1")?;
        }
        Ok(i)
    }

    fn write(&self, rel: &str, value: &str) -> TestResult {
        let p = self.dir.join(rel);
        std::fs::write(&p, value).map_err(|e| fail(format!("write {}: {e}", p.display())))
    }

    /// The lines of event `name` in the buffer, each after `name: `.
    pub fn lines(&self, name: &str) -> Result<Vec<String>, Stop> {
        use std::io::{Read, Seek};
        let p = self.dir.join("trace");
        let mut f = &self.trace;
        let mut text = String::new();
        f.rewind()
            .and_then(|_| f.read_to_string(&mut text))
            .map_err(|e| fail(format!("read {}: {e}", p.display())))?;
        let marker = format!(" {name}: ");
        Ok(text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(&marker).map(|(_, rest)| rest.to_string()))
            .collect())
    }

    /// Exactly one `name` event, whose fields are returned.
    pub fn one(&self, name: &str, what: &str) -> Result<Fields, Stop> {
        let lines = self.lines(name)?;
        ensure!(
            lines.len() == 1,
            "{what}: {} {name} events, expected one: {lines:?}",
            lines.len()
        );
        Ok(Fields(lines[0].clone()))
    }

    /// No `name` event.
    pub fn none(&self, name: &str, what: &str) -> TestResult {
        let lines = self.lines(name)?;
        ensure!(
            lines.is_empty(),
            "{what}: {name} events, expected none: {lines:?}"
        );
        Ok(())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The `key=value` fields of one event line.
pub struct Fields(pub String);

impl Fields {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .split(' ')
            .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }

    /// Fails unless `key` is exactly `value`.
    pub fn expect(&self, key: &str, value: &str) -> TestResult {
        ensure!(
            self.get(key) == Some(value),
            "{key}={} in `{}`, expected {key}={value}",
            self.get(key).unwrap_or("(absent)"),
            self.0
        );
        Ok(())
    }

    /// The `|`-separated names of `key`.
    pub fn names(&self, key: &str) -> Vec<&str> {
        self.get(key).map_or(Vec::new(), |v| v.split('|').collect())
    }
}
