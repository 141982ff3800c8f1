//! Following a listing's `after` cursor page by page.

use std::collections::HashSet;

use crate::error::{DecodeError, Error};
use crate::file_objects::{FileList, FileObject};
use crate::list_params::ListParams;

/// The state of a walk over every page of a listing.
#[derive(Debug)]
pub(crate) struct PageWalk {
    base: ListParams,
    next: Option<ListParams>,
    cursors: HashSet<String>,
}

impl PageWalk {
    pub(crate) fn new(params: ListParams) -> Self {
        PageWalk {
            next: Some(params.clone()),
            base: params,
            cursors: HashSet::new(),
        }
    }

    /// The parameters of the next page to fetch, or `None` when the walk is over.
    pub(crate) fn next_params(&mut self) -> Option<ListParams> {
        self.next.take()
    }

    /// Takes in a fetched page and gives its files. A server that hands back a cursor it gave
    /// before would loop forever: that is an error.
    pub(crate) fn take(&mut self, page: FileList) -> Result<Vec<FileObject>, Error> {
        let cursor = page.next_cursor().map(str::to_owned);
        if let Some(cursor) = cursor {
            if !self.cursors.insert(cursor.clone()) {
                return Err(DecodeError {
                    expected: "a new cursor on each page".to_owned(),
                    problem: "repeats a cursor it gave before, so paging would never end"
                        .to_owned(),
                    snippet: cursor,
                    status: 200,
                    request_id: None,
                }
                .into());
            }
            self.next = Some(self.base.clone().after(cursor));
        }
        Ok(page.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[&str], has_more: Option<bool>) -> FileList {
        let data: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| serde_json::json!({"id": id, "bytes": 1, "created_at": 1, "filename": "f", "purpose": "batch"}))
            .collect();
        serde_json::from_value(
            serde_json::json!({"data": data, "has_more": has_more, "last_id": ids.last()}),
        )
        .unwrap()
    }

    #[test]
    fn walks_until_has_more_is_false() {
        let mut walk = PageWalk::new(ListParams::new().limit(2));
        assert_eq!(walk.next_params(), Some(ListParams::new().limit(2)));
        assert_eq!(walk.take(page(&["a", "b"], Some(true))).unwrap().len(), 2);
        assert_eq!(
            walk.next_params(),
            Some(ListParams::new().limit(2).after("b"))
        );
        assert_eq!(walk.take(page(&["c"], Some(false))).unwrap().len(), 1);
        assert_eq!(walk.next_params(), None);
    }

    #[test]
    fn an_unpaginated_listing_is_one_page() {
        let mut walk = PageWalk::new(ListParams::new());
        walk.next_params();
        walk.take(page(&["a"], None)).unwrap();
        assert_eq!(walk.next_params(), None);
    }

    #[test]
    fn a_repeated_cursor_is_an_error() {
        let mut walk = PageWalk::new(ListParams::new());
        walk.take(page(&["a"], Some(true))).unwrap();
        assert!(walk.take(page(&["a"], Some(true))).is_err());
    }
}
