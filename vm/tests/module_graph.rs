//! The runner's layout stays layered: no file of `vm/src` imports a module
//! that imports it back, directly or through others, and neither does any
//! folder; nor does any file of the reports crate (`reports/src`). Read from the sources, so that a new cycle fails here, with its
//! path, before anyone has to untangle it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn reports_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/src")
}

/// `run/events.rs` → `run::events`, `run/mod.rs` → `run`, `main.rs` → ``.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "main" | "lib")
    ) {
        parts.pop();
    }
    parts.join("::")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::a::b::...` path in a file, as written.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let path: Vec<String> = after
            .split("::")
            .map(|seg| {
                seg.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|seg| !seg.is_empty())
            .collect();
        // `crate::a::{b, c::D}`: one path per item.
        let written: usize = path.iter().map(|s| s.len() + 2).sum();
        let group = after
            .get(written..)
            .filter(|g| g.starts_with('{'))
            .map(top_level_items);
        match group {
            Some(items) => {
                for item in items {
                    let head: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !head.is_empty() {
                        found.push(path.iter().cloned().chain([head]).collect());
                    }
                }
            }
            None if !path.is_empty() => found.push(path),
            None => {}
        }
        rest = after;
    }
    found
}

/// The items of `{a, b::{c, d}, e}` at its own level: `a`, `b::{c, d}`, `e`.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 1);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 1 => {
                items.push(&group[start..i]);
                start = i + 1;
                if c == '}' {
                    break;
                }
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    items
}

/// File module → the file modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    graph_of(&src())
}

fn graph_of(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let root = root.to_path_buf();
    let mut files = Vec::new();
    sources(&root, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&root).unwrap()))
        .collect();
    let mut edges = BTreeMap::new();
    for f in &files {
        let me = module_of(f.strip_prefix(&root).unwrap());
        let text = std::fs::read_to_string(f).unwrap();
        let mut to = BTreeSet::new();
        for path in crate_paths(&text) {
            // The longest prefix that is a file module.
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].join("::"))
                .find(|m| modules.contains(m));
            if let Some(t) = target.filter(|t| *t != me) {
                to.insert(t);
            }
        }
        edges.insert(me, to);
    }
    edges
}

/// A cycle through `start`, if any, as the list of nodes on it.
fn cycle_from(start: &str, edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn walk(
        node: &str,
        start: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in edges.get(node).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(next, start, edges, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(start, start, edges, &mut path, &mut seen).then_some(path)
}

fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    edges
        .keys()
        .filter_map(|n| cycle_from(n, edges))
        .map(|c| format!("{} -> {}", c.join(" -> "), c[0]))
        .collect()
}

#[test]
fn no_file_imports_a_module_that_imports_it_back() {
    let found = cycles(&graph());
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn no_file_of_the_reports_imports_a_module_that_imports_it_back() {
    let edges = graph_of(&reports_src());
    assert!(edges.contains_key("mutants"), "{:?}", edges.keys());
    let found = cycles(&edges);
    assert!(
        found.is_empty(),
        "import cycles in reports:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_folder_imports_a_folder_that_imports_it_back() {
    let top = |m: &str| m.split("::").next().unwrap_or("").to_string();
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in graph() {
        // main.rs composes everything; it is the root, not a layer.
        if from.is_empty() {
            continue;
        }
        let entry = folders.entry(top(&from)).or_default();
        entry.extend(to.iter().map(|t| top(t)).filter(|t| *t != top(&from)));
    }
    let found = cycles(&folders);
    assert!(
        found.is_empty(),
        "folders that import each other:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_reader_finds_paths_and_modules() {
    assert_eq!(
        crate_paths("use crate::run::{events, vm::{self, X}};\nx(crate::cli::Cli)"),
        [vec!["run", "events"], vec!["run", "vm"], vec!["cli", "Cli"]]
    );
    assert_eq!(module_of(Path::new("run/mod.rs")), "run");
    assert_eq!(module_of(Path::new("run/vm.rs")), "run::vm");
    let edges = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(cycles(&edges), ["a -> b -> a", "b -> a -> b"]);
}
