//! The listing's parameters and its paging style.

/// A page-size parameter: its name and the range the provider documents.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitParam {
    /// Its name: `limit` (OpenAI), `page_size` (Mistral).
    pub name: String,
    /// The smallest value.
    pub min: u32,
    /// The largest value.
    pub max: u32,
}

impl LimitParam {
    /// A limit named `name` taking `min..=max`.
    pub fn new(name: impl Into<String>, min: u32, max: u32) -> Self {
        LimitParam {
            name: name.into(),
            min,
            max,
        }
    }
}

/// How a listing goes from one page to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Paging {
    /// One page holds every file; the listing takes no cursor.
    None,
    /// A cursor: the next page is asked for with `param=<id>`, while the answer's `has_more`
    /// field is true; the id is the answer's `last_id` field, or the last item's id when
    /// that is `None` (or the answer leaves it out).
    Cursor {
        /// The query parameter: `after`, `after_id`.
        param: String,
        /// The answer's field that says more pages follow: `has_more`.
        has_more: String,
        /// The answer's field holding the cursor: `last_id`.
        last_id: Option<String>,
    },
    /// Numbered pages: `page=N` (from `first`) and a page size; the walk stops at an empty
    /// or short page, or once `total` files were seen.
    Pages {
        /// The page-number parameter: `page`.
        page: String,
        /// The page-size parameter: `page_size`.
        size: String,
        /// The first page's number (0 or 1).
        first: u64,
        /// The answer's field holding the number of files in all, when it has one.
        total: Option<String>,
    },
}

/// The listing's parameters, one by one, and its paging. A parameter that is `None` does not
/// exist: a listing that asks for it is refused before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListStyle {
    /// The purpose filter's name: `purpose`.
    pub purpose: Option<String>,
    /// The page size.
    pub limit: Option<LimitParam>,
    /// The order parameter's name (`order`) and the values it takes (`asc`, `desc`).
    pub order: Option<(String, Vec<String>)>,
    /// How pages follow each other.
    pub paging: Paging,
}

impl ListStyle {
    /// OpenAI's: `purpose`, `limit` 1–10,000, `order` asc or desc, and `after` with
    /// `has_more` and `last_id`.
    pub fn openai() -> Self {
        ListStyle {
            purpose: Some("purpose".to_owned()),
            limit: Some(LimitParam::new("limit", 1, crate::MAX_LIST_LIMIT)),
            order: Some((
                "order".to_owned(),
                vec!["asc".to_owned(), "desc".to_owned()],
            )),
            paging: Paging::Cursor {
                param: "after".to_owned(),
                has_more: "has_more".to_owned(),
                last_id: Some("last_id".to_owned()),
            },
        }
    }

    /// A listing that takes no parameter and answers one page (StepFun, Moonshot, Groq).
    pub fn single_page() -> Self {
        ListStyle {
            purpose: None,
            limit: None,
            order: None,
            paging: Paging::None,
        }
    }

    /// The names of the parameters it takes, for messages.
    pub fn parameter_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        names.extend(self.purpose.as_deref());
        names.extend(self.limit.as_ref().map(|l| l.name.as_str()));
        names.extend(self.order.as_ref().map(|(name, _)| name.as_str()));
        match &self.paging {
            Paging::None => {}
            Paging::Cursor { param, .. } => names.push(param),
            Paging::Pages { page, size, .. } => {
                names.push(page);
                if self.limit.as_ref().is_none_or(|l| &l.name != size) {
                    names.push(size);
                }
            }
        }
        names
    }
}
