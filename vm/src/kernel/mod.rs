//! Kernels: the catalogue (`kernels/*.toml`), Debian packages fetched with
//! a private apt state, User-Mode Linux builds, and `prepare()`, which turns
//! a definition into something a backend can boot.

pub mod backend;
pub mod catalogue;
pub mod debian;
pub mod image;
pub mod prepare;
pub mod store;
pub mod uml_build;
