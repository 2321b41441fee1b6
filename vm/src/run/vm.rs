//! One VM run (a kernel × variant): boots vng with the guest script, qemu
//! with llconf's initramfs, or a UML kernel with llconf's init, follows what
//! the guest writes into the shared directory (vng) or sends over its
//! record port (qemu-initramfs and uml, turned into the same files by
//! `record_port`), and turns it all into [`TargetEvent`]s. The VM is killed
//! when the per-VM limit passes or llconf is interrupted; neither vng,
//! qemu nor UML has a limit of its own.

use crate::boot::qemu_initramfs;
use crate::boot::record_port::{self, RecordPort};
use crate::boot::uml;
use crate::boot::vng::{self, BootSpec};
use crate::boot::vng_script::{self, GuestPlan};
use crate::host::accel::Accel;
use crate::kernel::image::BootImage;
use crate::run::events::{EndCause, Event, TargetEvent, VmEnd, VmEvent};
use crate::run::host::to_event;
use crate::run::jsonl_tail::JsonlTail;
use crate::suites::binary::GuestBinaries;
use crate::suites::binary::SuiteBinary;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the shared directory is looked at.
const POLL: Duration = Duration::from_millis(200);

/// Set by the SIGINT/SIGTERM handler: every VM is killed and the reports
/// are still written.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub fn install_interrupt_handler() {
    extern "C" fn on_signal(_: std::os::raw::c_int) {
        INTERRUPTED.store(true, Ordering::SeqCst);
    }
    let action = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_signal),
        nix::sys::signal::SaFlags::SA_RESTART,
        nix::sys::signal::SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { nix::sys::signal::sigaction(sig, &action) };
    }
}

#[derive(Debug, Clone)]
pub struct VmTarget {
    pub index: usize,
    /// `<out>/<kernel>-<variant>`, absolute: shared with the guest.
    pub dir: PathBuf,
    pub boot: BootWith,
    pub image: BootImage,
    pub accel: Accel,
    pub append: String,
    pub setup: Option<String>,
    /// qemu-initramfs: modules to pack and load (see `qemu_initramfs::find_modules`).
    pub modules: Vec<PathBuf>,
    pub cpus: usize,
    pub memory_mib: u64,
    pub suites: Vec<SuiteBinary>,
    pub suite_args: Vec<String>,
    pub timeout: Duration,
    pub timeout_scale: f64,
}

/// The backend of one run, with what it needs.
#[derive(Debug, Clone)]
pub enum BootWith {
    Vng {
        vng: PathBuf,
    },
    QemuInitramfs {
        qemu: PathBuf,
        guest: GuestBinaries,
    },
    /// The image is the `linux` program; `init` is llconf's static init.
    Uml {
        init: PathBuf,
    },
}

pub fn console_path(dir: &Path) -> PathBuf {
    dir.join("console.log")
}

struct Emitter<'a> {
    target: usize,
    tx: &'a Sender<TargetEvent>,
}

impl Emitter<'_> {
    fn send(&self, event: VmEvent) {
        // A consumer that hung up is not this thread's problem to report.
        let _ = self.tx.send(TargetEvent {
            target: self.target,
            event,
        });
    }
    fn suite(&self, event: Event) {
        self.send(VmEvent::Suite(event));
    }
}

pub fn run(t: &VmTarget, tx: &Sender<TargetEvent>) {
    let emit = Emitter {
        target: t.index,
        tx,
    };
    let start = Instant::now();
    let ended = |cause| VmEvent::VmEnded {
        cause,
        elapsed: start.elapsed(),
    };
    let prepared = match prepare_dir(t) {
        Ok(s) => s,
        Err(e) => {
            let why = format!("preparing {}: {e:#}", t.dir.display());
            lose_all(t, &emit, &mut tracks(t), &why);
            return emit.send(ended(VmEnd::SpawnFailed(why)));
        }
    };
    let (mut cmd, program) = match &t.boot {
        BootWith::Vng { vng } => {
            let spec = BootSpec {
                vng,
                image: &t.image,
                accel: t.accel,
                append: &t.append,
                cpus: t.cpus,
                memory_mib: t.memory_mib,
                dir: &t.dir,
                script: &prepared,
            };
            (vng::command(&spec), vng.clone())
        }
        BootWith::QemuInitramfs { qemu, .. } => {
            let image = t.image.kernel_image();
            let spec = qemu_initramfs::BootSpec {
                qemu,
                image: &image,
                initramfs: &prepared,
                accel: t.accel,
                append: &t.append,
                cpus: t.cpus,
                memory_mib: t.memory_mib,
                dir: &t.dir,
            };
            (qemu_initramfs::command(&spec), qemu.clone())
        }
        BootWith::Uml { init } => {
            let program = t.image.kernel_image();
            let caps = uml::capabilities(&program);
            emit.send(VmEvent::ConsoleLine(format!(
                "llconf: UML {} userspace, {}",
                if caps.seccomp { "seccomp" } else { "ptrace" },
                if caps.seccomp && caps.smp {
                    format!("{} CPUs", t.cpus)
                } else {
                    "1 CPU".into()
                }
            )));
            let spec = uml::BootSpec {
                program: &program,
                caps,
                cpus: t.cpus,
                init,
                plan: &prepared,
                append: &t.append,
                memory_mib: t.memory_mib,
                dir: &t.dir,
            };
            match uml::command(&spec) {
                Ok(cmd) => (cmd, program),
                Err(e) => {
                    let why = format!("preparing {}: {e}", t.dir.display());
                    lose_all(t, &emit, &mut tracks(t), &why);
                    return emit.send(ended(VmEnd::SpawnFailed(why)));
                }
            }
        }
    };
    let mut port = match &t.boot {
        BootWith::Vng { .. } => None,
        BootWith::QemuInitramfs { .. } | BootWith::Uml { .. } => Some(RecordPort::new(
            &t.dir,
            t.suites.iter().map(|s| s.suite.clone()).collect(),
        )),
    };
    let uml = matches!(t.boot, BootWith::Uml { .. });
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that killing it takes qemu along.
        .process_group(0);
    emit.send(VmEvent::BootStarted {
        command: crate::boot::shell::display(&cmd),
    });
    let mut suites = tracks(t);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let end = VmEnd::SpawnFailed(format!("{}: {e}", program.display()));
            lose_all(t, &emit, &mut suites, &end.describe());
            return emit.send(ended(end));
        }
    };
    let pgid = Pid::from_raw(child.id() as i32);
    let readers = start_readers(&mut child, &t.dir, tx, t.index, start);

    let mut killed: Option<VmEnd> = None;
    let status = loop {
        let exited = child.try_wait();
        if let Some(p) = port.as_mut() {
            poll_port(p, &emit);
        }
        for s in &mut suites {
            s.poll(t, &emit);
        }
        match exited {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        if killed.is_none() {
            if INTERRUPTED.load(Ordering::SeqCst) {
                killed = Some(VmEnd::Interrupted);
            } else if start.elapsed() > t.timeout {
                killed = Some(VmEnd::TimedOut(t.timeout));
            }
            if killed.is_some() {
                let _ = killpg(pgid, Signal::SIGKILL);
            }
        }
        std::thread::sleep(POLL);
    };
    // qemu may outlive vng; it holds the pipes the readers wait on.
    let _ = killpg(pgid, Signal::SIGKILL);
    for r in readers {
        let _ = r.join();
    }
    if let Some(p) = port.as_mut() {
        poll_port(p, &emit);
        if let Some(rest) = p.leftover() {
            emit.send(VmEvent::ConsoleLine(format!(
                "llconf: record port: cut off by the end of the VM: {rest}"
            )));
        }
    }
    let cause = killed.unwrap_or_else(|| match (status, &port) {
        (None, _) => VmEnd::SpawnFailed(format!("lost track of {}", program.display())),
        (Some(s), None) => match (s.code(), s.signal()) {
            (Some(0), _) => VmEnd::Completed,
            (Some(255), _) => VmEnd::Unexpected,
            (Some(code), _) => VmEnd::GuestExited(code),
            (None, Some(sig)) => VmEnd::Signaled(sig),
            (None, None) => VmEnd::SpawnFailed(format!("unknown status {s}")),
        },
        // qemu exits 0 on power-off and on a panic alike (-no-reboot):
        // only the init's `done` tells them apart.
        (Some(s), Some(p)) => match (s.code(), s.signal()) {
            (Some(0), _) if p.done => VmEnd::Completed,
            (Some(0), _) => VmEnd::Stopped,
            (Some(code), _) if uml => VmEnd::UmlFailed(code),
            (Some(code), _) => VmEnd::QemuFailed(code),
            (None, Some(nix::libc::SIGABRT)) if uml => VmEnd::UmlAborted,
            (None, Some(sig)) => VmEnd::Signaled(sig),
            (None, None) => VmEnd::SpawnFailed(format!("unknown status {s}")),
        },
    });
    if uml {
        // UML's instance directory (its management console socket); a
        // killed UML leaves it behind.
        let _ = std::fs::remove_dir_all(t.dir.join("uml"));
    }
    if port.is_some() && std::env::var_os("LLCONF_KEEP_INITRAMFS").is_none() {
        // Tens of MB per target; plan.txt says what was in it.
        let _ = std::fs::remove_file(t.dir.join(qemu_initramfs::INITRAMFS));
    }
    for s in &mut suites {
        s.poll(t, &emit);
    }
    lose_all(t, &emit, &mut suites, &cause.describe());
    emit.send(ended(cause));
}

fn poll_port(port: &mut RecordPort, emit: &Emitter) {
    match port.poll() {
        Ok(lines) => {
            for l in lines {
                emit.send(VmEvent::ConsoleLine(l));
            }
        }
        Err(e) => emit.send(VmEvent::ConsoleLine(format!(
            "llconf: reading the record port: {e}"
        ))),
    }
}

/// A clean directory (nothing from an earlier run may be read as this
/// run's) with the guest script in it (vng), or the initramfs (qemu).
fn prepare_dir(t: &VmTarget) -> anyhow::Result<PathBuf> {
    for sub in ["results", "logs", "status"] {
        let d = t.dir.join(sub);
        match std::fs::remove_dir_all(&d) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        std::fs::create_dir_all(&d)?;
    }
    for f in [
        "console.log",
        "dmesg.txt",
        "junit.xml",
        record_port::RAW,
        qemu_initramfs::INITRAMFS,
    ] {
        let _ = std::fs::remove_file(t.dir.join(f));
    }
    if let BootWith::Uml { .. } = &t.boot {
        // The guest reads the suites where they are on the host.
        let plan = crate::boot::plan::plan_at_host_paths(
            &t.suites,
            &t.suite_args,
            t.timeout_scale,
            t.setup.as_deref(),
        );
        let path = t.dir.join(qemu_initramfs::PLAN);
        std::fs::write(&path, plan.encode())?;
        return Ok(path);
    }
    if let BootWith::QemuInitramfs { guest, .. } = &t.boot {
        let plan = crate::boot::plan::plan(
            &t.suites,
            &t.suite_args,
            t.timeout_scale,
            t.setup.as_deref(),
            &t.modules,
        );
        std::fs::write(t.dir.join(qemu_initramfs::PLAN), plan.encode())?;
        let initramfs = t.dir.join(qemu_initramfs::INITRAMFS);
        qemu_initramfs::write_initramfs(&initramfs, guest, &t.suites, &t.modules, &plan)?;
        return Ok(initramfs);
    }
    let script = t.dir.join(vng_script::SCRIPT);
    let text = vng_script::render(&GuestPlan {
        dir: &t.dir,
        suites: t
            .suites
            .iter()
            .map(|s| (s.suite.as_str(), s.path.as_path()))
            .collect(),
        suite_args: &t.suite_args,
        timeout_scale: t.timeout_scale,
        setup: t.setup.as_deref(),
    });
    std::fs::write(&script, text)?;
    Ok(script)
}

/// One reader per vng pipe: every line goes to console.log and out as an
/// event; the guest's first line marks the end of the boot.
fn start_readers(
    child: &mut Child,
    dir: &Path,
    tx: &Sender<TargetEvent>,
    target: usize,
    start: Instant,
) -> Vec<std::thread::JoinHandle<()>> {
    let log = std::fs::File::create(console_path(dir)).ok();
    let log = Arc::new(Mutex::new(log));
    let up = Arc::new(AtomicBool::new(false));
    let pipes: Vec<Box<dyn Read + Send>> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    pipes
        .into_iter()
        .map(|pipe| {
            let (log, up, tx) = (log.clone(), up.clone(), tx.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(pipe);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\n', '\r'])
                        .to_string();
                    if let Some(f) = log.lock().unwrap().as_mut() {
                        let _ = writeln!(f, "{line}");
                    }
                    let send = |event| {
                        // Nobody listening any more is not the reader's concern.
                        let _ = tx.send(TargetEvent { target, event });
                    };
                    if line.starts_with(vng_script::STARTED_MARK)
                        && !up.swap(true, Ordering::SeqCst)
                    {
                        send(VmEvent::GuestUp {
                            boot: start.elapsed(),
                        });
                    }
                    send(VmEvent::ConsoleLine(line));
                }
            })
        })
        .collect()
}

/// What is known of one suite in the guest.
struct Track {
    suite: SuiteBinary,
    tail: Option<JsonlTail>,
    launched: Option<Instant>,
    ended: bool,
}

fn tracks(t: &VmTarget) -> Vec<Track> {
    t.suites
        .iter()
        .map(|s| Track {
            suite: s.clone(),
            tail: Some(JsonlTail::new(vng_script::results_path(&t.dir, &s.suite))),
            launched: None,
            ended: false,
        })
        .collect()
}

impl Track {
    fn name(&self) -> String {
        self.suite.suite.clone()
    }

    fn poll(&mut self, t: &VmTarget, emit: &Emitter) {
        if self.ended {
            return;
        }
        if self.launched.is_none() && vng_script::started_path(&t.dir, &self.suite.suite).exists() {
            self.launched = Some(Instant::now());
            emit.suite(Event::SuiteLaunched {
                suite: self.name(),
                binary: self.suite.path.clone(),
            });
        }
        if let Some(tail) = self.tail.as_mut() {
            match tail.poll() {
                Ok(lines) => self.send_lines(lines, emit),
                Err(e) => self.unreadable(e, emit),
            }
        }
        let exit = vng_script::exit_path(&t.dir, &self.suite.suite);
        // The guest writes the code and its newline in one go; an empty read
        // means it is not there yet.
        let code = std::fs::read_to_string(&exit)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        if let Some(code) = code {
            self.end(t, EndCause::Exited(code), emit);
        }
    }

    fn send_lines(&self, lines: Vec<String>, emit: &Emitter) {
        for line in lines {
            emit.suite(to_event(&self.suite.suite, line));
        }
    }

    fn unreadable(&self, e: std::io::Error, emit: &Emitter) {
        emit.suite(Event::UnreadableLine {
            suite: self.name(),
            line: String::new(),
            error: format!("reading the results: {e}"),
        });
    }

    fn end(&mut self, t: &VmTarget, cause: EndCause, emit: &Emitter) {
        if self.ended {
            return;
        }
        self.ended = true;
        if let Some(tail) = self.tail.take() {
            match tail.finish() {
                Ok((lines, torn)) => {
                    self.send_lines(lines, emit);
                    if let Some(line) = torn {
                        emit.suite(Event::UnreadableLine {
                            suite: self.name(),
                            line,
                            error: "incomplete last line (no newline)".into(),
                        });
                    }
                }
                Err(e) => self.unreadable(e, emit),
            }
        }
        emit.suite(Event::SuiteEnded {
            suite: self.name(),
            cause,
            elapsed: self.launched.map(|l| l.elapsed()).unwrap_or_default(),
            log: vng_script::log_path(&t.dir, &self.suite.suite),
        });
    }
}

/// Ends every suite the guest did not end itself.
fn lose_all(t: &VmTarget, emit: &Emitter, suites: &mut [Track], why: &str) {
    for s in suites {
        if s.ended {
            continue;
        }
        let cause = if s.launched.is_some() {
            EndCause::VmLost(format!("{why}, while the suite ran"))
        } else {
            EndCause::VmLost(format!("{why}, before the suite started"))
        };
        s.end(t, cause, emit);
    }
}
