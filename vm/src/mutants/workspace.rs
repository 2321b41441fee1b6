//! A private copy of a kernel tree to plant mutants in, and its build. The
//! tree llconf read the source from is never written, not even for a
//! moment: the copy is a farm of symbolic links to it (`cp -as`), except
//! the mutated folder, whose files are real copies. A mutant is written
//! over its file's copy and undone by writing the original back; both are
//! new files, newer than the object, so make rebuilds them. A run killed
//! half-way leaves a mutant in the copy: the next run starts by copying
//! the folder again. One run at a time holds a workspace: a second is
//! refused while the first holds its lock (the kernel releases it when the
//! holder dies, even by kill -9), or takes the next free workspace when it
//! was given several (`open_free`).

use crate::host::lock;
use crate::kernel::uml_build;
use crate::mutants::points::Mutant;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// In the build directory: the digest of the fragments it was configured
/// with.
const FRAGMENTS_STAMP: &str = ".llconf-fragments";

#[derive(Debug, Clone)]
pub struct Workspace {
    /// Where the copy and its build are.
    pub root: PathBuf,
    /// The tree read, never written.
    pub source: PathBuf,
    /// The copy that builds.
    pub copy: PathBuf,
    /// Its build directory (`O=`).
    pub build: PathBuf,
    /// The mutated folder, relative: `security/landlock`.
    pub folder: String,
    /// Held for as long as the workspace is open.
    _lock: std::sync::Arc<std::fs::File>,
}

impl Workspace {
    /// The copy under the first of `roots` no other run holds, made on
    /// first use; the mutated folder copied again from `source` in any
    /// case. Several roots let runs (shards of one measure) build and
    /// judge side by side; refused when every one is held. A workspace not
    /// used before is built whole the first time.
    pub fn open_free(roots: &[PathBuf], source: &Path, folder: &str) -> Result<Workspace> {
        for root in roots {
            if let Some(lock) = lock::try_exclusive(root)? {
                return Self::open_locked(root, source, folder, lock);
            }
        }
        bail!(
            "every mutants workspace is in use by another llconf mutants run ({}); wait for \
             one to end, or stop it",
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    fn open_locked(
        root: &Path,
        source: &Path,
        folder: &str,
        lock: std::fs::File,
    ) -> Result<Workspace> {
        let ws = Workspace {
            root: root.to_path_buf(),
            source: source.to_path_buf(),
            copy: root.join("src"),
            build: root.join("build"),
            folder: folder.trim_matches('/').to_string(),
            _lock: std::sync::Arc::new(lock),
        };
        if !ws.copy.join("Makefile").exists() {
            let partial = root.join("src.partial");
            let _ = std::fs::remove_dir_all(&partial);
            std::fs::create_dir_all(root)?;
            let status = Command::new("cp")
                .arg("-as")
                .arg(source)
                .arg(&partial)
                .stdin(Stdio::null())
                .status()
                .context("running cp -as")?;
            if !status.success() {
                bail!(
                    "copying {} as links into {} failed ({status})",
                    source.display(),
                    partial.display()
                );
            }
            std::fs::rename(&partial, &ws.copy)?;
        }
        ws.reset()?;
        Ok(ws)
    }

    /// Every file of the mutated folder as a real copy of the source's.
    pub fn reset(&self) -> Result<()> {
        let from = self.source.join(&self.folder);
        let to = self.copy.join(&self.folder);
        let _ = std::fs::remove_dir_all(&to);
        std::fs::create_dir_all(&to)?;
        copy_dir(&from, &to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))
    }

    /// Writes the mutant into the copy.
    pub fn plant(&self, m: &Mutant, source: &str) -> Result<()> {
        write_new(&self.copy.join(&m.file), &m.apply(source))
    }

    /// Writes the original back.
    pub fn undo(&self, m: &Mutant, source: &str) -> Result<()> {
        write_new(&self.copy.join(&m.file), source)
    }

    /// Builds what changed: everything, the first time and whenever the
    /// config fragments changed since the build was configured.
    pub fn make(&self, kernels_dir: &Path, log: &Path) -> Result<()> {
        let fragments = &uml_build::MUTANTS_FRAGMENTS;
        let digest = uml_build::fragments_digest(kernels_dir, fragments)?;
        let stamp = self.build.join(FRAGMENTS_STAMP);
        let configured = std::fs::read_to_string(&stamp).ok();
        if self.build.join(".config").is_file() && configured.as_deref() == Some(&digest) {
            return uml_build::rebuild(&self.copy, &self.build, log);
        }
        // Not configured, or with other fragments: configured again (make
        // then rebuilds what the new configuration changes).
        let _ = std::fs::remove_file(&stamp);
        uml_build::build_with(&self.copy, &self.build, kernels_dir, fragments, log)?;
        std::fs::write(&stamp, digest).with_context(|| format!("writing {}", stamp.display()))
    }

    pub fn program(&self) -> PathBuf {
        self.build.join("linux")
    }

    /// The object a source file of the folder compiles to.
    pub fn object(&self, file: &str) -> PathBuf {
        self.build.join(Path::new(file).with_extension("o"))
    }
}

/// A new file in place of the old (or of a link): its time is now, so make
/// sees it as changed.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("llconf-new");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutants::points;

    #[test]
    fn mutants_are_planted_in_the_copy_and_never_in_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("linux");
        let ll = source.join("security/landlock");
        std::fs::create_dir_all(&ll).unwrap();
        std::fs::write(source.join("Makefile"), "all:\n").unwrap();
        let text = "int f(void) { return -EACCES; }\n";
        std::fs::write(ll.join("net.c"), text).unwrap();
        let before = std::fs::read(ll.join("net.c")).unwrap();

        let ws =
            Workspace::open_free(&[dir.path().join("ws")], &source, "security/landlock").unwrap();
        let copied = ws.copy.join("security/landlock/net.c");
        assert!(!copied.symlink_metadata().unwrap().file_type().is_symlink());
        assert!(ws
            .copy
            .join("Makefile")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink());

        let again = Workspace::open_free(&[dir.path().join("ws")], &source, "security/landlock");
        let err = again.expect_err("a second run on the same workspace");
        assert!(err.to_string().contains("in use by another"), "{err}");

        // A second run given more than one workspace takes the next free
        // one, and a third, with none left, is refused.
        let roots = [dir.path().join("ws"), dir.path().join("ws.2")];
        let second = Workspace::open_free(&roots, &source, "security/landlock").unwrap();
        assert_eq!(second.copy, dir.path().join("ws.2/src"));
        let err = Workspace::open_free(&roots, &source, "security/landlock")
            .expect_err("every workspace held");
        assert!(err.to_string().contains("every mutants workspace"), "{err}");
        drop(second);

        let m = &points::find("security/landlock/net.c", text)[0];
        ws.plant(m, text).unwrap();
        assert_eq!(
            std::fs::read_to_string(&copied).unwrap(),
            "int f(void) { return 0; }\n"
        );
        assert_eq!(std::fs::read(ll.join("net.c")).unwrap(), before);
        ws.undo(m, text).unwrap();
        assert_eq!(std::fs::read_to_string(&copied).unwrap(), text);

        // Killed with a mutant in place: the next open copies the folder again.
        ws.plant(m, text).unwrap();
        drop(ws);
        let again =
            Workspace::open_free(&[dir.path().join("ws")], &source, "security/landlock").unwrap();
        assert_eq!(
            std::fs::read_to_string(again.copy.join(&m.file)).unwrap(),
            text
        );
        assert_eq!(
            again.object("security/landlock/net.c"),
            dir.path().join("ws/build/security/landlock/net.o")
        );
    }
}
