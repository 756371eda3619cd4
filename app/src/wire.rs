//! How server functions' answers and resources' values travel to the browser: postcard,
//! a compact binary form of the same serde types, instead of JSON.
//!
//! The browser bundle carries a decoder for every type it receives. JSON's decoder for a
//! struct accepts its fields by name, in any order, or as a list, and is generated for
//! each struct (about 3 KB of wasm apiece); postcard's reads the fields in order and
//! nothing else. Measured on the release bundle: each page part 7-12% smaller (a member's
//! pages 209 -> 183 KB brotli), the main file 247 -> 241 KB.
//! Errors travel as postcard too ([`AppError`](crate::error::AppError)'s encoding; a form
//! without JavaScript finds its error in the page's address, base64 of the same bytes), and
//! the page's texts are read by the browser's own JSON parser: the bundle has no JSON
//! decoder at all.

use leptos::prelude::*;

/// The answer encoding of every server function: `#[server(output = crate::wire::Packed)]`.
pub type Packed = leptos::server_fn::codec::Postcard;

/// The codec of every resource's value in the page's hydration data.
pub type PackedCodec = codee::binary::PostcardCodec;

/// A resource whose value travels as postcard (see the module's comment).
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, PackedCodec>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// A server function's answer read back as JSON, for the tools and tests that call server
/// functions over HTTP as the browser does.
#[cfg(feature = "ssr")]
pub fn answer_as_json<S>(body: &[u8]) -> Result<serde_json::Value, String>
where
    S: leptos::server_fn::ServerFn,
    S::Output: serde::de::DeserializeOwned + serde::Serialize,
{
    let answer: S::Output = postcard::from_bytes(body).map_err(|e| e.to_string())?;
    serde_json::to_value(answer).map_err(|e| e.to_string())
}

/// A server function's error as it travels (see [`answer_as_json`]).
#[cfg(feature = "ssr")]
pub fn error_from_wire(body: &[u8]) -> Result<crate::error::AppError, String> {
    postcard::from_bytes(body).map_err(|e| e.to_string())
}
