//! Debian kernel packages: a private apt state (never the host's), name
//! resolution to the newest matching point release, download and extraction.

use crate::kernel::catalogue::DebianSpec;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The suites the private sources list names: together they hold one
/// kernel for every Landlock ABI from 2 on.
pub const SUITES: [&str; 5] = [
    "bookworm",
    "bookworm-backports",
    "trixie",
    "trixie-backports",
    "sid",
];
const MIRROR: &str = "http://deb.debian.org/debian";
const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// Lists older than this are refreshed before a resolution, so that "the
/// newest" means what it says without an update on every run.
pub const LISTS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// apt-get and apt-cache pointed at a state directory of our own.
pub struct Apt {
    dir: PathBuf,
}

impl Apt {
    pub fn new(dir: PathBuf) -> Apt {
        Apt { dir }
    }

    pub fn sources_list() -> String {
        SUITES
            .iter()
            .map(|s| format!("deb [signed-by={KEYRING}] {MIRROR} {s} main\n"))
            .collect()
    }

    fn options(&self) -> Vec<String> {
        let d = |p: &str| self.dir.join(p).display().to_string();
        vec![
            format!("-o=Dir::Etc::SourceList={}", d("sources.list")),
            "-o=Dir::Etc::SourceParts=/dev/null".into(),
            format!("-o=Dir::State::Lists={}", d("lists")),
            format!("-o=Dir::Cache={}", d("cache")),
            "-o=Dir::Etc::Preferences=/dev/null".into(),
            format!("-o=Dir::Etc::PreferencesParts={}", d("etc/preferences.d")),
            // As root, apt would otherwise drop to `_apt`, which cannot write
            // into a cache under /root.
            "-o=APT::Sandbox::User=root".into(),
        ]
    }

    pub fn ensure_layout(&self) -> Result<()> {
        for sub in [
            "lists/partial",
            "cache/archives/partial",
            "etc/preferences.d",
        ] {
            let d = self.dir.join(sub);
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        }
        if !Path::new(KEYRING).exists() {
            bail!(
                "{KEYRING} is missing; install debian-archive-keyring (llconf setup does) \
                 so that the package indexes can be verified"
            );
        }
        let list = self.dir.join("sources.list");
        let want = Self::sources_list();
        if std::fs::read_to_string(&list).ok().as_deref() != Some(want.as_str()) {
            std::fs::write(&list, want).with_context(|| format!("writing {}", list.display()))?;
        }
        Ok(())
    }

    /// How long since the last successful update; `None` when there was
    /// none. A stamp of our own, since apt keeps an unchanged index's mtime.
    pub fn lists_age(&self) -> Option<Duration> {
        let stamp = std::fs::metadata(self.dir.join("updated")).ok()?;
        self.dir.join("lists").is_dir().then_some(())?;
        Some(stamp.modified().ok()?.elapsed().unwrap_or_default())
    }

    pub fn update(&self) -> Result<()> {
        self.ensure_layout()?;
        let out = Command::new("apt-get")
            .args(self.options())
            .args(["-q", "update"])
            .stdin(Stdio::null())
            .output()
            .context("running apt-get update (is this a Debian system?)")?;
        // apt-get update exits 0 even when a source failed; its warnings say so.
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || stderr.contains("W: Failed to fetch") {
            bail!(
                "apt-get update of the private package lists in {} failed ({}):\n{}",
                self.dir.display(),
                out.status,
                stderr.trim_end()
            );
        }
        std::fs::write(self.dir.join("updated"), "")
            .with_context(|| format!("writing {}", self.dir.join("updated").display()))
    }

    /// Every kernel package name in the index for `series`.
    pub fn kernel_names(&self, series: &str) -> Result<Vec<String>> {
        let pattern = format!(
            "^linux-(image|binary|modules)-{}[.-]",
            series.replace('.', "\\.")
        );
        let out = self.cache(&["search", "--names-only", &pattern])?;
        Ok(parse_search(&out))
    }

    /// The version apt would download for `package`.
    pub fn candidate_version(&self, package: &str) -> Result<String> {
        let out = self.cache(&["show", "--no-all-versions", package])?;
        out.lines()
            .find_map(|l| l.strip_prefix("Version: "))
            .map(|v| v.trim().to_string())
            .with_context(|| format!("apt-cache show {package} gave no version"))
    }

    fn cache(&self, args: &[&str]) -> Result<String> {
        let out = Command::new("apt-cache")
            .args(self.options())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("running apt-cache")?;
        if !out.status.success() {
            bail!(
                "apt-cache {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Downloads `package=version` into `dir` (unless already there) and
    /// returns the .deb.
    pub fn download(&self, package: &str, version: &str, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let present = || {
            ["amd64", "all"]
                .iter()
                .map(|arch| dir.join(deb_file_name(package, version, arch)))
                .find(|p| p.is_file())
        };
        if let Some(deb) = present() {
            return Ok(deb);
        }
        let out = Command::new("apt-get")
            .args(self.options())
            .args(["-q", "download", &format!("{package}={version}")])
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .context("running apt-get download")?;
        match present() {
            Some(deb) if out.status.success() => Ok(deb),
            _ => bail!(
                "apt-get download {package}={version} failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            ),
        }
    }
}

/// apt's file name for a package: the epoch's colon is escaped; `arch` is
/// `amd64`, or `all` for a package such as linux-source.
fn deb_file_name(package: &str, version: &str, arch: &str) -> String {
    format!("{package}_{}_{arch}.deb", version.replace(':', "%3a"))
}

pub fn extract(deb: &Path, into: &Path) -> Result<()> {
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(into)
        .stdin(Stdio::null())
        .status()
        .context("running dpkg-deb")?;
    if !status.success() {
        bail!("dpkg-deb -x {} failed ({status})", deb.display());
    }
    Ok(())
}

/// `apt-cache search` lines: `name - description`.
pub fn parse_search(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.split(" - ").next())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// A kernel release as Debian names it: `6.12.95+deb12-amd64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// `6.12.95+deb12-amd64`.
    pub name: String,
    /// `6.12.95` or `6.1.0-57`.
    pub version: String,
    /// `deb12`, `deb12.1`.
    pub dist: Option<String>,
    /// Numbers to order releases by: the version's, then the dist tag's.
    key: Vec<u64>,
}

/// The packages that hold one bootable kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub release: String,
    /// The image first; with Debian's split packages, the modules after it.
    pub packages: Vec<String>,
}

/// What kind of kernel package a name is, and its release, if it is one of
/// `flavour` (which rules out `-cloud-amd64` when asking for `amd64`).
fn parse_name(name: &str, flavour: &str) -> Option<(&'static str, Release, bool)> {
    let (kind, rest) = ["image", "binary", "modules"].iter().find_map(|k| {
        name.strip_prefix(&format!("linux-{k}-"))
            .map(|rest| (*k, rest))
    })?;
    let (release, unsigned) = match rest.strip_suffix("-unsigned") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let head = release.strip_suffix(&format!("-{flavour}"))?;
    let (version, dist) = match head.split_once('+') {
        Some((v, d)) => (v, Some(d)),
        None => (head, None),
    };
    // Only digits, dots and one ABI dash: rejects other flavours
    // (`6.12.95+deb12-cloud`) and metapackages (`linux-image-amd64`).
    let version_ok = !version.is_empty()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    let dist_ok = dist.is_none_or(|d| {
        d.strip_prefix("deb")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'))
    });
    if !version_ok || !dist_ok {
        return None;
    }
    let numbers = |s: &str| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let mut key = numbers(version);
    key.push(u64::MAX); // version parts sort before the dist tag's
    key.extend(dist.map(numbers).unwrap_or_default());
    Some((
        kind,
        Release {
            name: release.to_string(),
            version: version.to_string(),
            dist: dist.map(str::to_string),
            key,
        },
        unsigned,
    ))
}

fn matches(release: &Release, spec: &DebianSpec) -> bool {
    let series_ok = release
        .version
        .strip_prefix(&spec.series)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-']));
    let dist_ok = spec.dist.as_ref().is_none_or(|want| {
        release.dist.as_ref().is_some_and(|d| {
            d == want
                || d.strip_prefix(want.as_str())
                    .is_some_and(|r| r.starts_with('.'))
        })
    });
    let version_ok = spec.version.as_ref().is_none_or(|v| &release.version == v);
    series_ok && dist_ok && version_ok
}

/// The newest bootable release among `names` (an index listing) that fits
/// `spec`. Debian split 6.19 and later into `linux-binary-*` (the image)
/// and `linux-modules-*`. vng needs the modules (9p, overlay): with
/// `needs_modules`, a release whose modules package is gone is skipped.
/// Without, such a release is just its image (qemu-initramfs boots it);
/// the modules still come along when they exist, so that one extracted
/// kernel serves both backends.
pub fn resolve(names: &[String], spec: &DebianSpec, needs_modules: bool) -> Result<Resolved> {
    let mut releases: Vec<Release> = Vec::new();
    let mut has = std::collections::HashSet::new();
    for n in names {
        if let Some((kind, release, unsigned)) = parse_name(n, &spec.flavour) {
            if matches(&release, spec) {
                has.insert((kind, release.name.clone(), unsigned));
                if !releases.iter().any(|r| r.name == release.name) {
                    releases.push(release);
                }
            }
        }
    }
    releases.sort_by(|a, b| b.key.cmp(&a.key));
    let wanted = describe(spec);
    let Some(newest) = releases.first() else {
        bail!(
            "no package in the index matches {wanted} (searched {}); \
             check `series`, `dist`, `flavour` and `version`",
            SUITES.join(", ")
        );
    };
    let mut missing_modules = None;
    for r in &releases {
        let n = &r.name;
        if has.contains(&("binary", n.clone(), false)) {
            if has.contains(&("modules", n.clone(), false)) {
                return Ok(Resolved {
                    release: n.clone(),
                    packages: vec![format!("linux-binary-{n}"), format!("linux-modules-{n}")],
                });
            }
            if !needs_modules {
                return Ok(Resolved {
                    release: n.clone(),
                    packages: vec![format!("linux-binary-{n}")],
                });
            }
            missing_modules.get_or_insert_with(|| format!("linux-modules-{n}"));
            continue;
        }
        for (unsigned, suffix) in [(true, "-unsigned"), (false, "")] {
            if has.contains(&("image", n.clone(), unsigned)) {
                return Ok(Resolved {
                    release: n.clone(),
                    packages: vec![format!("linux-image-{n}{suffix}")],
                });
            }
        }
    }
    match missing_modules {
        Some(m) => bail!(
            "{wanted}: package {m} is not in the index (Debian removed it), and virtme-ng \
             cannot boot linux-binary-{} without its modules (9p, overlay); \
             no older release of it has them either; the qemu-initramfs backend \
             boots it without modules (`backend = \"qemu-initramfs\"` or --backend)",
            newest.name
        ),
        None => bail!("{wanted}: no installable image package for {}", newest.name),
    }
}

fn describe(spec: &DebianSpec) -> String {
    let mut s = format!(
        "linux-image-{}",
        spec.version.as_deref().unwrap_or(&spec.series)
    );
    if spec.version.is_none() {
        s.push_str(".*");
    }
    if let Some(d) = &spec.dist {
        s.push_str(&format!("+{d}"));
    }
    s.push_str(&format!("-{}", spec.flavour));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names as `apt-cache search --names-only` listed them on 2026-11-29.
    const LISTING: &str = "\
linux-image-6.1.0-47-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-47-amd64-unsigned - Linux 6.1 for 64-bit PCs
linux-image-6.1.0-50-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-50-amd64-unsigned - Linux 6.1 for 64-bit PCs
linux-image-6.1.0-50-cloud-amd64-unsigned - Linux 6.1 for x86-64 cloud
linux-image-6.12.95+deb12-amd64-unsigned - Linux 6.12 for 64-bit PCs
linux-image-6.12.95+deb12-cloud-amd64-unsigned - Linux 6.12 for x86-64 cloud
linux-image-6.12.9+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.90+deb12.1-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.95+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.117+deb13-amd64-unsigned - Linux 6.12 for 64-bit PCs
linux-image-6.12.117+deb13-rt-amd64-unsigned - Linux 6.12 for 64-bit PCs, PREEMPT_RT
linux-image-7.2.13+deb14-amd64 - Linux 7.2 for 64-bit PCs (meta-package)
linux-binary-7.2.13+deb14-amd64 - Linux 7.2 image
linux-modules-7.2.13+deb14-amd64 - Linux 7.2 modules
linux-binary-7.2.12+deb13-amd64 - Linux 7.2 image
linux-modules-7.2.12+deb13-amd64 - Linux 7.2 modules
linux-binary-7.1.13+deb13-amd64 - Linux 7.1 image
linux-image-7.1.13+deb13-amd64 - Linux 7.1 (meta-package)
linux-image-amd64 - Linux for 64-bit PCs (meta-package)
";

    fn names() -> Vec<String> {
        parse_search(LISTING)
    }

    fn spec(series: &str, dist: Option<&str>, version: Option<&str>) -> DebianSpec {
        DebianSpec {
            series: series.into(),
            dist: dist.map(Into::into),
            flavour: "amd64".into(),
            version: version.map(Into::into),
        }
    }

    #[test]
    fn the_newest_unsigned_image_of_the_series_and_dist() {
        let r = resolve(&names(), &spec("6.12", Some("deb12"), None), true).unwrap();
        assert_eq!(r.release, "6.12.95+deb12-amd64");
        assert_eq!(r.packages, ["linux-image-6.12.95+deb12-amd64-unsigned"]);
        // Without a dist the trixie build is newer.
        let r = resolve(&names(), &spec("6.12", None, None), true).unwrap();
        assert_eq!(r.release, "6.12.117+deb13-amd64");
    }

    #[test]
    fn abi_numbered_releases_order_numerically() {
        let r = resolve(&names(), &spec("6.1", None, None), true).unwrap();
        assert_eq!(r.packages, ["linux-image-6.1.0-50-amd64-unsigned"]);
    }

    #[test]
    fn a_pinned_version_is_taken_and_a_dist_revision_matches_its_dist() {
        let r = resolve(
            &names(),
            &spec("6.12", Some("deb12"), Some("6.12.90")),
            true,
        )
        .unwrap();
        assert_eq!(r.packages, ["linux-image-6.12.90+deb12.1-amd64"]);
        let err = resolve(&names(), &spec("6.12", Some("deb12"), Some("6.12.1")), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("linux-image-6.12.1+deb12-amd64"), "{err}");
    }

    #[test]
    fn split_packages_give_binary_and_modules() {
        let r = resolve(&names(), &spec("7.2", Some("deb14"), None), true).unwrap();
        assert_eq!(
            r.packages,
            [
                "linux-binary-7.2.13+deb14-amd64",
                "linux-modules-7.2.13+deb14-amd64"
            ]
        );
    }

    #[test]
    fn a_missing_modules_package_is_named() {
        let err = resolve(&names(), &spec("7.1", None, None), true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("linux-modules-7.1.13+deb13-amd64 is not in the index"),
            "{err}"
        );
    }

    #[test]
    fn without_the_need_for_modules_the_image_alone_will_do() {
        let r = resolve(&names(), &spec("7.1", None, None), false).unwrap();
        assert_eq!(r.release, "7.1.13+deb13-amd64");
        assert_eq!(r.packages, ["linux-binary-7.1.13+deb13-amd64"]);
        // Modules that exist still come along.
        let r = resolve(&names(), &spec("7.2", Some("deb14"), None), false).unwrap();
        assert_eq!(r.packages.len(), 2);
    }

    #[test]
    fn no_match_names_what_was_looked_for() {
        let err = resolve(&names(), &spec("9.9", None, None), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("linux-image-9.9.*-amd64"), "{err}");
        assert!(err.contains("bookworm-backports"), "{err}");
    }

    #[test]
    fn other_flavours_and_series_prefixes_are_not_taken() {
        let r = resolve(&names(), &spec("6.1", None, None), true).unwrap();
        assert!(!r.release.contains("cloud"));
        // "6.1" must not match 6.12.
        assert!(r.release.starts_with("6.1.0-"));
    }

    #[test]
    fn the_sources_list_names_every_suite() {
        let list = Apt::sources_list();
        assert_eq!(list.lines().count(), 5);
        assert!(list.contains("debian bookworm-backports main"));
        assert!(list.contains("signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"));
    }
}
