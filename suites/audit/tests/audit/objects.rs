//! The object fields of an access record, computed from the object the
//! test touched, as security/lsm_audit.c prints them.

use crate::record::untrusted;
use llconf_harness::{OrFail, Stop};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// `sb->s_id` of the filesystem holding `path`: the block device name for
/// block-backed filesystems, the filesystem type otherwise.
fn s_id(path: &Path) -> Result<String, Stop> {
    let dev = std::fs::metadata(path)
        .or_fail(format!("stat {}", path.display()))?
        .dev();
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let uevent = format!("/sys/dev/block/{major}:{minor}/uevent");
    if let Ok(text) = std::fs::read_to_string(&uevent) {
        if let Some(name) = text.lines().find_map(|l| l.strip_prefix("DEVNAME=")) {
            return Ok(name.to_string());
        }
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").or_fail("read mountinfo")?;
    let id = format!("{major}:{minor}");
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        if fields.get(2) == Some(&id.as_str()) {
            if let Some(sep) = fields.iter().position(|f| *f == "-") {
                if let Some(fstype) = fields.get(sep + 1) {
                    return Ok(fstype.to_string());
                }
            }
        }
    }
    Err(llconf_harness::fail(format!(
        "cannot tell the s_id of device {id} holding {}",
        path.display()
    )))
}

/// ` path="…" dev="…" ino=N` for a path-based object (no leading space).
pub fn path_fields(path: &Path) -> Result<String, Stop> {
    let canon = std::fs::canonicalize(path).or_fail(format!("realpath {}", path.display()))?;
    let ino = std::fs::metadata(&canon)
        .or_fail(format!("stat {}", canon.display()))?
        .ino();
    Ok(format!(
        "path={} dev={} ino={ino}",
        untrusted(canon.as_os_str().as_encoded_bytes()),
        untrusted(s_id(&canon)?.as_bytes())
    ))
}

/// `opid=N ocomm=…` for a task target.
pub fn task_fields(pid: i32) -> Result<String, Stop> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .or_fail(format!("read /proc/{pid}/comm"))?;
    Ok(format!(
        "opid={pid} ocomm={}",
        untrusted(comm.trim_end_matches('\n').as_bytes())
    ))
}

/// The calling process's `exe=` and `comm=` values.
pub fn own_exe_comm() -> Result<(String, String), Stop> {
    let exe = std::fs::read_link("/proc/self/exe").or_fail("readlink /proc/self/exe")?;
    let comm = std::fs::read_to_string("/proc/self/comm").or_fail("read /proc/self/comm")?;
    Ok((
        untrusted(exe.as_os_str().as_encoded_bytes()),
        untrusted(comm.trim_end_matches('\n').as_bytes()),
    ))
}
