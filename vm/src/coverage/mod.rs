//! Kernel coverage under a gcov build of User-Mode Linux (`llconf
//! coverage`): resetting and reading the counters with lcov, and building
//! the kernel's own Landlock selftests from the same source to run beside
//! the suites. The runs themselves are ordinary UML runs (`run::vm`).

pub mod counters;
pub mod ksft;
