//! File objects and listings decoded in a provider's dialect: its field names and value
//! forms rewritten into the ones [`FileObject`] and [`FileList`] read.

use http::response::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::dialect::{Dialect, Paging};
use crate::error::Error;
use crate::file_objects::{FileList, FileObject};
use crate::wire::response::{finish_json, invalid_json};

/// Decodes a file object as the dialect writes it.
pub fn decode_file(dialect: &Dialect, parts: &Parts, body: &[u8]) -> Result<FileObject, Error> {
    const WHAT: &str = "a file object";
    if dialect.object.is_openai() {
        return finish_json(parts, body, WHAT);
    }
    let mut value: Value = finish_json(parts, body, WHAT)?;
    if let Value::Object(object) = &mut value {
        dialect.object.normalize(object);
    }
    from_value(value, parts, body, WHAT)
}

/// Decodes one page of a listing as the dialect writes it: each file object, and the
/// cursor fields of a cursor-paged listing.
pub fn decode_list(dialect: &Dialect, parts: &Parts, body: &[u8]) -> Result<FileList, Error> {
    const WHAT: &str = "a file list";
    let cursor_names = match &dialect.list.paging {
        Paging::Cursor {
            has_more, last_id, ..
        } => Some((has_more.as_str(), last_id.as_deref())),
        _ => None,
    };
    let openai_cursor = cursor_names.is_none_or(|names| names == ("has_more", Some("last_id")));
    if dialect.object.is_openai() && openai_cursor {
        return finish_json(parts, body, WHAT);
    }
    let mut value: Value = finish_json(parts, body, WHAT)?;
    if let Value::Object(page) = &mut value {
        if let Some(Value::Array(items)) = page.get_mut("data") {
            for item in items {
                if let Value::Object(object) = item {
                    dialect.object.normalize(object);
                }
            }
        }
        if let Some((has_more, last_id)) = cursor_names {
            rename(page, has_more, "has_more");
            if let Some(name) = last_id {
                rename(page, name, "last_id");
            }
        }
    }
    from_value(value, parts, body, WHAT)
}

/// The number of files in all that a page-numbered listing's answer gives, when the
/// dialect names such a field and the page has it.
pub(crate) fn total_of(dialect: &Dialect, page: &FileList) -> Option<u64> {
    let Paging::Pages {
        total: Some(field), ..
    } = &dialect.list.paging
    else {
        return None;
    };
    match page.extra.get(field)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn rename(object: &mut Map<String, Value>, from: &str, to: &str) {
    if from != to
        && let Some(value) = object.remove(from)
    {
        object.insert(to.to_owned(), value);
    }
}

fn from_value<T: DeserializeOwned>(
    value: Value,
    parts: &Parts,
    body: &[u8],
    expected: &str,
) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| invalid_json(parts, body, expected, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{ObjectFields, TimeForm};

    fn parts() -> Parts {
        http::Response::new(()).into_parts().0
    }

    fn gateway() -> Dialect {
        let mut dialect = Dialect::openai();
        dialect.object = ObjectFields {
            bytes: "size_bytes".to_owned(),
            time_form: TimeForm::Rfc3339,
            ..ObjectFields::openai()
        };
        dialect.list.paging = Paging::Pages {
            page: "page".to_owned(),
            size: "page_size".to_owned(),
            first: 1,
            total: Some("total".to_owned()),
        };
        dialect
    }

    #[test]
    fn a_gateway_listing_is_read_with_its_total() {
        let body = br#"{"data":[{"id":"f1","size_bytes":"7","created_at":"2024-01-01T00:00:00Z","filename":"a","purpose":"batch"}],"total":"3"}"#;
        let page = decode_list(&gateway(), &parts(), body).unwrap();
        assert_eq!(page.data[0].bytes, 7);
        assert_eq!(page.data[0].created_at, 1_704_067_200);
        assert_eq!(total_of(&gateway(), &page), Some(3));
        assert_eq!(page.next_cursor(), None);
    }

    #[test]
    fn renamed_cursor_fields_are_followed() {
        let mut dialect = Dialect::openai();
        dialect.list.paging = Paging::Cursor {
            param: "after_id".to_owned(),
            has_more: "more".to_owned(),
            last_id: None,
        };
        let body = br#"{"data":[{"id":"a","bytes":1,"created_at":1,"filename":"x","purpose":"p"},{"id":"b","bytes":1,"created_at":1,"filename":"x","purpose":"p"}],"more":true}"#;
        let page = decode_list(&dialect, &parts(), body).unwrap();
        assert_eq!(page.next_cursor(), Some("b"), "the last item's id");
    }

    #[test]
    fn a_bad_object_names_the_field() {
        let body =
            br#"{"id":"f1","size_bytes":"seven","created_at":1,"filename":"a","purpose":"batch"}"#;
        let Err(Error::Decode(e)) = decode_file(&gateway(), &parts(), body) else {
            panic!("decoded a size of \"seven\"");
        };
        assert!(e.problem.contains("seven"), "{}", e.problem);
        assert!(decode_file(&gateway(), &parts(), b"[1").is_err());
    }
}
