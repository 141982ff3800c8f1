//! [`ListAll`]: every page of a listing, one page per output.
//!
//! ```text
//!   Next page? ──yes──▶ Exchange (list_page) … ──▶ Done(Some(files)) ──poll again──▶ Next page?
//!       └──no (no cursor, or after an error)──▶ Done(None)
//! ```
//!
//! Each page is an exchange of its own, with its own retries. The cursor is the page's
//! `last_id` while the server says `has_more`; a provider that does not paginate (StepFun)
//! answers one page. A server that repeats a cursor would page forever: that is an error.

use std::sync::Arc;

use super::exchange::Exchange;
use super::page_walk::PageWalk;
use super::{Event, Next, Notice, Now, Operation, Outbox};
use crate::file_objects::{FileList, FileObject};
use crate::list_params::ListParams;
use crate::options::RequestOptions;
use crate::provider::Provider;

/// Every file of a listing, page by page: each `Done` is `Some(files of a page)`, and the
/// last is `None`. Polled again after `Done`, it fetches the next page.
pub struct ListAll {
    provider: Arc<dyn Provider>,
    options: RequestOptions,
    walk: PageWalk,
    page: Option<Exchange<FileList>>,
    outbox: Outbox,
    finished: bool,
}

impl std::fmt::Debug for ListAll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListAll")
            .field("walk", &self.walk)
            .finish_non_exhaustive()
    }
}

impl ListAll {
    /// A walk over every page of the listing `params` asks for.
    pub fn new(provider: Arc<dyn Provider>, params: ListParams, options: RequestOptions) -> Self {
        let walk = PageWalk::new(params, provider.dialect());
        ListAll {
            provider,
            outbox: Outbox::new(options.observer_value()),
            options,
            walk,
            page: None,
            finished: false,
        }
    }
}

impl Operation for ListAll {
    type Output = Option<Vec<FileObject>>;

    fn name(&self) -> &'static str {
        "files.list"
    }

    fn poll(&mut self, now: Now, random: u128) -> Next<Self::Output> {
        if self.finished {
            return Next::Done(Ok(None));
        }
        let page = match &mut self.page {
            Some(page) => page,
            None => match self.walk.next_params() {
                Some(params) => {
                    self.page
                        .insert(Exchange::list_page(&*self.provider, &params, &self.options))
                }
                None => {
                    self.finished = true;
                    return Next::Done(Ok(None));
                }
            },
        };
        let next = page.poll(now, random);
        self.outbox.forward(page);
        match next {
            Next::Done(result) => {
                self.page = None;
                let files = result.and_then(|page| self.walk.take(page));
                self.finished = files.is_err();
                Next::Done(files.map(Some))
            }
            other => other.pass(),
        }
    }

    fn handle(&mut self, event: Event, now: Now) {
        if let Some(page) = &mut self.page {
            page.handle(event, now);
        }
    }

    fn poll_notice(&mut self) -> Option<Notice> {
        self.outbox.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::scenario::Scenario;
    use crate::wire::tests::TestProvider;

    fn page(ids: &[&str], has_more: bool) -> String {
        let data: Vec<String> = ids
            .iter()
            .map(|id| {
                format!(
                    r#"{{"id":"{id}","bytes":1,"created_at":1,"filename":"f","purpose":"batch"}}"#
                )
            })
            .collect();
        let last = ids
            .last()
            .map_or("null".to_owned(), |id| format!("\"{id}\""));
        format!(
            r#"{{"data":[{}],"has_more":{has_more},"last_id":{last}}}"#,
            data.join(",")
        )
    }

    fn ids(result: Option<Vec<FileObject>>) -> Vec<String> {
        result.unwrap().into_iter().map(|f| f.id).collect()
    }

    #[test]
    fn pages_follow_the_cursor_one_output_each() {
        let mut s = Scenario::new(ListAll::new(
            Arc::new(TestProvider::openai_like()),
            ListParams::new().limit(2),
            RequestOptions::new(),
        ));
        assert_eq!(s.expect_send().request.uri().query(), Some("limit=2"));
        s.respond(200, &[], &page(&["a", "b"], true));
        assert_eq!(ids(s.expect_done().unwrap()), ["a", "b"]);
        assert_eq!(
            s.expect_send().request.uri().query(),
            Some("limit=2&after=b")
        );
        s.respond(503, &[], "");
        s.expect_sleep();
        assert_eq!(
            s.expect_send().request.uri().query(),
            Some("limit=2&after=b")
        );
        s.respond(200, &[], &page(&["c"], false));
        assert_eq!(ids(s.expect_done().unwrap()), ["c"]);
        assert!(s.expect_done().unwrap().is_none());
        assert!(s.expect_done().unwrap().is_none(), "stays finished");
    }

    #[test]
    fn an_error_ends_the_walk() {
        let mut s = Scenario::new(ListAll::new(
            Arc::new(TestProvider::openai_like()),
            ListParams::new(),
            RequestOptions::new().max_retries(0),
        ));
        s.expect_send();
        s.respond(
            401,
            &[],
            r#"{"error":{"message":"Incorrect API key provided."}}"#,
        );
        assert_eq!(s.expect_done().unwrap_err().status(), Some(401));
        assert!(s.expect_done().unwrap().is_none());
    }

    #[test]
    fn a_repeated_cursor_is_an_error() {
        let mut s = Scenario::new(ListAll::new(
            Arc::new(TestProvider::openai_like()),
            ListParams::new(),
            RequestOptions::new(),
        ));
        s.expect_send();
        s.respond(200, &[], &page(&["a"], true));
        s.expect_done().unwrap();
        s.expect_send();
        s.respond(200, &[], &page(&["a"], true));
        let err = s.expect_done().unwrap_err();
        assert!(err.to_string().contains("repeats a cursor"), "{err}");
    }

    #[test]
    fn it_is_named_for_traces_and_notices() {
        let op = ListAll::new(
            Arc::new(TestProvider::openai_like()),
            ListParams::new(),
            RequestOptions::new(),
        );
        assert_eq!(op.name(), "files.list");
        // A boxed operation is named for what it holds.
        assert_eq!(Box::new(op).name(), "files.list");
    }
}
