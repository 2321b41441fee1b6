//! The project's check of itself: a seccomp filter under which
//! landlock_restrict_self returns 0 and does nothing. Under it every
//! enforcement test must fail; one that passes cannot fail on a kernel that
//! enforces nothing. Installed by `llconf-fake-restrict-self CMD` (host
//! runs, `ci/fake-enforcement.sh`) or by a suite binary given
//! `--fake-restrict-self` (any kernel, any backend: `llconf run --
//! --fake-restrict-self`, then `ci/fake-enforcement-check.py`).
//!
//! And its sibling, `--fake-landlock-off`: every Landlock syscall returns
//! EOPNOTSUPP, as on a kernel booted without Landlock in `lsm=`. The suites
//! then see Landlock disabled, and every test must pass or skip: one that
//! fails uses Landlock without declaring it (`ci/landlock-off.sh`).

/// The suite argument that installs the filter in the supervisor, whose
/// test processes inherit it.
pub const FLAG: &str = "--fake-restrict-self";

/// The suite argument that makes Landlock look disabled the same way.
pub const OFF_FLAG: &str = "--fake-landlock-off";

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;

const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Installs the filter on the calling thread (and what it forks or
/// executes from now on).
pub fn install() -> std::io::Result<()> {
    // seccomp_data: nr at offset 0, arch at offset 4.
    load(&mut [
        stmt(LD_W_ABS, 4),
        jump(JEQ_K, AUDIT_ARCH_X86_64, 0, 3),
        stmt(LD_W_ABS, 0),
        jump(JEQ_K, crate::sys::SYS_RESTRICT_SELF as u32, 0, 1),
        // errno 0: the syscall "succeeds" without running.
        stmt(RET_K, SECCOMP_RET_ERRNO),
        stmt(RET_K, SECCOMP_RET_ALLOW),
    ])
}

/// Installs the filter of [`OFF_FLAG`]: the three Landlock syscalls
/// return EOPNOTSUPP, what a kernel without Landlock enabled returns.
pub fn install_off() -> std::io::Result<()> {
    load(&mut [
        stmt(LD_W_ABS, 4),
        jump(JEQ_K, AUDIT_ARCH_X86_64, 0, 4),
        stmt(LD_W_ABS, 0),
        jump(JEQ_K, crate::sys::SYS_CREATE_RULESET as u32, 3, 0),
        jump(JEQ_K, crate::sys::SYS_ADD_RULE as u32, 2, 0),
        jump(JEQ_K, crate::sys::SYS_RESTRICT_SELF as u32, 1, 0),
        stmt(RET_K, SECCOMP_RET_ALLOW),
        stmt(RET_K, SECCOMP_RET_ERRNO | libc::EOPNOTSUPP as u32),
    ])
}

/// Loads `prog` as this thread's seccomp filter.
fn load(prog: &mut [libc::sock_filter]) -> std::io::Result<()> {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // Root may install a filter without no_new_privs; keeping it unset lets
    // the suites still reach their "no no_new_privs" cases.
    // SAFETY: plain prctl calls with a valid filter program.
    unsafe {
        if libc::geteuid() != 0 && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &fprog as *const libc::sock_fprog,
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// `argv` without [`FLAG`], and whether it was there.
pub fn take_flag(argv: Vec<String>) -> (Vec<String>, bool) {
    take(argv, FLAG)
}

/// `argv` without `flag`, and whether it was there.
pub fn take(argv: Vec<String>, flag: &str) -> (Vec<String>, bool) {
    let before = argv.len();
    let rest: Vec<String> = argv.into_iter().filter(|a| a != flag).collect();
    let found = rest.len() != before;
    (rest, found)
}

#[cfg(test)]
mod tests {
    use super::take_flag;

    #[test]
    fn landlock_off_answers_eopnotsupp_to_the_three_syscalls_only() {
        use crate::sys::{SYS_ADD_RULE, SYS_CREATE_RULESET, SYS_RESTRICT_SELF};
        // In a child: the filter cannot be taken off again.
        let code = crate::forked::exit_code_of(|| {
            if super::install_off().is_err() {
                return 10;
            }
            for (i, nr) in [SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF]
                .into_iter()
                .enumerate()
            {
                // SAFETY: the filter answers before the kernel reads any
                // argument; and EBADF/EFAULT-safe ones anyway.
                let r = unsafe { libc::syscall(nr, 0, 0, 1) };
                // SAFETY: reading this thread's errno.
                if r != -1 || unsafe { *libc::__errno_location() } != libc::EOPNOTSUPP {
                    return 20 + i as i32;
                }
            }
            // SAFETY: a plain getpid.
            i32::from(unsafe { libc::getpid() } <= 0)
        });
        assert_eq!(
            code,
            Some(0),
            "10: no filter; 2x: syscall x answered otherwise; 1: getpid"
        );
    }

    #[test]
    fn the_flag_is_taken_out_wherever_it_is() {
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            take_flag(argv(&["bin", "--fake-restrict-self", "filter"])),
            (argv(&["bin", "filter"]), true)
        );
        assert_eq!(
            take_flag(argv(&["bin", "filter"])),
            (argv(&["bin", "filter"]), false)
        );
    }
}
