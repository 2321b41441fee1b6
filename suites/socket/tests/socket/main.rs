//! Suite `socket`: socket creation control, a Landlock proposal that no
//! kernel has merged. Current kernels must reject its ruleset field and
//! rule type (`uapi`); the positive cases (`create`, `boundaries`) run only
//! where the probe finds the proposal, and skip with the reason
//! "socket creation control not supported by this kernel" elsewhere.
//! Every assumption about the proposed UAPI is in `proposed`.

mod boundaries;
mod create;
mod proposed;
mod support;
mod uapi;

fn main() {
    let tests = [uapi::tests(), create::tests(), boundaries::tests()].concat();
    llconf_harness::runner::main("socket", tests)
}
