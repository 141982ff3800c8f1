//! Following a listing page by page: by its cursor, or by page number.

use std::collections::HashSet;

use std::sync::Arc;

use crate::dialect::{Dialect, Paging};
use crate::error::{DecodeError, Error};
use crate::file_objects::{FileList, FileObject};
use crate::list_params::ListParams;
use crate::wire::total_of;

/// The state of a walk over every page of a listing.
#[derive(Debug)]
pub(crate) struct PageWalk {
    base: ListParams,
    next: Option<ListParams>,
    cursors: HashSet<String>,
    dialect: Arc<Dialect>,
    /// Numbered pages: the number of the page asked for last, and the files seen so far.
    page: Option<(u64, u64)>,
}

impl PageWalk {
    pub(crate) fn new(params: ListParams, dialect: Arc<Dialect>) -> Self {
        let (next, page) = match &dialect.list.paging {
            Paging::Pages { first, .. } => {
                let number = params.page_value().unwrap_or(*first);
                (params.clone().page(number), Some((number, 0)))
            }
            _ => (params.clone(), None),
        };
        PageWalk {
            next: Some(next),
            base: params,
            cursors: HashSet::new(),
            dialect,
            page,
        }
    }

    /// The parameters of the next page to fetch, or `None` when the walk is over.
    pub(crate) fn next_params(&mut self) -> Option<ListParams> {
        self.next.take()
    }

    /// Takes in a fetched page and gives its files. A server that hands back a cursor it gave
    /// before would loop forever: that is an error.
    pub(crate) fn take(&mut self, page: FileList) -> Result<Vec<FileObject>, Error> {
        if let Some((number, seen)) = self.page {
            let seen = seen + page.data.len() as u64;
            let more = match total_of(&self.dialect, &page) {
                Some(total) => seen < total && !page.data.is_empty(),
                None => self
                    .base
                    .limit_value()
                    .map_or(!page.data.is_empty(), |size| {
                        page.data.len() as u64 >= u64::from(size)
                    }),
            };
            if more {
                self.page = Some((number + 1, seen));
                self.next = Some(self.base.clone().page(number + 1));
            }
            return Ok(page.data);
        }
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
        let mut walk = PageWalk::new(ListParams::new().limit(2), Dialect::openai_shared());
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
        let mut walk = PageWalk::new(ListParams::new(), Dialect::openai_shared());
        walk.next_params();
        walk.take(page(&["a"], None)).unwrap();
        assert_eq!(walk.next_params(), None);
    }

    fn pages(total: Option<&str>) -> Arc<Dialect> {
        let mut dialect = Dialect::openai();
        dialect.list.paging = Paging::Pages {
            page: "page".to_owned(),
            size: "page_size".to_owned(),
            first: 0,
            total: total.map(str::to_owned),
        };
        Arc::new(dialect)
    }

    fn numbered(ids: &[&str], total: Option<u64>) -> FileList {
        let mut list = page(ids, None);
        if let Some(total) = total {
            list.extra.insert("total".to_owned(), total.into());
        }
        list
    }

    #[test]
    fn numbered_pages_stop_at_the_total() {
        let mut walk = PageWalk::new(ListParams::new().limit(2), pages(Some("total")));
        assert_eq!(walk.next_params(), Some(ListParams::new().limit(2).page(0)));
        walk.take(numbered(&["a", "b"], Some(3))).unwrap();
        assert_eq!(walk.next_params(), Some(ListParams::new().limit(2).page(1)));
        walk.take(numbered(&["c"], Some(3))).unwrap();
        assert_eq!(walk.next_params(), None);
    }

    #[test]
    fn numbered_pages_without_a_total_stop_at_a_short_or_empty_page() {
        let mut walk = PageWalk::new(ListParams::new().limit(2), pages(None));
        walk.next_params();
        walk.take(numbered(&["a", "b"], None)).unwrap();
        assert!(walk.next_params().is_some());
        walk.take(numbered(&["c"], None)).unwrap();
        assert_eq!(walk.next_params(), None, "a short page is the last");
        let mut unsized_walk = PageWalk::new(ListParams::new(), pages(None));
        unsized_walk.next_params();
        unsized_walk.take(numbered(&["a"], None)).unwrap();
        assert_eq!(unsized_walk.next_params(), Some(ListParams::new().page(1)));
        unsized_walk.take(numbered(&[], None)).unwrap();
        assert_eq!(unsized_walk.next_params(), None, "an empty page ends it");
    }

    #[test]
    fn numbered_pages_count_up_and_the_total_decides_over_a_full_page() {
        let mut walk = PageWalk::new(ListParams::new().limit(2), pages(Some("total")));
        walk.next_params();
        walk.take(numbered(&["a", "b"], Some(5))).unwrap();
        walk.next_params();
        walk.take(numbered(&["c", "d"], Some(5))).unwrap();
        assert_eq!(walk.next_params(), Some(ListParams::new().limit(2).page(2)));
        let mut exact = PageWalk::new(ListParams::new().limit(2), pages(Some("total")));
        exact.next_params();
        exact.take(numbered(&["a", "b"], Some(2))).unwrap();
        assert_eq!(
            exact.next_params(),
            None,
            "a full page that reaches the total is the last"
        );
    }

    #[test]
    fn numbered_pages_end_on_an_empty_page_even_below_the_total() {
        let mut walk = PageWalk::new(ListParams::new(), pages(Some("total")));
        walk.next_params();
        walk.take(numbered(&[], Some(5))).unwrap();
        assert_eq!(walk.next_params(), None);
    }

    #[test]
    fn a_repeated_cursor_is_an_error() {
        let mut walk = PageWalk::new(ListParams::new(), Dialect::openai_shared());
        walk.take(page(&["a"], Some(true))).unwrap();
        assert!(walk.take(page(&["a"], Some(true))).is_err());
    }
}
