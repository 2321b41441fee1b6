//! Kernels: the catalogue (`kernels/*.toml`) and which backend each boots
//! with, Debian packages fetched with a private apt state into the store,
//! User-Mode Linux builds (of trees patched first when a definition lists
//! patches), a kernel tree named with `--tree`, and
//! `prepare()`, which turns a definition into an image a backend can boot.

pub mod backend;
pub mod catalogue;
pub mod debian;
pub mod digest;
pub mod image;
pub mod patches;
pub mod prepare;
pub mod store;
pub mod tree;
pub mod uml_build;
