//! serde for the string enums of generated crates, through their `Display` and `FromStr`.
//!
//! A spec's string enum (`status: active | paused`) becomes a Rust enum of unit variants with
//! `Display` and `FromStr` impls that know its wire values. serde's derive would generate a
//! second, much larger decoder for each such enum (a field-identifier enum, a visitor, an
//! `EnumAccess` walk; for an open enum the buffering of `#[serde(untagged)]`), which is most of
//! what checking and building a crate with thousands of them costs. The generated crates
//! implement `Serialize` and `Deserialize` with the two functions here instead:
//!
//! - [`serialize`] writes the value's `Display` as a string;
//! - [`deserialize`] reads a string and parses it with `FromStr`; a value `FromStr` refuses is
//!   reported as serde's derive reports it: ``unknown variant `x`, expected one of `a`, `b` ``.
//!
//! In JSON, a form or a query string the encoding is the one serde's derive gives a unit
//! variant: its name (or `rename`) as a string.
//!
//! A generated crate writes both impls with one line, [`serde_string_enum!`](crate::serde_string_enum)
//! (`billfold_runtime::serde_string_enum!(Status, ["active", "paused"]);`); written out, they are:
//!
//! ```
//! use std::fmt;
//! use std::str::FromStr;
//!
//! #[derive(Debug, PartialEq)]
//! enum Status {
//!     Active,
//!     Paused,
//! }
//!
//! impl fmt::Display for Status {
//!     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
//!         f.write_str(match self {
//!             Status::Active => "active",
//!             Status::Paused => "paused",
//!         })
//!     }
//! }
//!
//! impl FromStr for Status {
//!     type Err = String;
//!     fn from_str(value: &str) -> Result<Self, String> {
//!         match value {
//!             "active" => Ok(Status::Active),
//!             "paused" => Ok(Status::Paused),
//!             _ => Err("invalid value".into()),
//!         }
//!     }
//! }
//!
//! impl serde::Serialize for Status {
//!     fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
//!         billfold_runtime::string_enum::serialize(self, serializer)
//!     }
//! }
//!
//! impl<'de> serde::Deserialize<'de> for Status {
//!     fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
//!         billfold_runtime::string_enum::deserialize(deserializer, &["active", "paused"])
//!     }
//! }
//!
//! assert_eq!(serde_json::to_string(&Status::Paused)?, r#""paused""#);
//! assert_eq!(serde_json::from_str::<Status>(r#""active""#)?, Status::Active);
//! let error = serde_json::from_str::<Status>(r#""gone""#).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "unknown variant `gone`, expected `active` or `paused` at line 1 column 6"
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

/// Serializes `value` as the string its `Display` writes.
pub fn serialize<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: fmt::Display + ?Sized,
    S: Serializer,
{
    serializer.collect_str(value)
}

/// Deserializes a string into `T` with its `FromStr`; `values` are the wire values the spec
/// lists, named in the error when the string is none that `T` knows.
pub fn deserialize<'de, T, D>(
    deserializer: D,
    values: &'static [&'static str],
) -> Result<T, D::Error>
where
    T: FromStr,
    D: Deserializer<'de>,
{
    deserializer.deserialize_str(StringVisitor {
        values,
        target: PhantomData,
    })
}

/// Parses the string a deserializer holds.
struct StringVisitor<T> {
    values: &'static [&'static str],
    target: PhantomData<fn() -> T>,
}

impl<T: FromStr> Visitor<'_> for StringVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.values {
            [] => f.write_str("a string"),
            [only] => write!(f, "the string `{only}`"),
            values => {
                f.write_str("one of ")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{value}`")?;
                }
                Ok(())
            }
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        value
            .parse()
            .map_err(|_| E::unknown_variant(value, self.values))
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<T, E> {
        match std::str::from_utf8(value) {
            Ok(text) => self.visit_str(text),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(value), &self)),
        }
    }
}

/// `Serialize` and `Deserialize` for a string enum through its `Display` and `FromStr`
/// ([`serialize`] and [`deserialize`] of [`string_enum`](crate::string_enum)), from its name and
/// the wire values the spec lists. The generated crates write one per string enum.
///
/// ```
/// # use std::{fmt, str::FromStr};
/// #[derive(Debug, PartialEq)]
/// enum Plan {
///     Free,
///     Pro,
/// }
/// # impl fmt::Display for Plan {
/// #     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
/// #         f.write_str(match self { Plan::Free => "free", Plan::Pro => "pro" })
/// #     }
/// # }
/// # impl FromStr for Plan {
/// #     type Err = ();
/// #     fn from_str(value: &str) -> Result<Self, ()> {
/// #         match value { "free" => Ok(Plan::Free), "pro" => Ok(Plan::Pro), _ => Err(()) }
/// #     }
/// # }
/// // With `Display` and `FromStr` for the wire values `free` and `pro`:
/// billfold_runtime::serde_string_enum!(Plan, ["free", "pro"]);
///
/// assert_eq!(serde_json::to_string(&Plan::Pro)?, r#""pro""#);
/// assert_eq!(serde_json::from_str::<Plan>(r#""free""#)?, Plan::Free);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[macro_export]
macro_rules! serde_string_enum {
    ($name:ident, [$($value:literal),* $(,)?]) => {
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::string_enum::serialize(self, serializer)
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::string_enum::deserialize(deserializer, &[$($value),*])
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An open enum: every string parses, unknown ones into the catch-all.
    #[derive(Debug, PartialEq)]
    enum Open {
        Known,
        Other(String),
    }

    impl fmt::Display for Open {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                Open::Known => "known",
                Open::Other(value) => value,
            })
        }
    }

    impl FromStr for Open {
        type Err = std::convert::Infallible;
        fn from_str(value: &str) -> Result<Self, Self::Err> {
            Ok(match value {
                "known" => Open::Known,
                other => Open::Other(other.to_owned()),
            })
        }
    }

    crate::serde_string_enum!(Open, ["known"]);

    #[test]
    fn an_open_enum_keeps_what_it_does_not_know_and_sends_it_back() {
        let value: Open = serde_json::from_str(r#""brand-new""#).unwrap();
        assert_eq!(value, Open::Other("brand-new".into()));
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""brand-new""#);
        let known: Open = serde_json::from_value(serde_json::json!("known")).unwrap();
        assert_eq!(known, Open::Known);
    }

    #[test]
    fn a_value_of_another_type_names_what_was_expected() {
        let error = serde_json::from_str::<Open>("3").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid type: integer `3`, expected the string `known` at line 1 column 1"
        );
    }

    #[test]
    fn inside_an_untagged_union_the_enum_is_read_from_buffered_content() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        #[serde(untagged)]
        enum Either {
            Number(u32),
            Word(Open),
        }
        let value: Either = serde_json::from_str(r#""known""#).unwrap();
        assert_eq!(value, Either::Word(Open::Known));
    }

    #[test]
    fn form_and_query_encoders_write_the_wire_value() {
        #[derive(serde::Serialize)]
        struct Query {
            kind: Open,
        }
        let query = Query {
            kind: Open::Other("a b".into()),
        };
        assert_eq!(serde_urlencoded_like(&query), "kind=a+b");
    }

    /// The query string reqwest writes for `value`.
    fn serde_urlencoded_like<T: serde::Serialize>(value: &T) -> String {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let request = reqwest::Client::new()
            .get("http://localhost/")
            .query(value)
            .build()
            .unwrap();
        request.url().query().unwrap_or_default().to_owned()
    }
}
