//! Header lookup: HTTP header names are case-insensitive.

use crate::ProviderError;

pub fn get<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn require<'a>(headers: &'a [(String, String)], name: &'static str) -> Result<&'a str, ProviderError> {
    get(headers, name)
        .filter(|v| !v.trim().is_empty())
        .ok_or(ProviderError::MissingHeader(name))
}
