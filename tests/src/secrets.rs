//! The API key a secrets test uses, and the errors of a server that quotes it back.

use files_client::{Error, ListParams, RequestOptions};
use files_emulator::{Dialect, EmulatorConfig, Fault};

use crate::{Setup, Wire};

/// The key: long enough to be scrubbed, and marked so a part of it shows too.
pub const KEY: &str = "sk-proj-SECRET-5d41402abc4b2a76";

/// Fails if `text` (what `what` showed) holds the key or a part of it.
pub fn assert_hidden(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} shows the key: {text}");
    assert!(
        !text.contains("SECRET"),
        "{what} shows part of the key: {text}"
    );
}

/// Every error a client can get from a server that quotes the key, as each transport sees it.
pub fn errors_from_a_server_that_quotes_the_key(wire: Wire) -> Vec<Error> {
    let s = Setup::with_config(
        wire,
        EmulatorConfig::new(Dialect::openai()).with_api_key(KEY),
    );
    let quoted = format!("Incorrect API key provided: {KEY}. Your key {KEY} was refused.");
    s.emulator.inject(
        Fault::respond(
            401,
            "application/json",
            format!(r#"{{"error":{{"message":"{quoted}","param":"{KEY}","code":"{KEY}"}}}}"#),
        )
        .on("GET", "/files"),
    );
    s.emulator
        .inject(Fault::respond(500, "text/plain", quoted.clone()).on("GET", "/files/*"));
    s.emulator.inject(
        Fault::respond(
            400,
            "application/json",
            format!(r#"{{"detail":"{quoted}"}}"#),
        )
        .on("DELETE", "/files/*"),
    );
    let api = s.api_with_options(RequestOptions::new().max_retries(0));
    vec![
        api.list(&ListParams::new()).unwrap_err(),
        api.retrieve("file-x").unwrap_err(),
        api.delete("file-x").unwrap_err(),
        // A transport failure: nothing listens on port 9.
        Setup::api_with(
            wire,
            "http://127.0.0.1:9/v1",
            KEY,
            RequestOptions::new().max_retries(0),
        )
        .list(&ListParams::new())
        .unwrap_err(),
    ]
}

/// Meets a server that quotes the key over `wire`, and checks that no error shows it and
/// that each API error says where it was taken out.
pub fn assert_errors_hide_the_key(wire: Wire) {
    for error in errors_from_a_server_that_quotes_the_key(wire) {
        assert_hidden("an error's Display", &error.to_string());
        assert_hidden("an error's Debug", &format!("{error:?}"));
        if let Error::Api(api) = &error {
            assert!(api.message.contains("[redacted]"), "{}", api.message);
        }
    }
}
