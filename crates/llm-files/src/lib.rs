//! One dependency for the StepFun and OpenAI Files APIs. This crate re-exports the clients
//! (`files-client`), and behind features the providers and transports, so a program adds one
//! line and picks what it needs:
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `openai` | `OpenAi` (`provider-openai`) | yes |
//! | `stepfun` | `StepFun` (`provider-stepfun`) | yes |
//! | `async` | `AsyncClient` over `ReqwestTransport`, on tokio | yes |
//! | `blocking` | `Client` over `UreqTransport`: no async runtime | no |
//!
//! `default-features = false, features = ["openai", "blocking"]` pulls in no async runtime
//! (`cargo xtask sans-io` checks it). The piecemeal crates stay the way to depend on exactly
//! what you need, or to bring your own transport.
//!
//! ```no_run
//! use llm_files::{ListParams, Purpose, UploadRequest};
//!
//! # async fn run() -> Result<(), llm_files::Error> {
//! let client = llm_files::openai_async()?; // OPENAI_API_KEY, OPENAI_BASE_URL, ...
//! let file = client
//!     .files()
//!     .create(UploadRequest::from_path("batch.jsonl", Purpose::BATCH))
//!     .await?;
//! let page = client.files().list(&ListParams::new()).await?;
//! println!("{} uploaded; {} files", file.id, page.data.len());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use files_client::*;

#[cfg(feature = "openai")]
pub use provider_openai::{self as openai, OpenAi};
#[cfg(feature = "stepfun")]
pub use provider_stepfun::{self as stepfun, Region, StepFun};
#[cfg(feature = "async")]
pub use transport_reqwest::{self, ReqwestTransport};
#[cfg(feature = "blocking")]
pub use transport_ureq::{self, UreqTransport};

/// The blocking client for OpenAI over ureq, configured from the environment
/// (`OPENAI_API_KEY`, and `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID` when set).
#[cfg(all(feature = "openai", feature = "blocking"))]
pub fn openai_blocking() -> Result<Client> {
    Ok(Client::new(OpenAi::from_env()?, UreqTransport::new()?))
}

/// The async client for OpenAI over reqwest, configured from the environment
/// (`OPENAI_API_KEY`, and `OPENAI_BASE_URL`, `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID` when set).
#[cfg(all(feature = "openai", feature = "async"))]
pub fn openai_async() -> Result<AsyncClient> {
    Ok(AsyncClient::new(
        OpenAi::from_env()?,
        ReqwestTransport::new()?,
    ))
}

/// The blocking client for StepFun's international site over ureq, with the key from
/// `STEP_API_KEY`; `Client::new(StepFun::from_env()?.with_region(Region::China), ..)` for
/// the China site.
#[cfg(all(feature = "stepfun", feature = "blocking"))]
pub fn stepfun_blocking() -> Result<Client> {
    Ok(Client::new(StepFun::from_env()?, UreqTransport::new()?))
}

/// The async client for StepFun's international site over reqwest, with the key from
/// `STEP_API_KEY`.
#[cfg(all(feature = "stepfun", feature = "async"))]
pub fn stepfun_async() -> Result<AsyncClient> {
    Ok(AsyncClient::new(
        StepFun::from_env()?,
        ReqwestTransport::new()?,
    ))
}

#[cfg(test)]
mod tests {
    #[cfg(all(feature = "openai", feature = "async"))]
    #[test]
    fn a_missing_key_is_an_error_that_names_the_variable() {
        // The environment is the provider's to read, and it may hold a key (a developer's
        // shell, CI): the check runs in a child, this test binary again, without it.
        const CHILD: &str = "LLM_FILES_TEST_WITHOUT_KEY";
        if std::env::var_os(CHILD).is_some() {
            let err = super::openai_async().unwrap_err();
            assert_eq!(
                err.to_string(),
                "OPENAI_API_KEY (not set): set it to your OpenAI API key, e.g. \
                 `export OPENAI_API_KEY=sk-...`"
            );
            return;
        }
        let name = "tests::a_missing_key_is_an_error_that_names_the_variable";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env_remove("OPENAI_API_KEY")
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "the child failed:\n{stdout}\n{stderr}"
        );
        // The child ran this very test (a filter that matched nothing would also succeed).
        assert!(
            stdout.contains(&format!("test {name} ... ok"))
                && stdout.contains("test result: ok. 1 passed"),
            "the child did not run the check:\n{stdout}"
        );
    }
}
