//! The audit session of one test: this process becomes the audit daemon
//! (AUDIT_SET enabled=1, pid=self), reads Landlock records, and on drop
//! unregisters and puts `enabled` back as it found it.

use crate::netlink::{
    AuditSocket, AUDIT_LANDLOCK_ACCESS, AUDIT_LANDLOCK_DOMAIN, AUDIT_STATUS_ENABLED,
    AUDIT_STATUS_PID, AUDIT_USER,
};
use crate::record::Record;
use llconf_harness::{fail, skip, Errno, OrFail, Stop};
use std::time::{Duration, Instant};

/// How long a record expected from a synchronous denial may take to travel
/// through kauditd.
pub const RECORD_WAIT: Duration = Duration::from_secs(2);
/// Domain deallocation runs from a work queue after the last credential
/// goes: the kernel's selftests allow a second; we allow two.
pub const DEALLOC_WAIT: Duration = Duration::from_secs(2);
/// What a marker of [`Session::sync`] carries, with its number.
const MARKER: &str = "llconf-audit-marker-";

pub struct Session {
    sock: AuditSocket,
    /// `enabled` before this session changed it, to put back.
    restore_enabled: Option<u32>,
    /// Every Landlock record read so far, in arrival order.
    seen: Vec<Record>,
    /// Access records before this index were already matched or passed
    /// over, so that the same text can be expected twice in one test.
    cursor: usize,
    /// Markers sent and come back ([`Session::sync`]).
    markers_sent: usize,
    markers_back: usize,
}

fn pid_alive(pid: u32) -> bool {
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None),
        Err(Errno::ESRCH)
    )
}

impl Session {
    pub fn open() -> Result<Session, Stop> {
        let mut sock = match AuditSocket::open() {
            Ok(sock) => sock,
            // The kernel never set up audit netlink: booted with audit=0.
            Err(Errno::EPROTONOSUPPORT) => {
                return Err(skip(
                    "audit is off in this kernel (audit=0 at boot?): socket(NETLINK_AUDIT) gave EPROTONOSUPPORT",
                ))
            }
            Err(e) => return Err(fail(format!("socket(NETLINK_AUDIT): {e}"))),
        };
        let before = sock.get_status().or_fail("AUDIT_GET")?;
        let me = std::process::id();
        if before.pid != 0 && before.pid != me && pid_alive(before.pid) {
            return Err(skip(format!(
                "an audit daemon (pid {}) owns the audit socket; AUDIT_SET pid would give EEXIST",
                before.pid
            )));
        }
        let mut session = Session {
            sock,
            restore_enabled: None,
            seen: Vec::new(),
            cursor: 0,
            markers_sent: 0,
            markers_back: 0,
        };
        if before.enabled != 1 {
            match session.sock.set_status(AUDIT_STATUS_ENABLED, 1, 0) {
                Ok(()) => session.restore_enabled = Some(before.enabled),
                // enabled=2 means locked: the rules cannot change, so neither
                // can we.
                Err(e) => {
                    return Err(skip(format!(
                        "cannot enable audit (AUDIT_SET enabled=1: {e}); enabled is {}",
                        before.enabled
                    )))
                }
            }
        }
        session.register()?;
        session.drain()?;
        Ok(session)
    }

    /// AUDIT_SET pid=self. A registration left by a test process that died
    /// (a timeout kill) stays until kauditd fails to reach it, so provoke
    /// one message before concluding that a live daemon holds the socket.
    fn register(&mut self) -> Result<(), Stop> {
        let me = std::process::id();
        for attempt in 0..20 {
            match self.sock.set_status(AUDIT_STATUS_PID, 0, me) {
                Ok(()) => return Ok(()),
                Err(Errno::EEXIST) => {
                    let holder = self.sock.get_status().map(|s| s.pid).unwrap_or(0);
                    if holder != 0 && pid_alive(holder) {
                        return Err(skip(format!(
                            "AUDIT_SET pid gave EEXIST: audit daemon pid {holder} is running (auditd?)"
                        )));
                    }
                    if attempt == 0 {
                        let _ = self
                            .sock
                            .user_message("llconf: dropping a stale audit daemon registration");
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(fail(format!("AUDIT_SET pid={me}: {e}"))),
            }
        }
        Err(skip(
            "AUDIT_SET pid kept giving EEXIST although the registered daemon is gone",
        ))
    }

    /// Discards what queued up before the test started: everything ahead
    /// of a marker (see [`Session::sync`]), rather than whatever a silence
    /// of some length let through, which cost every test that silence.
    fn drain(&mut self) -> Result<(), Stop> {
        self.sync()?;
        self.seen.clear();
        self.cursor = 0;
        Ok(())
    }

    /// Reads records for at most `timeout`, returning once `done` holds for
    /// everything seen so far.
    pub fn wait_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&[Record]) -> bool,
    ) -> Result<bool, Stop> {
        let end = Instant::now() + timeout;
        loop {
            if done(&self.seen) {
                return Ok(true);
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            self.read_one(left)?;
        }
    }

    /// Reads one message, waiting at most `timeout`: a Landlock record
    /// joins `seen`, a marker of ours counts as back.
    fn read_one(&mut self, timeout: Duration) -> Result<(), Stop> {
        match self.sock.recv(timeout).or_fail("read the audit socket")? {
            Some(m) if m.kind == AUDIT_LANDLOCK_ACCESS || m.kind == AUDIT_LANDLOCK_DOMAIN => {
                if let Some(r) = Record::parse(m.kind, &m.payload) {
                    self.seen.push(r);
                }
            }
            Some(m) if m.kind == AUDIT_USER => {
                let text = String::from_utf8_lossy(&m.payload);
                if text.contains(MARKER) {
                    self.markers_back += 1;
                }
            }
            Some(_) | None => {}
        }
        Ok(())
    }

    /// Reads until every record queued so far has arrived, and returns
    /// them all. A marker (an AUDIT_USER message) goes through the same
    /// queue as the kernel's records and kauditd delivers in order, so once
    /// it is back, every record of a denial made before this call (Landlock
    /// logs it synchronously, in the denied syscall) has been read. Absence
    /// is then known, not guessed from a silence of some length.
    pub fn sync(&mut self) -> Result<&[Record], Stop> {
        self.markers_sent += 1;
        let n = self.markers_sent;
        self.sock
            .user_message_no_ack(&format!("{MARKER}{n}"))
            .or_fail("send an AUDIT_USER marker")?;
        let end = Instant::now() + RECORD_WAIT;
        while self.markers_back < n {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(fail(format!(
                    "the audit marker sent after the test's operations did not come back \
                     within {RECORD_WAIT:?}: records may be lost"
                )));
            }
            // Returns as soon as anything comes, the marker included.
            self.read_one(left)?;
        }
        Ok(&self.seen)
    }

    pub fn seen(&self) -> &[Record] {
        &self.seen
    }

    /// Waits for the next access record (after those already matched)
    /// whose text after `domain=… ` is exactly `body`.
    pub fn expect_access(&mut self, body: &str) -> Result<Record, Stop> {
        let from = self.cursor;
        let pick = |r: &Record| r.is_access() && r.rest == body;
        let found = self.wait_until(RECORD_WAIT, |seen| seen[from..].iter().any(pick))?;
        if !found {
            return Err(fail(format!(
                "no AUDIT_LANDLOCK_ACCESS record `{body}` within {RECORD_WAIT:?}; {}",
                self.describe_seen()
            )));
        }
        let i = from + self.seen[from..].iter().position(pick).unwrap();
        self.cursor = i + 1;
        Ok(self.seen[i].clone())
    }

    /// Fails if an access record with this exact text was queued since the
    /// last match (records matched or passed over before do not count).
    pub fn expect_no_access(&mut self, body: &str) -> Result<(), Stop> {
        let from = self.seen.len();
        self.sync()?;
        let found = self.seen[from..]
            .iter()
            .any(|r| r.is_access() && r.rest == body);
        self.cursor = self.seen.len();
        if found {
            return Err(fail(format!(
                "unexpected AUDIT_LANDLOCK_ACCESS record `{body}`"
            )));
        }
        Ok(())
    }

    /// Waits for the `status=allocated` record of `domain`.
    pub fn expect_allocated(&mut self, domain: u64) -> Result<Record, Stop> {
        let pick = |r: &Record| {
            r.is_domain() && r.domain == domain && r.field("status") == Some("allocated")
        };
        let found = self.wait_until(RECORD_WAIT, |seen| seen.iter().any(pick))?;
        if !found {
            return Err(fail(format!(
                "no status=allocated record for domain {domain:x}; {}",
                self.describe_seen()
            )));
        }
        Ok(self.seen.iter().find(|r| pick(r)).cloned().unwrap())
    }

    /// Waits for the `status=deallocated` record of `domain`.
    pub fn expect_deallocated(&mut self, domain: u64) -> Result<Record, Stop> {
        let pick = |r: &Record| {
            r.is_domain() && r.domain == domain && r.field("status") == Some("deallocated")
        };
        let found = self.wait_until(DEALLOC_WAIT, |seen| seen.iter().any(pick))?;
        if !found {
            return Err(fail(format!(
                "no status=deallocated record for domain {domain:x} within {DEALLOC_WAIT:?}; {}",
                self.describe_seen()
            )));
        }
        Ok(self.seen.iter().find(|r| pick(r)).cloned().unwrap())
    }

    /// Access records of `domain` seen so far.
    pub fn accesses_of(&self, domain: u64) -> Vec<&Record> {
        self.seen
            .iter()
            .filter(|r| r.is_access() && r.domain == domain)
            .collect()
    }

    pub fn describe_seen(&self) -> String {
        if self.seen.is_empty() {
            return "no Landlock record arrived at all".into();
        }
        let list: Vec<String> = self.seen.iter().map(|r| r.to_string()).collect();
        format!("Landlock records seen: [{}]", list.join("; "))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.sock.set_status(AUDIT_STATUS_PID, 0, 0);
        if let Some(enabled) = self.restore_enabled {
            let _ = self.sock.set_status(AUDIT_STATUS_ENABLED, enabled, 0);
        }
    }
}
