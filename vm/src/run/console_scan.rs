//! Finding guest trouble in console output and dmesg: a panic, an oops,
//! `BUG:`, `WARNING:`, or a CPU or task stuck (an RCU stall, a soft
//! lockup, a hung task). Any of them fails the run, even when every test
//! passed, as the kernel's own test tools do.

/// Lines kept after the one that matched: enough for a call trace.
const EXCERPT_LINES: usize = 40;
/// Beyond this, more findings add nothing but length to the report.
const MAX_FINDINGS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    Panic,
    Oops,
    Bug,
    Warning,
    /// A CPU or a task stuck: the kernel says so only after seconds (an
    /// RCU stall after 21 s), and the run would otherwise end at its
    /// timeout.
    Stall,
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Trouble::Panic => "kernel panic",
            Trouble::Oops => "oops",
            Trouble::Bug => "BUG",
            Trouble::Warning => "WARNING",
            Trouble::Stall => "stall",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub trouble: Trouble,
    /// The matching line, then what followed it.
    pub excerpt: Vec<String>,
}

#[derive(Debug, Default)]
pub struct ConsoleScan {
    findings: Vec<Finding>,
    /// Still collecting lines for the last finding.
    open: bool,
    dropped: usize,
}

/// The message of a kernel log line: without the `[ 1.234567]` timestamp
/// and a `<4>` level prefix, so that matches anchor at its start and a
/// test's own output that merely mentions "BUG:" mid-line is not taken.
fn message(line: &str) -> &str {
    let mut s = line.trim_start();
    if let Some(rest) = s.strip_prefix('<') {
        if let Some((level, rest)) = rest.split_once('>') {
            if level.chars().all(|c| c.is_ascii_digit()) {
                s = rest;
            }
        }
    }
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((stamp, rest)) = rest.split_once(']') {
            if stamp.trim().chars().all(|c| c.is_ascii_digit() || c == '.') {
                s = rest;
            }
        }
    }
    s.trim_start()
}

pub fn classify(line: &str) -> Option<Trouble> {
    let m = message(line);
    if m.starts_with("Kernel panic - not syncing") {
        Some(Trouble::Panic)
    } else if m.starts_with("Oops:") || m.starts_with("general protection fault") {
        Some(Trouble::Oops)
    } else if m.starts_with("BUG:") || m.starts_with("kernel BUG at") {
        Some(Trouble::Bug)
    } else if m.starts_with("WARNING:") {
        Some(Trouble::Warning)
    } else if (m.starts_with("rcu: INFO: ") && m.contains("stall"))
        || m.starts_with("watchdog: BUG: soft lockup")
        || m.starts_with("watchdog: Watchdog detected hard LOCKUP")
        || (m.starts_with("INFO: task ") && m.contains(" blocked for more than "))
    {
        Some(Trouble::Stall)
    } else {
        None
    }
}

impl ConsoleScan {
    pub fn line(&mut self, line: &str) {
        if let Some(trouble) = classify(line) {
            if self.findings.len() < MAX_FINDINGS {
                self.findings.push(Finding {
                    trouble,
                    excerpt: vec![line.to_string()],
                });
                self.open = true;
            } else {
                self.dropped += 1;
                self.open = false;
            }
            return;
        }
        if !self.open {
            return;
        }
        let last = self.findings.last_mut().expect("open finding");
        last.excerpt.push(line.to_string());
        if last.excerpt.len() > EXCERPT_LINES || message(line).starts_with("---[ end") {
            self.open = false;
        }
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// One line per finding, for a failure message: `kernel panic: Kernel
    /// panic - not syncing: sysrq triggered crash`.
    pub fn summary(&self) -> Option<String> {
        let first = self.findings.first()?;
        let mut s = format!("{}: {}", first.trouble, message(&first.excerpt[0]));
        let more = self.findings.len() - 1 + self.dropped;
        if more > 0 {
            s.push_str(&format!(" (and {more} more)"));
        }
        Some(s)
    }

    /// Every excerpt, for the JUnit system-err.
    pub fn excerpts(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&f.excerpt.join("\n"));
            out.push_str("\n\n");
        }
        if self.dropped > 0 {
            out.push_str(&format!("({} more findings not shown)\n", self.dropped));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_trouble_is_found_after_the_timestamp() {
        assert_eq!(
            classify("[   12.345678] Kernel panic - not syncing: sysrq triggered crash"),
            Some(Trouble::Panic)
        );
        assert_eq!(
            classify("[    3.1] WARNING: CPU: 0 PID: 1 at fs/x.c:1 f+0x1/0x2"),
            Some(Trouble::Warning)
        );
        assert_eq!(
            classify("<1>[ 5.0] BUG: kernel NULL pointer dereference, address: 0"),
            Some(Trouble::Bug)
        );
        assert_eq!(
            classify("[ 5.0] Oops: 0002 [#1] PREEMPT SMP NOPTI"),
            Some(Trouble::Oops)
        );
        assert_eq!(classify("kernel BUG at mm/slub.c:1!"), Some(Trouble::Bug));
    }

    #[rstest::rstest]
    #[case::rcu_self_detected("rcu: INFO: rcu_sched self-detected stall on CPU")]
    #[case::rcu_detected("[ 30.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:")]
    #[case::soft_lockup("[ 40.0] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [audit:341]")]
    #[case::hard_lockup("watchdog: Watchdog detected hard LOCKUP on cpu 1")]
    #[case::hung_task("[ 245.0] INFO: task fs:77 blocked for more than 122 seconds.")]
    fn a_stuck_cpu_or_task_is_trouble(#[case] line: &str) {
        assert_eq!(classify(line), Some(Trouble::Stall));
    }

    #[test]
    fn ordinary_lines_and_mentions_are_not_trouble() {
        for line in [
            "[    0.5] LSM: initializing lsm=lockdown,capability,landlock",
            "llconf-guest: suite base exited with 0",
            "test says: no BUG: here",
            "[    0.1] panic=-1 on the command line",
            "[    0.1] rcu: \tRCU CPU stall warnings timeout set to 100 (rcu_cpu_stall_timeout).",
            "[    0.2] rcu: Hierarchical RCU implementation.",
            "",
        ] {
            assert_eq!(classify(line), None, "{line}");
        }
    }

    #[test]
    fn excerpts_follow_the_trace_to_its_end() {
        let mut scan = ConsoleScan::default();
        for l in [
            "[ 1.0] booting",
            "[ 2.0] WARNING: CPU: 1 PID: 7 at kernel/x.c:9 f",
            "[ 2.0] Call Trace:",
            "[ 2.0] ---[ end trace 0000000000000000 ]---",
            "[ 3.0] later, unrelated",
            "[ 4.0] Kernel panic - not syncing: sysrq triggered crash",
            "[ 4.0] CPU: 0 PID: 1",
        ] {
            scan.line(l);
        }
        let f = scan.findings();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].trouble, Trouble::Warning);
        assert_eq!(f[0].excerpt.len(), 3, "{:?}", f[0].excerpt);
        assert_eq!(f[1].excerpt.len(), 2);
        assert_eq!(
            scan.summary().unwrap(),
            "WARNING: WARNING: CPU: 1 PID: 7 at kernel/x.c:9 f (and 1 more)"
        );
        assert!(scan.excerpts().contains("sysrq triggered crash"));
    }

    #[test]
    fn a_clean_console_has_no_summary() {
        let mut scan = ConsoleScan::default();
        scan.line("[ 0.0] Linux version 6.12");
        assert!(scan.summary().is_none());
        assert!(scan.findings().is_empty());
    }
}
