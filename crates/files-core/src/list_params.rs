//! [`ListParams`]: which files a listing asks for, and in what order.

use crate::error::ValidationError;
use crate::purpose::Purpose;

/// The most files one list page can hold: OpenAI's `limit` range in `spec/openai.toml` (a test in
/// `provider-openai` keeps the two equal).
pub const MAX_LIST_LIMIT: u32 = 10_000;

/// Sort order of a listing, by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Asc,
    /// Newest first (the server's default).
    Desc,
}

impl Order {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

impl std::str::FromStr for Order {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asc" => Ok(Order::Asc),
            "desc" => Ok(Order::Desc),
            _ => Err(ValidationError::new("order", s, "must be asc or desc")),
        }
    }
}

/// Parameters of a listing. All are optional; providers without list parameters (StepFun)
/// accept only the empty set.
///
/// ```
/// use files_core::{ListParams, Order, Purpose};
/// let page = ListParams::new().purpose(Purpose::BATCH).limit(100).order(Order::Asc);
/// assert_eq!(page.limit_value(), Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    purpose: Option<Purpose>,
    limit: Option<u32>,
    order: Option<Order>,
    after: Option<String>,
    page: Option<u64>,
}

impl ListParams {
    /// No parameters: the server's defaults.
    pub fn new() -> Self {
        ListParams::default()
    }

    /// Only files of this purpose.
    pub fn purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = Some(purpose);
        self
    }

    /// At most this many files a page (1 to 10,000 for OpenAI; each provider's range is its
    /// dialect's).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sort order by creation time.
    pub fn order(mut self, order: Order) -> Self {
        self.order = Some(order);
        self
    }

    /// Files after this id (the previous page's `last_id`).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// This page of a listing in numbered pages (Mistral's `page`); a walk over every page
    /// sets it itself.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// The page number, if set.
    pub fn page_value(&self) -> Option<u64> {
        self.page
    }

    /// The limit, if set.
    pub fn limit_value(&self) -> Option<u32> {
        self.limit
    }

    /// The cursor, if set.
    pub fn after_value(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The purpose filter, if set.
    pub fn purpose_value(&self) -> Option<&Purpose> {
        self.purpose.as_ref()
    }

    /// The order, if set.
    pub fn order_value(&self) -> Option<Order> {
        self.order
    }

    /// The names of the parameters that are set, as the API calls them: `purpose`,
    /// `limit`, `order`, `after`.
    pub fn given_names(&self) -> Vec<&'static str> {
        [
            ("purpose", self.purpose.is_some()),
            ("limit", self.limit.is_some()),
            ("order", self.order.is_some()),
            ("after", self.after.is_some()),
            ("page", self.page.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == ListParams::default()
    }
}
