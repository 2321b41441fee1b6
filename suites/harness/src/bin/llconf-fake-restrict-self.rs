//! `llconf-fake-restrict-self CMD [ARGS...]` runs CMD under a seccomp filter
//! that makes landlock_restrict_self return 0 without doing anything.
//!
//! This is how llconf checks itself: under this lie, every enforcement test
//! must fail and none may pass (see `ci/fake-enforcement.sh`).

use std::os::unix::process::CommandExt;

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

fn install_filter() -> std::io::Result<()> {
    let ld_w_abs = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    let jeq_k = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    let ret_k = (libc::BPF_RET | libc::BPF_K) as u16;
    // seccomp_data: nr at offset 0, arch at offset 4.
    let mut prog = [
        stmt(ld_w_abs, 4),
        jump(jeq_k, AUDIT_ARCH_X86_64, 0, 3),
        stmt(ld_w_abs, 0),
        jump(jeq_k, llconf_harness::sys::SYS_RESTRICT_SELF as u32, 0, 1),
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

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(cmd) = args.next() else {
        eprintln!("usage: llconf-fake-restrict-self CMD [ARGS...]");
        std::process::exit(2);
    };
    if let Err(e) = install_filter() {
        eprintln!("llconf-fake-restrict-self: cannot install the seccomp filter: {e}");
        std::process::exit(2);
    }
    let err = std::process::Command::new(&cmd).args(args).exec();
    eprintln!(
        "llconf-fake-restrict-self: cannot run {}: {err}",
        cmd.to_string_lossy()
    );
    std::process::exit(127);
}
