//! The project's check of itself: a seccomp filter under which
//! landlock_restrict_self returns 0 and does nothing. Under it every
//! enforcement test must fail; one that passes cannot fail on a kernel that
//! enforces nothing. Installed by `llconf-fake-restrict-self CMD` (host
//! runs, `ci/fake-enforcement.sh`) or by a suite binary given
//! `--fake-restrict-self` (any kernel, any backend: `llconf run --
//! --fake-restrict-self`, then `ci/fake-enforcement-check.py`).

/// The suite argument that installs the filter in the supervisor, whose
/// test processes inherit it.
pub const FLAG: &str = "--fake-restrict-self";

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;

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
    let ld_w_abs = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    let jeq_k = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    let ret_k = (libc::BPF_RET | libc::BPF_K) as u16;
    // seccomp_data: nr at offset 0, arch at offset 4.
    let mut prog = [
        stmt(ld_w_abs, 4),
        jump(jeq_k, AUDIT_ARCH_X86_64, 0, 3),
        stmt(ld_w_abs, 0),
        jump(jeq_k, crate::sys::SYS_RESTRICT_SELF as u32, 0, 1),
        // errno 0: the syscall "succeeds" without running.
        stmt(ret_k, SECCOMP_RET_ERRNO),
        stmt(ret_k, SECCOMP_RET_ALLOW),
    ];
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
    let before = argv.len();
    let rest: Vec<String> = argv.into_iter().filter(|a| a != FLAG).collect();
    let found = rest.len() != before;
    (rest, found)
}

#[cfg(test)]
mod tests {
    use super::take_flag;

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
