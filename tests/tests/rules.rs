//! The providers' rules from `spec/`, each refusing bad input with its message and accepting
//! good input, as pure checks of both providers' tables. Over the wire: `rules_wire.rs`.

use files_client::{Purpose, RuleKind, WarningKind};
use files_core::Provider;
use files_core::extend::provider::UploadCheck;
use files_tests::samples::{gif, html_page, jpeg, jsonl, mp4, office_zip, pdf, png, wav};
use provider_openai::OpenAi;
use provider_stepfun::{Region, StepFun};

/// What a pure check of `bytes` named `name` for `purpose` gives.
fn check(
    provider: &dyn Provider,
    purpose: &Purpose,
    name: &str,
    bytes: &[u8],
) -> Result<Vec<WarningKind>, (RuleKind, String)> {
    let upload = UploadCheck::new(purpose, Some(name), Some(bytes.len() as u64)).with_prefix(bytes);
    provider
        .check_upload(&upload)
        .map(|w| w.into_iter().map(|w| w.kind).collect())
        .map_err(|e| (e.kind, e.to_string()))
}

/// A strict check (an undocumented purpose refused) of `bytes` named `name` for `purpose`.
fn check_strict(
    provider: &dyn Provider,
    purpose: &Purpose,
    name: &str,
    bytes: &[u8],
) -> Result<Vec<WarningKind>, (RuleKind, String)> {
    let upload = UploadCheck::new(purpose, Some(name), Some(bytes.len() as u64))
        .with_prefix(bytes)
        .with_strict_purpose(true);
    provider
        .check_upload(&upload)
        .map(|w| w.into_iter().map(|w| w.kind).collect())
        .map_err(|e| (e.kind, e.to_string()))
}

/// A check of a file's size alone, as the client does from its metadata.
fn check_size(
    provider: &dyn Provider,
    purpose: &Purpose,
    name: &str,
    len: u64,
) -> Result<(), (RuleKind, String)> {
    let upload = UploadCheck::new(purpose, Some(name), Some(len));
    provider
        .check_upload(&upload)
        .map(drop)
        .map_err(|e| (e.kind, e.to_string()))
}

fn refused(
    result: Result<impl std::fmt::Debug, (RuleKind, String)>,
    kind: RuleKind,
    says: &[&str],
) {
    match result {
        Err((got, message)) => {
            assert_eq!(got, kind, "{message}");
            for part in says {
                assert!(message.contains(part), "{message:?} should say {part:?}");
            }
        }
        Ok(ok) => panic!("expected a refusal ({kind}), got {ok:?}"),
    }
}

const MB: u64 = 1 << 20;

#[test]
fn openai_purposes_sizes_and_json_lines() {
    let openai = OpenAi::new("sk-rules");
    let batch = Purpose::BATCH;
    assert_eq!(
        check(&openai, &batch, "requests.jsonl", &jsonl(3)),
        Ok(vec![])
    );
    assert_eq!(
        check(&openai, &Purpose::FINE_TUNE, "train.jsonl", &jsonl(2)),
        Ok(vec![])
    );
    assert_eq!(
        check(&openai, &Purpose::ASSISTANTS, "any.bin", b"\x00\x01"),
        Ok(vec![])
    );
    assert_eq!(
        check(&openai, &Purpose::VISION, "cat.png", &png()),
        Ok(vec![])
    );

    // StepFun's `storage` is no purpose OpenAI documents: sent with a warning, unchecked
    // (a PNG is no format any purpose's rule would be asked about), or refused strictly.
    assert_eq!(
        check(&openai, &Purpose::STORAGE, "a.png", &png()),
        Ok(vec![WarningKind::UnknownPurpose])
    );
    refused(
        check_strict(&openai, &Purpose::STORAGE, "a.png", &png()),
        RuleKind::PurposeNotAccepted,
        &["`storage`", "OpenAI", "strict", "`batch`", "`user_data`"],
    );
    // Slips of documented purposes are refused either way.
    for (slip, meant) in [
        ("batc", "`batch`"),
        ("Batch", "`batch`"),
        ("fine_tune", "`fine-tune`"),
    ] {
        refused(
            check(&openai, &Purpose::new(slip), "a.jsonl", &jsonl(1)),
            RuleKind::PurposeNotAccepted,
            &["did you mean", meant],
        );
    }
    assert_eq!(
        check(&openai, &Purpose::new("responses"), "a.jsonl", &jsonl(1)),
        Ok(vec![WarningKind::UnknownPurpose])
    );
    refused(
        check(&openai, &batch, "requests.csv", b"a,b\n1,2\n"),
        RuleKind::FormatNotAccepted,
        &["`requests.csv` (.csv)", "JSON Lines (.jsonl)"],
    );
    refused(
        check(&openai, &Purpose::FINE_TUNE, "train", &jsonl(1)),
        RuleKind::FormatNotAccepted,
        &["(no extension)"],
    );
    refused(
        check(&openai, &batch, "requests.jsonl", b"{\"a\":1}\n[1,2]\n"),
        RuleKind::NotJsonLines,
        &["line 2", "not an object", "`[1,2]`"],
    );
    refused(
        check(&openai, &batch, "pretty.jsonl", b"{\n  \"a\": 1\n}\n"),
        RuleKind::NotJsonLines,
        &["line 1", "`{`"],
    );
    refused(
        check(&openai, &batch, "requests.jsonl", b"\x89PNG\r\n\x1a\n\0\0"),
        RuleKind::ContentMismatch,
        &["JSON Lines (.jsonl)", "PNG image"],
    );
    refused(
        check_size(&openai, &batch, "big.jsonl", 200 * MB + 1),
        RuleKind::FileTooLarge,
        &[
            "purpose `batch` accepts at most 200 MB",
            "`big.jsonl` (200.0 MB)",
            "209715201 bytes",
        ],
    );
    assert_eq!(check_size(&openai, &batch, "big.jsonl", 200 * MB), Ok(()));
    refused(
        check_size(&openai, &Purpose::USER_DATA, "huge.bin", 512 * MB + 1),
        RuleKind::FileTooLarge,
        &["at most 512 MB"],
    );
    refused(
        check_size(&openai, &Purpose::USER_DATA, "empty.txt", 0),
        RuleKind::EmptyFile,
        &["`empty.txt`", "is empty"],
    );
    for (seconds, ok) in [
        (3599, false),
        (3600, true),
        (2_592_000, true),
        (2_592_001, false),
    ] {
        let upload =
            UploadCheck::new(&batch, Some("a.jsonl"), Some(3)).with_expires_after(Some(seconds));
        let result = openai.check_upload(&upload);
        assert_eq!(result.is_ok(), ok, "{seconds}: {result:?}");
        if let Err(e) = result {
            assert_eq!(e.kind, RuleKind::ExpiresAfterOutOfRange);
            assert!(e.to_string().contains("3600 to 2592000"), "{e}");
        }
    }
}

#[test]
fn a_file_whose_bytes_contradict_its_name_is_refused_naming_both() {
    let openai = OpenAi::new("sk-rules");
    let stepfun = StepFun::new("k").with_region(Region::China);
    refused(
        check(&openai, &Purpose::VISION, "photo.jpg", &png()),
        RuleKind::ContentMismatch,
        &[
            "`photo.jpg`",
            "JPEG image (.jpg, .jpeg)",
            "PNG image",
            "give it the extension .png",
        ],
    );
    refused(
        check(&stepfun, &Purpose::STORAGE, "clip.mp4", &html_page()),
        RuleKind::ContentMismatch,
        &["MP4 video (.mp4)", "say HTML page", "error page"],
    );
    refused(
        check(&stepfun, &Purpose::FILE_EXTRACT, "notes.txt", &pdf()),
        RuleKind::ContentMismatch,
        &["plain text (.txt)", "PDF document"],
    );
    refused(
        check(
            &stepfun,
            &Purpose::FILE_EXTRACT,
            "report.docx",
            b"just text",
        ),
        RuleKind::ContentMismatch,
        &["Word document (.docx)", "plain text"],
    );
    for (name, bytes) in [
        ("report.docx", office_zip()),
        ("sheet.xlsx", office_zip()),
        ("deck.PPTX", office_zip()),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0".to_vec()),
        ("paper.pdf", pdf()),
        ("page.html", html_page()),
        ("data.csv", b"a,b\n\xc3\xa9,2\n".to_vec()),
        ("notes.md", "# Título\n".as_bytes().to_vec()),
        (
            "tags.md",
            b"ID3 tags and %PDF headers are text here\n".to_vec(),
        ),
    ] {
        assert_eq!(
            check(&stepfun, &Purpose::FILE_EXTRACT, name, &bytes),
            Ok(vec![]),
            "{name}"
        );
    }
    // Text in another encoding is uploaded, with a warning.
    for (name, bytes) in [
        ("utf16.txt", b"\xff\xfeh\0i\0".to_vec()),
        ("gbk.csv", b"\xc4\xe3\xba\xc3,1\r\n\x1a".to_vec()),
    ] {
        assert_eq!(
            check(&stepfun, &Purpose::FILE_EXTRACT, name, &bytes),
            Ok(vec![WarningKind::TextEncoding]),
            "{name}"
        );
    }
    for (name, bytes) in [
        ("a.jpeg", jpeg()),
        ("a.png", png()),
        ("a.gif", gif(1)),
        ("a.mp4", mp4()),
        ("a.mp3", b"ID3\x04\0\0\0\0\0\0".to_vec()),
        ("a.webp", b"RIFF\x10\0\0\0WEBPVP8 ".to_vec()),
    ] {
        assert_eq!(
            check(&stepfun, &Purpose::STORAGE, name, &bytes),
            Ok(vec![]),
            "{name}"
        );
    }
}

#[test]
fn stepfun_sites_static_gifs_voice_length_and_deprecation() {
    let international = StepFun::new("k");
    let china = StepFun::new("k").with_region(Region::China);
    refused(
        check(&international, &Purpose::FILE_EXTRACT, "a.txt", b"text"),
        RuleKind::PurposeNotOnSite,
        &[
            "international site",
            "accepts only `storage`",
            "china site (https://api.stepfun.com/v1)",
        ],
    );
    assert_eq!(
        check(&china, &Purpose::FILE_EXTRACT, "a.txt", b"text"),
        Ok(vec![])
    );
    let elsewhere = StepFun::new("k")
        .with_base_url("http://127.0.0.1:9/v1")
        .unwrap();
    assert_eq!(
        check(&elsewhere, &Purpose::FILE_EXTRACT, "a.txt", b"text"),
        Ok(vec![])
    );
    refused(
        check_strict(&china, &Purpose::BATCH, "a.jsonl", &jsonl(1)),
        RuleKind::PurposeNotAccepted,
        &[
            "StepFun does not document it",
            "`storage`, `file-extract`, `retrieval-text`, `retrieval-image`",
        ],
    );
    assert_eq!(
        check(&china, &Purpose::BATCH, "a.jsonl", &jsonl(1)),
        Ok(vec![WarningKind::UnknownPurpose])
    );

    refused(
        check(&china, &Purpose::STORAGE, "spinner.gif", &gif(3)),
        RuleKind::AnimatedGif,
        &["animated GIF", "accepts only a static GIF"],
    );
    refused(
        check(
            &china,
            &Purpose::RETRIEVAL_IMAGE,
            "a.webp",
            b"RIFF\x10\0\0\0WEBPVP8 ",
        ),
        RuleKind::FormatNotAccepted,
        &["JPEG image (.jpg, .jpeg), PNG image (.png)"],
    );
    refused(
        check(&china, &Purpose::STORAGE, "a.bin", b"\0\x01"),
        RuleKind::FormatNotAccepted,
        &["`a.bin` (.bin)", "MP4 video (.mp4)"],
    );
    refused(
        check_size(&china, &Purpose::STORAGE, "clip.mp4", 140 * MB),
        RuleKind::FileTooLarge,
        &[
            "purpose `storage` accepts at most 128 MB",
            "`clip.mp4` (140 MB)",
        ],
    );
    refused(
        check_size(&china, &Purpose::FILE_EXTRACT, "book.pdf", 64 * MB + 1),
        RuleKind::FileTooLarge,
        &["at most 64 MB"],
    );

    assert_eq!(
        check(&china, &Purpose::STORAGE, "voice.wav", &wav(7)),
        Ok(vec![])
    );
    assert_eq!(
        check(&china, &Purpose::STORAGE, "voice.wav", &wav(12)),
        Ok(vec![WarningKind::AudioDuration])
    );
    assert_eq!(
        check(&china, &Purpose::STORAGE, "voice.wav", &wav(2)),
        Ok(vec![WarningKind::AudioDuration])
    );
    assert_eq!(
        check(&china, &Purpose::RETRIEVAL, "notes.txt", b"text"),
        Ok(vec![WarningKind::DeprecatedPurpose])
    );
    let upload =
        UploadCheck::new(&Purpose::STORAGE, None, None).with_url("ftp://example.com/a.png");
    let err = china.check_upload(&upload).unwrap_err();
    assert_eq!(err.kind, RuleKind::UrlScheme, "{err}");
}
