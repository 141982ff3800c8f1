//! One upload or download through the library, over the transport named: what the
//! benchmark times against curl doing the same.

use std::path::Path;

use files_client::{AsyncClient, Client, Purpose, RequestOptions, UploadRequest};
use provider_stepfun::StepFun;
use transport_reqwest::ReqwestTransport;
use transport_ureq::UreqTransport;

/// The key the benchmark's servers expect.
pub const API_KEY: &str = "bench-key";

const USAGE: &str = "usage: files-bench client ureq|reqwest upload URL PATH [--cacert PEM] | \
                     client ureq|reqwest download URL ID DEST [--cacert PEM]";

/// `files-bench client …`: prints the uploaded file's id and size, or the bytes downloaded.
pub fn run(args: &[String]) -> Result<(), String> {
    let (args, cacert) = match args {
        [rest @ .., flag, pem] if flag == "--cacert" => (rest, Some(Path::new(pem))),
        rest => (rest, None),
    };
    // StepFun's provider, because OpenAI's sends a file over 512 MB through the Uploads API
    // in parts; the request is the same multipart `POST /files` either way.
    let provider = |url: &str| {
        StepFun::new(API_KEY)
            .with_base_url(url)
            .map_err(|e| e.to_string())
    };
    // No retries: a failure must show, not be hidden in the time.
    let options = RequestOptions::new().validate(false).max_retries(0);
    match args {
        [transport, op, url, rest @ ..] if transport == "ureq" => {
            let mut builder = UreqTransport::builder().honour_ssl_cert_file(false);
            if let Some(pem) = cacert {
                builder = builder
                    .add_root_certificates_file(pem)
                    .map_err(|e| e.to_string())?;
            }
            let transport = builder.build().map_err(|e| e.to_string())?;
            let client = Client::new(provider(url)?, transport).with_options(options);
            match (op.as_str(), rest) {
                ("upload", [path]) => {
                    let file = client
                        .files()
                        .create(UploadRequest::from_path(path, Purpose::new("assistants")))
                        .map_err(|e| e.to_string())?;
                    println!("{} {}", file.id, file.bytes);
                }
                ("download", [id, dest]) => {
                    let n = client
                        .files()
                        .download_to_path(id, dest)
                        .map_err(|e| e.to_string())?;
                    println!("{n}");
                }
                _ => return Err(USAGE.to_owned()),
            }
        }
        [transport, op, url, rest @ ..] if transport == "reqwest" => {
            let mut builder = ReqwestTransport::builder().honour_ssl_cert_file(false);
            if let Some(pem) = cacert {
                builder = builder
                    .add_root_certificates_file(pem)
                    .map_err(|e| e.to_string())?;
            }
            let transport = builder.build().map_err(|e| e.to_string())?;
            let client = AsyncClient::new(provider(url)?, transport).with_options(options);
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                match (op.as_str(), rest) {
                    ("upload", [path]) => {
                        let file = client
                            .files()
                            .create(UploadRequest::from_path(path, Purpose::new("assistants")))
                            .await
                            .map_err(|e| e.to_string())?;
                        println!("{} {}", file.id, file.bytes);
                    }
                    ("download", [id, dest]) => {
                        let n = client
                            .files()
                            .download_to_path(id, dest)
                            .await
                            .map_err(|e| e.to_string())?;
                        println!("{n}");
                    }
                    _ => return Err(USAGE.to_owned()),
                }
                Ok(())
            })?;
        }
        _ => return Err(USAGE.to_owned()),
    }
    Ok(())
}
