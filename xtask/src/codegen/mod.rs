//! `cargo xtask codegen [--check]`: the provider rules, the error kinds and
//! `docs/providers.md`, generated from `spec/`.
//!
//! Without `--check` it writes every generated file that differs. With it, it writes nothing
//! and fails naming each stale file; a `#[test]` runs the same check, so `cargo test` catches
//! a generated file edited by hand or a spec changed without regenerating.

mod emit_docs;
mod emit_rust;
mod spec;

use std::path::{Path, PathBuf};

use spec::Spec;

/// Every generated file: its path under the workspace root and its contents.
pub fn outputs(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let spec = Spec::load(root)?;
    let mut files = vec![
        (
            PathBuf::from("crates/files-core/src/extend/rules/formats.rs"),
            emit_rust::formats(&spec)?,
        ),
        (
            PathBuf::from("crates/files-core/src/error_kind.rs"),
            emit_rust::error_kinds(&spec),
        ),
        (
            PathBuf::from("crates/files-core/src/purpose/known.rs"),
            emit_rust::purposes(&spec),
        ),
        (
            PathBuf::from("docs/providers.md"),
            emit_docs::providers_md(&spec),
        ),
    ];
    files.push((
        PathBuf::from("crates/files-spec/src/bundled/texts.rs"),
        emit_rust::bundled_texts(&spec),
    ));
    for provider in spec
        .providers
        .iter()
        .filter(|p| spec::RULE_CRATES.contains(&p.provider.id.as_str()))
    {
        files.push((
            PathBuf::from(format!(
                "crates/provider-{}/src/rules.rs",
                provider.provider.id
            )),
            emit_rust::provider_rules(provider),
        ));
    }
    Ok(files)
}

/// The generated files under `root` that differ from what the spec gives.
pub fn stale(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut stale = Vec::new();
    for (path, contents) in outputs(root)? {
        let on_disk = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
        if on_disk != contents {
            stale.push(path);
        }
    }
    Ok(stale)
}

/// `--check`: fails naming each stale file and the command that fixes it.
pub fn check(root: &Path) -> Result<(), String> {
    let stale = stale(root)?;
    if stale.is_empty() {
        println!("the generated files match spec/");
        return Ok(());
    }
    let list: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "these files are not what spec/ generates (edited by hand, or the spec changed):\n  {}\n\
         run `cargo xtask codegen` and commit the result (to change a rule, edit spec/ first)",
        list.join("\n  ")
    ))
}

/// Writes every generated file that differs.
pub fn write(root: &Path) -> Result<(), String> {
    for (path, contents) in outputs(root)? {
        let full = root.join(&path);
        if std::fs::read_to_string(&full).ok().as_deref() == Some(contents.as_str()) {
            continue;
        }
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("could not create {}: {e}", dir.display()))?;
        }
        std::fs::write(&full, contents)
            .map_err(|e| format!("could not write {}: {e}", full.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drift check, so `cargo test --workspace` fails when a generated file and the spec
    /// disagree.
    #[test]
    fn generated_files_match_the_spec() {
        check(&crate::workspace_root()).unwrap();
    }

    /// A copy of the spec and of every generated file, in a temporary workspace.
    fn copy_of_workspace() -> tempfile::TempDir {
        let root = crate::workspace_root();
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec");
        std::fs::create_dir_all(&spec).unwrap();
        for entry in std::fs::read_dir(root.join("spec")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), spec.join(entry.file_name())).unwrap();
        }
        write(dir.path()).unwrap();
        dir
    }

    #[test]
    fn an_edited_generated_file_fails_the_check_by_name() {
        let dir = copy_of_workspace();
        assert!(check(dir.path()).is_ok());
        let edited = dir.path().join("crates/provider-stepfun/src/rules.rs");
        let text = std::fs::read_to_string(&edited).unwrap();
        std::fs::write(&edited, text.replace("134217728", "234217728")).unwrap();
        let err = check(dir.path()).unwrap_err();
        assert!(
            err.contains("crates/provider-stepfun/src/rules.rs"),
            "{err}"
        );
        assert!(err.contains("cargo xtask codegen"), "{err}");
        assert_eq!(stale(dir.path()).unwrap().len(), 1, "only the edited file");
        write(dir.path()).unwrap();
        assert!(check(dir.path()).is_ok(), "regenerating fixes it");
    }

    #[test]
    fn a_changed_spec_makes_its_outputs_stale() {
        let dir = copy_of_workspace();
        let spec = dir.path().join("spec/openai.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        std::fs::write(
            &spec,
            text.replace("max_bytes = 209715200", "max_bytes = 104857600"),
        )
        .unwrap();
        let stale = stale(dir.path()).unwrap();
        let names: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
        assert!(
            names.contains(&"crates/provider-openai/src/rules.rs".to_owned()),
            "{names:?}"
        );
        assert!(
            !names.contains(&"crates/provider-stepfun/src/rules.rs".to_owned()),
            "an OpenAI change leaves StepFun's rules alone: {names:?}"
        );
        assert!(names.contains(&"docs/providers.md".to_owned()), "{names:?}");
    }

    #[test]
    fn an_inconsistent_spec_is_refused_with_the_reason() {
        let dir = copy_of_workspace();
        let spec = dir.path().join("spec/stepfun.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        std::fs::write(
            &spec,
            text.replace("\"mp4\", \"jpeg\"", "\"mp5\", \"jpeg\""),
        )
        .unwrap();
        let err = check(dir.path()).unwrap_err();
        assert!(
            err.contains("spec/stepfun.toml: [[purpose]] storage: formats: unknown format \"mp5\""),
            "{err}"
        );
    }
}
