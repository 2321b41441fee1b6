//! `unix::<type>::races::socket_replaced_while_connecting`: a pathname
//! socket renamed and replaced while a sandboxed thread connects to it
//! (RESOLVE_UNIX, ABI 9).
//!
//! A peer outside the domain serves two sockets: X beneath `allowed/`,
//! which a rule covers, and D beneath `denied/`, which none does. Thread B
//! keeps changing what `allowed/sock` is: a hard link to X, then (rename
//! over it) a symlink to `denied/d`, while it renames D between
//! `denied/d` and `denied/e`. Thread A connects to `allowed/sock` a fixed
//! number of times. RESOLVE_UNIX is checked on the socket file the path
//! resolves to, where it is at that moment; D is beneath `denied/` at
//! every moment, so A may reach X (success, peer X), meet the symlink to D
//! (EACCES) or a dangling one (ENOENT), and never reach D. Every 16th
//! iteration A also connects to X and to D by their own paths: X is always
//! reached (the control), D never.
//!
//! Fixed: the iteration count, the seed of the jitter and yields, and a
//! time limit after which the iterations done so far count.

use crate::server;
use crate::sock::{connect, path_addr, socket, Type};
use llconf_harness::abi::fs;
use llconf_harness::fixture::race::{Bounds, Rng};
use llconf_harness::fixture::TempTree;
use llconf_harness::{ensure, fail, Errno, OrFail, Ruleset, Stop, Test, TestResult};
use nix::sys::socket::{getpeername, UnixAddr};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::Duration;

/// Past the time limit, the race stops and the iterations done are checked.
const BOUNDS: Bounds = Bounds {
    seed: 0x6c6c_636f_6e66_0009,
    iterations: 10_000,
    time_limit: Duration::from_secs(15),
};
/// The test's own limit, above the race's.
const TEST_TIMEOUT: Duration = Duration::from_secs(40);

/// Spins a little, and now and then yields: on one CPU (UML) the other
/// thread only runs when this one lets it.
fn jitter(rng: &mut Rng) {
    rng.jitter(512, |r| r & 0x3000 != 0);
}

struct Paths {
    x: PathBuf,
    d: PathBuf,
    e: PathBuf,
    sock: PathBuf,
    tmp: PathBuf,
}

/// Thread B's four steps, in a loop until `stop`: `allowed/sock` becomes
/// X, D moves to `denied/e`, `allowed/sock` becomes a symlink to
/// `denied/d` (dangling), D moves back. A failed step is a broken fixture.
fn flip(p: &Paths, stop: &AtomicBool, broken: &Mutex<Option<String>>) -> u64 {
    let mut rng = Rng::new(BOUNDS.seed ^ 0xb);
    let mut rounds = 0;
    let step = |what: &str, r: std::io::Result<()>| {
        r.map_err(|e| {
            *broken.lock().unwrap() = Some(format!("thread B: {what}: {e}"));
        })
    };
    while !stop.load(SeqCst) {
        let round = (|| {
            let _ = std::fs::remove_file(&p.tmp);
            step("link X to tmp", std::fs::hard_link(&p.x, &p.tmp))?;
            step("rename tmp over sock", std::fs::rename(&p.tmp, &p.sock))?;
            jitter(&mut rng);
            step("rename denied/d to denied/e", std::fs::rename(&p.d, &p.e))?;
            jitter(&mut rng);
            step(
                "symlink tmp to denied/d",
                std::os::unix::fs::symlink(&p.d, &p.tmp),
            )?;
            step("rename tmp over sock", std::fs::rename(&p.tmp, &p.sock))?;
            jitter(&mut rng);
            step("rename denied/e to denied/d", std::fs::rename(&p.e, &p.d))?;
            jitter(&mut rng);
            Ok::<(), ()>(())
        })();
        if round.is_err() {
            stop.store(true, SeqCst);
            break;
        }
        rounds += 1;
    }
    rounds
}

/// Whom a connected socket reached, by the address its server bound.
fn peer_path(fd: &impl AsRawFd) -> Result<PathBuf, Stop> {
    let a: UnixAddr = getpeername(fd.as_raw_fd()).or_fail("getpeername")?;
    Ok(a.path().map(Path::to_owned).unwrap_or_default())
}

/// One connect of A: its result, named for the tally; D reached is a
/// bypass, anything but X reached, EACCES or ENOENT is no correct state.
fn connect_once(ty: Type, addr: &UnixAddr, p: &Paths, i: u64) -> Result<&'static str, Stop> {
    let fd = socket(ty)?;
    match connect(&fd, addr) {
        Ok(()) => {
            let peer = peer_path(&fd)?;
            ensure!(
                peer != p.d,
                "iteration {i}: connect({addr}) reached the server beneath denied/ \
                 ({}), which no rule covers",
                peer.display()
            );
            ensure!(
                peer == p.x,
                "iteration {i}: connect({addr}) reached an unknown peer {}",
                peer.display()
            );
            Ok("ok, peer X")
        }
        Err(Errno::EACCES) => Ok("EACCES"),
        Err(Errno::ENOENT) => Ok("ENOENT"),
        Err(e) => Err(fail(format!(
            "iteration {i}: connect({addr}) gave {e}, which no state of the path gives \
             (correct: success to X, EACCES, ENOENT)"
        ))),
    }
}

fn replaced_while_connecting(ty: Type) -> TestResult {
    let t = TempTree::with(&["allowed/", "denied/"])?;
    let p = Paths {
        x: t.path("allowed/x"),
        d: t.path("denied/d"),
        e: t.path("denied/e"),
        sock: t.path("allowed/sock"),
        tmp: t.path("allowed/tmp"),
    };
    let _peer = server::spawn(ty, &[path_addr(&p.x)?, path_addr(&p.d)?])?;
    std::os::unix::fs::symlink(&p.d, &p.sock).or_fail("symlink allowed/sock to denied/d")?;
    let rs = Ruleset::fs(fs::RESOLVE_UNIX)?;
    rs.allow_path(&t.path("allowed"), fs::RESOLVE_UNIX)?;
    rs.enforce()?;

    let (sock, x, d) = (path_addr(&p.sock)?, path_addr(&p.x)?, path_addr(&p.d)?);
    let stop = AtomicBool::new(false);
    let broken = Mutex::new(None);
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    let mut note = |k: String| *tally.entry(k).or_default() += 1;
    let mut control = 0u64;
    let (ran, rounds) = std::thread::scope(|sc| {
        let b = sc.spawn(|| flip(&p, &stop, &broken));
        let mut rng = Rng::new(BOUNDS.seed);
        let ran = BOUNDS.run(|i| {
            if stop.load(SeqCst) {
                // Thread B broke: `broken` says why.
                return ControlFlow::Break(Ok(()));
            }
            jitter(&mut rng);
            let round = (|| -> TestResult {
                note(format!("allowed/sock: {}", connect_once(ty, &sock, &p, i)?));
                if i % 16 == 0 {
                    let r = connect_once(ty, &x, &p, i)?;
                    ensure!(
                        r == "ok, peer X",
                        "iteration {i}: connect({x}), X by its own path beneath allowed/, \
                         gave {r}"
                    );
                    control += 1;
                    let r = connect_once(ty, &d, &p, i)?;
                    ensure!(r != "ok, peer X", "iteration {i}: connect({d}) reached X");
                    note(format!("denied/d: {r}"));
                }
                Ok(())
            })();
            round.map_or_else(|e| ControlFlow::Break(Err(e)), ControlFlow::Continue)
        });
        stop.store(true, SeqCst);
        (ran, b.join().expect("thread B panicked"))
    });
    let counts: Vec<String> = tally.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "race {ty} connect vs rename/replace: {}, thread B {rounds} rounds; X reached by its \
         own path {control} times; {}",
        ran.summary(&BOUNDS),
        counts.join(" ")
    );
    ran.stopped.unwrap_or(Ok(()))?;
    if let Some(why) = broken.lock().unwrap().take() {
        return Err(fail(why));
    }
    ensure!(control > 0, "X was never reached: the race did not run");
    Ok(())
}

pub fn tests() -> Vec<Test> {
    Type::ALL
        .into_iter()
        .map(|ty| {
            Test::new(
                format!("unix::{ty}::races::socket_replaced_while_connecting"),
                move || replaced_while_connecting(ty),
            )
            .needs(crate::domain::RESOLVE_UNIX)
            .enforcement()
            .timeout(TEST_TIMEOUT)
            // One rule apart: with a rule on its directory, a server is
            // reached.
            .twin(format!(
                "unix::{ty}::connect::allowed_by_rule_on_parent_dir"
            ))
        })
        .collect()
}
