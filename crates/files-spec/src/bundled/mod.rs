//! The providers bundled with the SDK, each read from its `spec/*.toml` (embedded by
//! `cargo xtask codegen`, checked by this crate's tests).

use std::sync::{Arc, OnceLock};

use crate::spec::ProviderSpec;

#[rustfmt::skip]
mod texts;

pub use texts::SPECS;

/// Every bundled provider, in the order of `docs/providers.md`.
pub fn all() -> &'static [Arc<ProviderSpec>] {
    static ALL: OnceLock<Vec<Arc<ProviderSpec>>> = OnceLock::new();
    ALL.get_or_init(|| {
        SPECS
            .iter()
            .map(|(file, text)| {
                // The texts are the files of spec/, which a test reads through this same
                // function: a bundled spec that does not parse fails `cargo test`.
                let spec = ProviderSpec::parse(file, text)
                    .unwrap_or_else(|e| panic!("a bundled spec is invalid: {e}"));
                Arc::new(spec)
            })
            .collect()
    })
}

/// The bundled provider whose id (its CLI name) is `id`.
pub fn named(id: &str) -> Option<Arc<ProviderSpec>> {
    all().iter().find(|s| s.id() == id).cloned()
}

/// The ids of the bundled providers.
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|s| s.id()).collect()
}

macro_rules! bundled {
    ($($(#[$doc:meta])* $fn:ident = $id:literal;)*) => {$(
        $(#[$doc])*
        pub fn $fn() -> Arc<ProviderSpec> {
            named($id).unwrap_or_else(|| panic!("{} is bundled (spec/{}.toml)", $id, $id))
        }
    )*};
}

bundled! {
    /// OpenAI (`spec/openai.toml`).
    openai = "openai";
    /// StepFun (`spec/stepfun.toml`).
    stepfun = "stepfun";
    /// Azure OpenAI (`spec/azure.toml`): the v1 API, or the dated API with an API version.
    azure = "azure";
    /// Moonshot, Kimi (`spec/moonshot.toml`).
    moonshot = "moonshot";
    /// Alibaba DashScope, Qwen, OpenAI-compatible mode (`spec/dashscope.toml`).
    dashscope = "dashscope";
    /// Mistral AI (`spec/mistral.toml`).
    mistral = "mistral";
    /// Groq (`spec/groq.toml`).
    groq = "groq";
    /// Zhipu, GLM (`spec/zhipu.toml`).
    zhipu = "zhipu";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_spec_parses_and_has_its_id() {
        assert_eq!(all().len(), SPECS.len());
        for (file, _) in SPECS {
            let id = file.trim_end_matches(".toml");
            assert_eq!(named(id).map(|s| s.id().to_owned()).as_deref(), Some(id));
        }
    }
}
