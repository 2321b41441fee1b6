//! Processes as a person reads them in a log: command lines, arguments
//! quoted for sh, signals by name.

use std::process::Command;

/// Single-quoted for sh: safe for any path or argument.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// How the command reads in a log: arguments with spaces quoted.
pub fn display(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| {
            let a = a.to_string_lossy();
            if a.contains([' ', '\'', '"']) {
                quote(&a)
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `SIGSEGV (11)`.
pub fn signal_name(number: i32) -> String {
    match nix::sys::signal::Signal::try_from(number) {
        Ok(s) => format!("{} ({number})", s.as_str()),
        Err(_) => format!("signal {number}"),
    }
}
