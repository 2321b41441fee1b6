//! One VM run (a kernel × variant): the backend boots the guest (see
//! `boot`); this follows what the guest writes into the target directory,
//! directly (vng) or through the record port (qemu-initramfs and uml, turned
//! into the same files by `record_port`), and turns it all into
//! [`TargetEvent`]s. The VM is killed when the per-VM limit passes or llconf
//! is interrupted; neither vng, qemu nor UML has a limit of its own.

use crate::boot::kit::Kit;
use crate::boot::record_port::RecordPort;
use crate::boot::{self, Boot, Guest};
use crate::host::accel::Accel;
use crate::kernel::backend::Backend;
use crate::kernel::catalogue::Variant;
use crate::kernel::image::Prepared;
use crate::run::events::{EndCause, Event, TargetEvent, VmEnd, VmEvent};
use crate::run::interrupt;
use crate::run::jsonl_tail::JsonlTail;
use crate::run::records::to_event;
use crate::suites::binary::SuiteBinary;
use llconf_guest_init::STARTED_MARK;
use llconf_reports::layout::TargetDir;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the target directory is looked at.
const POLL: Duration = Duration::from_millis(200);

/// What every VM of one llconf invocation shares.
#[derive(Debug, Clone)]
pub struct Settings {
    pub accel: Accel,
    pub cpus: usize,
    pub memory_mib: u64,
    /// The per-VM limit.
    pub timeout: Duration,
    /// Passed to every suite binary.
    pub suite_args: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct VmTarget {
    /// The target's number in the run, carried by its events.
    pub index: usize,
    pub boot: Arc<dyn Boot>,
    pub guest: Guest,
    pub timeout: Duration,
    /// Set by the consumer of the events when it has seen enough (a
    /// mutant's first kill): the VM is killed and ends as
    /// [`VmEnd::Enough`].
    pub enough: Option<Arc<AtomicBool>>,
}

impl VmTarget {
    /// One kernel × variant, booted with `kind`.
    pub fn new(
        index: usize,
        dir: TargetDir,
        kind: Backend,
        kernel: &Prepared,
        variant: &Variant,
        kit: &Kit,
        settings: &Settings,
    ) -> VmTarget {
        let (boot, suites) = kit.boot(kind, kernel);
        VmTarget {
            index,
            boot,
            guest: Guest {
                dir,
                image: kernel.image.clone(),
                accel: settings.accel,
                append: variant.append.clone(),
                setup: variant.guest_setup.clone(),
                cpus: settings.cpus,
                memory_mib: settings.memory_mib,
                suites,
                suite_args: settings.suite_args.clone(),
                timeout_scale: boot::timeout_scale(kind, settings.accel),
            },
            timeout: settings.timeout,
            enough: None,
        }
    }

    fn dir(&self) -> &TargetDir {
        &self.guest.dir
    }
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

/// Runs one target on a thread of its own; its events go to `on_event`
/// on this one, as they arrive, until the VM is gone.
pub fn run_to_end(t: VmTarget, mut on_event: impl FnMut(VmEvent)) {
    let (tx, rx) = std::sync::mpsc::channel::<TargetEvent>();
    let worker = std::thread::spawn(move || run(&t, &tx));
    for TargetEvent { event, .. } in rx {
        on_event(event);
    }
    let _ = worker.join();
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
    let launch = match clean_dir(t.dir()).and_then(|()| t.boot.launch(&t.guest)) {
        Ok(l) => l,
        Err(e) => {
            let why = format!("preparing {}: {e:#}", t.dir().root().display());
            lose_all(t, &emit, &mut tracks(t), &why);
            return emit.send(ended(VmEnd::SpawnFailed(why)));
        }
    };
    for note in launch.notes {
        emit.send(VmEvent::ConsoleLine(note));
    }
    let (mut cmd, program) = (launch.command, launch.program);
    let mut port = t.boot.uses_record_port().then(|| {
        RecordPort::new(
            t.dir(),
            t.guest.suites.iter().map(|s| s.suite.clone()).collect(),
        )
    });
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that killing it takes qemu along.
        .process_group(0);
    crate::host::children::die_with_parent(&mut cmd);
    emit.send(VmEvent::BootStarted {
        command: boot::shell::display(&cmd),
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
    let readers = start_readers(&mut child, t.dir(), tx, t.index, start);

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
            if interrupt::interrupted() {
                killed = Some(VmEnd::Interrupted);
            } else if start.elapsed() > t.timeout {
                killed = Some(VmEnd::TimedOut(t.timeout));
            } else if t.enough.as_ref().is_some_and(|e| e.load(Ordering::Relaxed)) {
                killed = Some(VmEnd::Enough);
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
    let done = port.as_ref().is_some_and(|p| p.done);
    let cause = killed.unwrap_or_else(|| match status {
        Some(s) => t.boot.ended(s, done),
        None => VmEnd::SpawnFailed(format!("lost track of {}", program.display())),
    });
    t.boot.clean_up(t.dir());
    for s in &mut suites {
        s.poll(t, &emit);
    }
    lose_all(t, &emit, &mut suites, &cause.describe());
    emit.send(ended(cause));
}

/// Empties what the guest fills and removes what a VM run writes, so that
/// nothing from an earlier run may be read as this run's.
fn clean_dir(dir: &TargetDir) -> anyhow::Result<()> {
    for d in dir.live_dirs() {
        match std::fs::remove_dir_all(&d) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        std::fs::create_dir_all(&d)?;
    }
    for f in dir.vm_files() {
        let _ = std::fs::remove_file(f);
    }
    Ok(())
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

/// One reader per vng pipe: every line goes to console.log and out as an
/// event; the guest's first line marks the end of the boot.
fn start_readers(
    child: &mut Child,
    dir: &TargetDir,
    tx: &Sender<TargetEvent>,
    target: usize,
    start: Instant,
) -> Vec<std::thread::JoinHandle<()>> {
    let log = std::fs::File::create(dir.console()).ok();
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
                    if line.starts_with(STARTED_MARK) && !up.swap(true, Ordering::SeqCst) {
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
    t.guest
        .suites
        .iter()
        .map(|s| Track {
            suite: s.clone(),
            tail: Some(JsonlTail::new(t.dir().results(&s.suite))),
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
        if self.launched.is_none() && t.dir().started(&self.suite.suite).exists() {
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
        let exit = t.dir().exit(&self.suite.suite);
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
            log: t.dir().log(&self.suite.suite),
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
