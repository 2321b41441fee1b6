//! The 32-bit x86 syscall ABI (`int $0x80`) from a 64-bit test process.
//!
//! Some Landlock hooks are reached only through a compat syscall: the
//! ioctl(2) check has a second allow-list for the commands compat_ioctl
//! rewrites (`hook_file_ioctl_compat`). A 64-bit process reaches the 32-bit
//! entry with `int $0x80`, on x86_64 kernels built with IA32 emulation. The
//! arguments are 32 bits wide, so only pointers below 4 GiB, or none, can
//! be passed.

use crate::forked;
use nix::errno::Errno;
use std::sync::OnceLock;

/// i386 syscall numbers (arch/x86/entry/syscalls/syscall_32.tbl).
pub const NR_GETPID: u32 = 20;
pub const NR_IOCTL: u32 = 54;

/// A 32-bit syscall with up to three arguments: its value, or the errno.
#[cfg(target_arch = "x86_64")]
pub fn syscall3(nr: u32, a: u32, b: u32, c: u32) -> Result<u32, Errno> {
    let ret: u64;
    // SAFETY: the i386 entry reads eax, ebx, ecx and edx, returns in eax and
    // leaves the other registers as they were (r8 to r11 were cleared before
    // Linux 4.16, hence the clobbers). rbx belongs to LLVM, so the first
    // argument goes through a scratch register and is swapped back.
    unsafe {
        std::arch::asm!(
            "xchg {a}, rbx",
            "int 0x80",
            "xchg {a}, rbx",
            a = inout(reg) u64::from(a) => _,
            inlateout("rax") u64::from(nr) => ret,
            in("rcx") u64::from(b),
            in("rdx") u64::from(c),
            lateout("r8") _,
            lateout("r9") _,
            lateout("r10") _,
            lateout("r11") _,
        );
    }
    // The kernel returns a 32-bit value in eax: -4095..-1 is an errno.
    let v = ret as u32 as i32;
    if (-4095..0).contains(&v) {
        Err(Errno::from_raw(-v))
    } else {
        Ok(v as u32)
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub fn syscall3(_nr: u32, _a: u32, _b: u32, _c: u32) -> Result<u32, Errno> {
    Err(Errno::ENOSYS)
}

/// `None` when this process can make 32-bit syscalls, otherwise why not.
/// Probed once, in a forked child: without IA32 emulation `int $0x80`
/// raises a fault that kills the caller.
pub fn unavailable() -> Option<String> {
    static REASON: OnceLock<Option<String>> = OnceLock::new();
    REASON.get_or_init(probe).clone()
}

fn probe() -> Option<String> {
    if !cfg!(target_arch = "x86_64") {
        return Some(format!(
            "needs the 32-bit x86 syscalls (int $0x80); this is a {} build",
            std::env::consts::ARCH
        ));
    }
    // User-Mode Linux runs its processes under the host's ptrace or seccomp
    // and reads every trap as a 64-bit syscall: the probe itself would make
    // some other call.
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if cpuinfo.contains("User Mode Linux") {
        return Some("needs the 32-bit x86 syscalls (int $0x80); User-Mode Linux has none".into());
    }
    let code = forked::exit_code_of(|| {
        // SAFETY: getpid(2) has no arguments and no side effect.
        let pid = unsafe { libc::getpid() } as u32;
        match syscall3(NR_GETPID, 0, 0, 0) {
            Ok(p) if p == pid => 0,
            Ok(_) => 1,
            Err(_) => 2,
        }
    });
    match code {
        Some(0) => None,
        Some(1) => Some(
            "needs the 32-bit x86 syscalls (int $0x80); getpid through them gave another pid"
                .into(),
        ),
        Some(_) => Some(
            "needs the 32-bit x86 syscalls (int $0x80); getpid through them failed (IA32 \
             emulation disabled: ia32_emulation=0)"
                .into(),
        ),
        None => Some(
            "needs the 32-bit x86 syscalls (int $0x80); the probe died from a signal (a kernel \
             without CONFIG_IA32_EMULATION, or a seccomp filter that refuses them)"
                .into(),
        ),
    }
}
