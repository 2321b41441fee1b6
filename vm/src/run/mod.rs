//! Run machinery: suite binaries on the host or a VM run, turned into
//! events ([`events`]) as they go. Nothing here prints or writes reports;
//! consumers in `ui` and `report` do.

pub mod collector;
pub mod console_scan;
pub mod events;
pub mod host;
pub mod interrupt;
pub mod jsonl_tail;
pub mod records;
pub mod vm;
