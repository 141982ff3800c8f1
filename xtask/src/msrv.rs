//! `cargo xtask msrv`: the declared `rust-version` stays honest about the dependencies.
//!
//! Clippy's `incompatible_msrv` lint catches our own code using a newer standard library
//! than `rust-version` allows, but not a dependency that needs a newer compiler: a
//! `cargo update` can bring one in, and CI, on one recent toolchain, would build it without a
//! word. This check reads `cargo metadata` for every package the lockfile resolves (every
//! platform, every feature, dev-dependencies and the unpublished crates' dependencies too:
//! stricter than a user needs) and fails naming each whose own `rust-version` is above the
//! workspace's. A package that declares no `rust-version` cannot be checked; the count of
//! them is printed.

use std::process::Command;

use crate::{cargo, workspace_root};

/// A Rust version as `rust-version` writes it: `1.88` or `1.88.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RustVersion(u64, u64, u64);

impl RustVersion {
    /// Reads `major.minor[.patch]`.
    pub(crate) fn parse(text: &str) -> Result<RustVersion, String> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let number = |i: usize| -> Result<u64, String> {
            parts.get(i).map_or(Ok(0), |part| {
                part.parse()
                    .map_err(|_| format!("{text:?} is not a Rust version such as 1.88 or 1.88.1"))
            })
        };
        if !(2..=3).contains(&parts.len()) {
            return Err(format!(
                "{text:?} is not a Rust version such as 1.88 or 1.88.1"
            ));
        }
        Ok(RustVersion(number(0)?, number(1)?, number(2)?))
    }
}

impl std::fmt::Display for RustVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)?;
        if self.2 != 0 {
            write!(f, ".{}", self.2)?;
        }
        Ok(())
    }
}

/// What the check found.
#[derive(Debug)]
pub(crate) struct MsrvReport {
    /// The workspace's `rust-version`.
    pub(crate) declared: RustVersion,
    /// The dependencies that need a newer Rust, as `name version (rust-version V)`.
    pub(crate) above: Vec<String>,
    /// How many dependencies declare a `rust-version`.
    pub(crate) checked: usize,
    /// How many declare none, and so could not be checked.
    pub(crate) undeclared: usize,
}

/// Reads `metadata` (the JSON of `cargo metadata`): the workspace's declared version, and the
/// dependencies that need a newer Rust.
pub(crate) fn above_workspace(metadata: &serde_json::Value) -> Result<MsrvReport, String> {
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata gave no packages")?;
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .ok_or("cargo metadata gave no workspace members")?
        .iter()
        .filter_map(|id| id.as_str())
        .collect();
    let is_member =
        |p: &serde_json::Value| p["id"].as_str().is_some_and(|id| members.contains(&id));
    let mut declared = None;
    for member in packages.iter().filter(|p| is_member(p)) {
        let name = member["name"].as_str().unwrap_or("?");
        let version = member["rust_version"].as_str().ok_or_else(|| {
            format!("{name} declares no rust-version: give it rust-version.workspace = true")
        })?;
        let version = RustVersion::parse(version)?;
        match declared {
            None => declared = Some(version),
            Some(other) if other != version => {
                return Err(format!(
                    "{name} declares rust-version {version}, another member {other}: keep one, in [workspace.package]"
                ));
            }
            Some(_) => {}
        }
    }
    let declared = declared.ok_or("the workspace has no members")?;
    let mut report = MsrvReport {
        declared,
        above: Vec::new(),
        checked: 0,
        undeclared: 0,
    };
    for package in packages.iter().filter(|p| !is_member(p)) {
        let name = format!(
            "{} {}",
            package["name"].as_str().unwrap_or("?"),
            package["version"].as_str().unwrap_or("?")
        );
        let Some(needs) = package["rust_version"].as_str() else {
            report.undeclared += 1;
            continue;
        };
        let needs = RustVersion::parse(needs).map_err(|e| format!("{name}: {e}"))?;
        report.checked += 1;
        if needs > declared {
            report.above.push(format!("{name} (rust-version {needs})"));
        }
    }
    Ok(report)
}

/// Runs the check.
pub(crate) fn run() -> Result<(), String> {
    let output = Command::new(cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--all-features",
        ])
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("could not run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata's output is not JSON: {e}"))?;
    let MsrvReport {
        declared,
        above,
        checked,
        undeclared,
    } = above_workspace(&metadata)?;
    if above.is_empty() {
        println!(
            "rust-version {declared}: none of the {checked} dependencies that declare a \
             rust-version needs a newer Rust ({undeclared} declare none and are not checked)"
        );
        Ok(())
    } else {
        Err(format!(
            "the workspace declares rust-version {declared}, but these dependencies need a newer Rust: {}; \
             pin older versions (cargo update -p NAME --precise V) or raise rust-version (a breaking change, see CHANGELOG.md)",
            above.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(member: &str, deps: &[(&str, Option<&str>)]) -> serde_json::Value {
        let mut packages = vec![
            serde_json::json!({"id": "m", "name": "ours", "version": "0.1.0", "rust_version": member}),
        ];
        for (i, (name, needs)) in deps.iter().enumerate() {
            packages.push(serde_json::json!({"id": format!("d{i}"), "name": name, "version": "1.0.0", "rust_version": needs}));
        }
        serde_json::json!({"packages": packages, "workspace_members": ["m"]})
    }

    #[test]
    fn versions_compare_by_number_not_text() {
        assert!(RustVersion::parse("1.100").unwrap() > RustVersion::parse("1.88").unwrap());
        assert_eq!(
            RustVersion::parse("1.88").unwrap(),
            RustVersion::parse("1.88.0").unwrap()
        );
        assert!(RustVersion::parse("1.88.1").unwrap() > RustVersion::parse("1.88").unwrap());
        assert!(RustVersion::parse("1").is_err());
        assert!(RustVersion::parse("1.x").is_err());
        assert!(RustVersion::parse("1.2.3.4").is_err());
    }

    #[test]
    fn a_dependency_above_the_declared_version_is_named() {
        let m = metadata(
            "1.88",
            &[
                ("old", Some("1.63")),
                ("same", Some("1.88")),
                ("none", None),
                ("new", Some("1.89")),
            ],
        );
        let report = above_workspace(&m).unwrap();
        assert_eq!(report.declared, RustVersion(1, 88, 0));
        assert_eq!(report.above, ["new 1.0.0 (rust-version 1.89)"]);
        assert_eq!((report.checked, report.undeclared), (3, 1));
    }

    #[test]
    fn a_member_without_rust_version_is_refused() {
        let mut m = metadata("1.88", &[]);
        m["packages"][0]["rust_version"] = serde_json::Value::Null;
        assert!(
            above_workspace(&m)
                .unwrap_err()
                .contains("declares no rust-version")
        );
    }
}
