//! Mutation points: plausible one-line bugs in a C file, found by parsing
//! it with tree-sitter (not with regexes: a `<` in a comment or a string is
//! no comparison). Each mutant is one replacement of a byte range, with a
//! stable id `file:line:col:operator`.

pub use llconf_reports::mutants::Operator;

use tree_sitter::{Node, Parser};

/// The errors whose return, made success, lets an operation through.
const DENIALS: [&str; 7] = [
    "EACCES", "EPERM", "EINVAL", "E2BIG", "ENOMSG", "EBADF", "EXDEV",
];
/// The error a success return becomes.
const DENIAL: &str = "-EACCES";
/// The constant families whose members are dropped from a `|`.
const FLAG_FAMILIES: [&str; 6] = [
    "LANDLOCK_ACCESS_",
    "LANDLOCK_SCOPE_",
    "LANDLOCK_ADD_RULE_",
    "LANDLOCK_RESTRICT_SELF_",
    "LANDLOCK_CREATE_RULESET_",
    "LANDLOCK_LOG_",
];
/// Checks at build time or in debug builds only: nothing in them, nor
/// their removal, changes what the kernel does.
const BUILD_CHECKS: [&str; 5] = [
    "BUILD_BUG_ON",
    "BUILD_BUG_ON_MSG",
    "static_assert",
    "might_sleep",
    "lockdep_assert_held",
];
/// Warnings of what must not happen: removing the statement changes
/// nothing a correct kernel shows (one that warns is caught by the console
/// check anyway). Their arguments are still mutated: `if (WARN_ON(x))`
/// decides a branch. The first sample of net.c had `WARN_ON_ONCE(1);` in
/// an unreachable branch as its one miss.
const WARNINGS: [&str; 8] = [
    "WARN",
    "WARN_ON",
    "WARN_ONCE",
    "WARN_ON_ONCE",
    "pr_warn",
    "pr_warn_once",
    "pr_err",
    "pr_info",
];

/// One planted bug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// Relative to the tree: `security/landlock/net.c`.
    pub file: String,
    /// 1-based, of the first byte replaced.
    pub line: usize,
    pub col: usize,
    pub operator: Operator,
    /// The byte range replaced, and with what.
    pub start: usize,
    pub end: usize,
    pub replacement: String,
    /// The lines (1-based, inclusive) of the function the bug is in, if
    /// any: a test that reached the bug entered it.
    pub function: Option<(usize, usize)>,
}

impl Mutant {
    pub fn id(&self) -> String {
        format!("{}:{}:{}:{}", self.file, self.line, self.col, self.operator)
    }

    /// The source with this bug in it.
    pub fn apply(&self, source: &str) -> String {
        // As many lines as before: a call over several lines dropped must
        // not move the lines after it, or every `__LINE__` (WARN_ON's) and
        // line of debug information after it changes, and a mutant in
        // code this configuration does not build would look built.
        let lost = source[self.start..self.end].matches('\n').count();
        let kept = self.replacement.matches('\n').count();
        format!(
            "{}{}{}{}",
            &source[..self.start],
            self.replacement,
            "\n".repeat(lost.saturating_sub(kept)),
            &source[self.end..]
        )
    }

    /// The changed lines, before and after, as a unified diff would show
    /// them.
    pub fn diff(&self, source: &str) -> String {
        let line_start = source[..self.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[self.end..]
            .find('\n')
            .map_or(source.len(), |i| self.end + i);
        let before = &source[line_start..line_end];
        let after = format!(
            "{}{}{}",
            &source[line_start..self.start],
            self.replacement,
            &source[self.end..line_end]
        );
        let mut out = format!(
            "--- a/{f}\n+++ b/{f}\n@@ -{l} +{l} @@\n",
            f = self.file,
            l = self.line
        );
        for l in before.lines() {
            out.push_str(&format!("-{l}\n"));
        }
        for l in after.lines() {
            out.push_str(&format!("+{l}\n"));
        }
        out
    }
}

/// Every mutant of `source`, in source order.
pub fn find(file: &str, source: &str) -> Vec<Mutant> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_c::LANGUAGE.into())
        .expect("the C grammar loads");
    let Some(tree) = parser.parse(source, None) else {
        return Vec::new();
    };
    let mut finder = Finder {
        file,
        source,
        found: Vec::new(),
        function: None,
    };
    finder.walk(tree.root_node(), None);
    finder.found.sort_by_key(|m| (m.start, m.operator));
    finder.found
}

struct Finder<'a> {
    file: &'a str,
    source: &'a str,
    found: Vec<Mutant>,
    /// The lines of the function being walked (C nests none).
    function: Option<(usize, usize)>,
}

impl Finder<'_> {
    fn text(&self, n: Node) -> &str {
        &self.source[n.byte_range()]
    }

    fn add(&mut self, n: Node, operator: Operator, replacement: String) {
        self.add_range(n.start_byte(), n.end_byte(), n, operator, replacement);
    }

    fn add_range(&mut self, start: usize, end: usize, at: Node, op: Operator, replacement: String) {
        let p = at.start_position();
        let (line, col) = if start == at.start_byte() {
            (p.row + 1, p.column + 1)
        } else {
            let before = &self.source[..start];
            let line = before.matches('\n').count() + 1;
            let col = start - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            (line, col)
        };
        self.found.push(Mutant {
            file: self.file.to_string(),
            line,
            col,
            operator: op,
            start,
            end,
            replacement,
            function: self.function,
        });
    }

    /// `returns`: the return type of the function being walked.
    fn walk(&mut self, n: Node, returns: Option<&str>) {
        // Half-parsed code (a macro tree-sitter cannot see through) is
        // left alone rather than mutated blindly.
        if n.is_error() || n.is_missing() {
            return;
        }
        if n.kind() == "call_expression" && self.called(n, &BUILD_CHECKS) {
            return; // a check at build time: a mutant there changes nothing
        }
        let mut returns = returns.map(str::to_string);
        match n.kind() {
            "function_definition" => {
                self.function = Some((n.start_position().row + 1, n.end_position().row + 1));
                let ty = n
                    .child_by_field_name("type")
                    .map(|t| self.text(t).to_string());
                self.early_return(n, ty.as_deref());
                returns = ty;
            }
            "return_statement" if !n.has_error() => self.returns(n, returns.as_deref()),
            "if_statement" => {
                if let Some(c) = n
                    .child_by_field_name("condition")
                    .filter(|c| !c.has_error())
                {
                    let inner = self.text(c);
                    let inner = inner
                        .strip_prefix('(')
                        .and_then(|s| s.strip_suffix(')'))
                        .unwrap_or(inner);
                    self.add(c, Operator::NegateCondition, format!("(!({inner}))"));
                }
            }
            "binary_expression" if !n.has_error() => self.binary(n),
            "expression_statement" if !n.has_error() => self.call_statement(n),
            _ => {}
        }
        let mut cursor = n.walk();
        for child in n.children(&mut cursor) {
            self.walk(child, returns.as_deref());
        }
        if n.kind() == "function_definition" {
            self.function = None;
        }
    }

    fn returns(&mut self, n: Node, returns: Option<&str>) {
        let Some(value) = n.named_child(0) else {
            return;
        };
        let text = self.text(value).trim();
        let errno = text
            .strip_prefix('-')
            .map(str::trim)
            .filter(|e| DENIALS.contains(e));
        if errno.is_some() {
            self.add(value, Operator::ErrorToSuccess, "0".into());
        } else if text == "0" && returns == Some("int") {
            self.add(value, Operator::SuccessToError, DENIAL.into());
        }
    }

    fn binary(&mut self, n: Node) {
        let (Some(left), Some(op), Some(right)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("operator"),
            n.child_by_field_name("right"),
        ) else {
            return;
        };
        let swapped = match self.text(op) {
            "&&" => Some((Operator::SwapLogic, "||")),
            "||" => Some((Operator::SwapLogic, "&&")),
            "<" => Some((Operator::Comparison, "<=")),
            "<=" => Some((Operator::Comparison, "<")),
            ">" => Some((Operator::Comparison, ">=")),
            ">=" => Some((Operator::Comparison, ">")),
            "==" => Some((Operator::Comparison, "!=")),
            "!=" => Some((Operator::Comparison, "==")),
            "|" => {
                // Drop whichever side is one flag of a family.
                for (flag, kept) in [(right, left), (left, right)] {
                    let name = self.text(flag);
                    if flag.kind() == "identifier"
                        && FLAG_FAMILIES.iter().any(|f| name.starts_with(f))
                    {
                        let kept = self.text(kept).to_string();
                        self.add(n, Operator::DropFlag, kept);
                        break;
                    }
                }
                None
            }
            _ => None,
        };
        if let Some((operator, to)) = swapped {
            self.add(op, operator, to.into());
        }
    }

    fn call_statement(&mut self, n: Node) {
        let Some(call) = n.named_child(0).filter(|c| c.kind() == "call_expression") else {
            return;
        };
        if n.named_child_count() != 1 {
            return;
        }
        if !self.called(call, &BUILD_CHECKS) && !self.called(call, &WARNINGS) {
            self.add(n, Operator::DropCall, ";".into());
        }
    }

    fn called(&self, call: Node, names: &[&str]) -> bool {
        let name = call
            .child_by_field_name("function")
            .map(|f| self.text(f))
            .unwrap_or_default();
        names.contains(&name)
    }

    fn early_return(&mut self, n: Node, ty: Option<&str>) {
        let Some(declarator) = n.child_by_field_name("declarator") else {
            return;
        };
        let named = declarator
            .child_by_field_name("declarator")
            .map(|d| self.text(d))
            .unwrap_or_default();
        if !named.starts_with("hook_") {
            return;
        }
        let Some(body) = n.child_by_field_name("body") else {
            return;
        };
        let statement = match ty {
            Some("int") => "return 0;",
            Some("void") => "return;",
            _ => return,
        };
        // Right after the opening brace.
        let at = body.start_byte() + 1;
        self.add_range(at, at, body, Operator::EarlyReturn, format!(" {statement}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn only(source: &str, op: Operator) -> Vec<String> {
        find("x.c", source)
            .into_iter()
            .filter(|m| m.operator == op)
            .map(|m| m.apply(source))
            .collect()
    }

    #[rstest]
    #[case::error_made_success(
        "int f(void) { return -EACCES; }",
        Operator::ErrorToSuccess,
        &["int f(void) { return 0; }"]
    )]
    #[case::other_errors_are_left(
        "int f(void) { return -ENOMEM; }",
        Operator::ErrorToSuccess,
        &[]
    )]
    #[case::success_made_an_error(
        "int f(void) { return 0; }",
        Operator::SuccessToError,
        &["int f(void) { return -EACCES; }"]
    )]
    #[case::not_in_a_bool_function(
        "bool f(void) { return 0; }",
        Operator::SuccessToError,
        &[]
    )]
    #[case::condition_negated(
        "void f(int a) { if (a > 1) g(); }",
        Operator::NegateCondition,
        &["void f(int a) { if (!(a > 1)) g(); }"]
    )]
    #[case::and_or(
        "int f(int a, int b) { return a && b; }",
        Operator::SwapLogic,
        &["int f(int a, int b) { return a || b; }"]
    )]
    #[case::comparisons(
        "int f(int a) { return a < 3 || a == 9; }",
        Operator::Comparison,
        &["int f(int a) { return a <= 3 || a == 9; }", "int f(int a) { return a < 3 || a != 9; }"]
    )]
    #[case::a_flag_dropped(
        "int m = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;",
        Operator::DropFlag,
        &["int m = LANDLOCK_ACCESS_FS_READ_FILE;"]
    )]
    #[case::other_ors_are_left("int m = A | B;", Operator::DropFlag, &[])]
    #[case::a_call_dropped(
        "void f(void) { audit_log(x); y = g(); BUILD_BUG_ON(1); }",
        Operator::DropCall,
        &["void f(void) { ; y = g(); BUILD_BUG_ON(1); }"]
    )]
    #[case::a_hook_returns_first(
        "static int hook_file_open(struct file *f) { return check(f); }",
        Operator::EarlyReturn,
        &["static int hook_file_open(struct file *f) { return 0; return check(f); }"]
    )]
    #[case::a_void_hook_too(
        "static void hook_cred_free(struct cred *c) { put(c); }",
        Operator::EarlyReturn,
        &["static void hook_cred_free(struct cred *c) { return; put(c); }"]
    )]
    #[case::only_hooks(
        "static int helper(void) { return 1; }",
        Operator::EarlyReturn,
        &[]
    )]
    fn each_operator_plants_its_bug(
        #[case] source: &str,
        #[case] op: Operator,
        #[case] expected: &[&str],
    ) {
        assert_eq!(only(source, op), expected);
    }

    #[test]
    fn a_warning_is_kept_but_what_it_decides_is_mutated() {
        let source = "int f(int x) { WARN_ON_ONCE(1); if (WARN_ON(!x)) return -EINVAL; return 0; }";
        let ops: Vec<Operator> = find("x.c", source).iter().map(|m| m.operator).collect();
        assert!(!ops.contains(&Operator::DropCall), "{ops:?}");
        assert_eq!(
            only(source, Operator::NegateCondition),
            ["int f(int x) { WARN_ON_ONCE(1); if (!(WARN_ON(!x))) return -EINVAL; return 0; }"]
        );
    }

    #[test]
    fn a_call_over_several_lines_dropped_keeps_the_lines_after_it_in_place() {
        let source = "void f(void)\n{\n\tcall(a,\n\t     b);\n\tWARN_ON(1);\n}\n";
        let m = find("x.c", source);
        let dropped = m
            .iter()
            .find(|m| m.operator == Operator::DropCall)
            .expect("a drop-call");
        let after = dropped.apply(source);
        assert_eq!(after.lines().count(), source.lines().count());
        assert_eq!(after, "void f(void)\n{\n\t;\n\n\tWARN_ON(1);\n}\n");
    }

    #[test]
    fn operators_are_named_alike_in_ids_and_json() {
        for op in Operator::ALL {
            assert_eq!(serde_json::to_value(op).unwrap(), op.name());
        }
    }

    #[test]
    fn comments_strings_and_build_checks_hold_no_mutants() {
        let source = "/* a < b && return -EACCES; */\nconst char *s = \"x == y\";\n\
                      void f(void) { BUILD_BUG_ON(sizeof(a) > sizeof(b)); WARN_ON_ONCE(1); }\n";
        assert!(find("x.c", source).is_empty());
    }

    #[test]
    fn ids_are_stable_and_diffs_show_the_line() {
        let source = "int f(int a)\n{\n\tif (a)\n\t\treturn -EPERM;\n\treturn 0;\n}\n";
        let m = find("security/landlock/x.c", source);
        let ids: Vec<String> = m.iter().map(Mutant::id).collect();
        assert_eq!(
            ids,
            [
                "security/landlock/x.c:3:5:negate-condition",
                "security/landlock/x.c:4:10:error-to-success",
                "security/landlock/x.c:5:9:success-to-error",
            ]
        );
        assert_eq!(
            m[1].diff(source),
            "--- a/security/landlock/x.c\n+++ b/security/landlock/x.c\n@@ -4 +4 @@\n\
             -\t\treturn -EPERM;\n+\t\treturn 0;\n"
        );
    }

    /// Test selection falls back on a mutant's function when its own line
    /// has no counter: the function's lines, and none outside one.
    #[test]
    fn mutants_know_the_function_they_are_in() {
        let source = "static const int m = LANDLOCK_ACCESS_FS_EXECUTE | b;\n\
                      int f(int a)\n{\n\tif (a)\n\t\treturn -EPERM;\n\treturn 0;\n}\n\
                      static const int n = LANDLOCK_SCOPE_SIGNAL | b;\n";
        let spans: Vec<(usize, Option<(usize, usize)>)> = find("x.c", source)
            .iter()
            .map(|m| (m.line, m.function))
            .collect();
        assert_eq!(
            spans,
            [
                (1, None),
                (4, Some((2, 7))),
                (5, Some((2, 7))),
                (6, Some((2, 7))),
                (8, None)
            ]
        );
    }
}
