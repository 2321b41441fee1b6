//! What a CI system's own job matrix needs from the kernel catalogue: one
//! job per kernel to run in CI, with the backend it boots with and a cache
//! key that changes exactly when what the job caches would. The engine that
//! spreads the jobs over machines is the CI system's (GitHub Actions'
//! matrix, a GitLab child pipeline), not llconf's.

pub mod matrix;
