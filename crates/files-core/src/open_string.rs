//! Open, string-backed value types: known values as constants, unknown values kept as they came.

/// Defines a string-backed type with constants for known values that still accepts and
/// round-trips any other string.
macro_rules! open_string {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$cmeta:meta])* $konst:ident = $value:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(std::borrow::Cow<'static, str>);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: $name = $name(std::borrow::Cow::Borrowed($value)); )*

            /// Every value this SDK knows of.
            pub const KNOWN: &'static [$name] = &[ $( $name::$konst, )* ];

            /// A value from its wire text; any text is accepted.
            pub fn new(value: impl Into<String>) -> Self {
                let value = value.into();
                match Self::KNOWN.iter().find(|known| known.as_str() == value) {
                    Some(known) => known.clone(),
                    None => $name(std::borrow::Cow::Owned(value)),
                }
            }

            /// The wire text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether this is one of the values in [`Self::KNOWN`].
            pub fn is_known(&self) -> bool {
                Self::KNOWN.contains(self)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::new(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::new(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map($name::new)
            }
        }
    };
}

pub(crate) use open_string;
