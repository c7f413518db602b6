//! Checks for what people type, shared by the use cases: each failure names the field.

use crate::domain::Money;
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;

/// A required text field, trimmed, 1..=max characters.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 {
        return Err(AppError::invalid(
            "field_required",
            format!("{field} is required"),
            field,
        ));
    }
    if n > max {
        return Err(AppError::invalid(
            "field_too_long",
            format!("{field} is at most {max} characters, got {n}"),
            field,
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "field_invalid",
            format!("{field} contains control characters"),
            field,
        ));
    }
    Ok(v.to_string())
}

/// An optional text field: blank becomes None.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// A positive amount of money given as a yuan string.
pub fn positive_money(field: &str, value: &str) -> AppResult<Money> {
    Money::parse_positive(value).map_err(|e| AppError::invalid("amount_invalid", format!("{field}: {e}"), field))
}

pub fn date(field: &str, value: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid(
            "date_invalid",
            format!("{field}: '{value}' is not a date, write YYYY-MM-DD"),
            field,
        )
    })
}

/// A mainland mobile number: 11 digits starting with 1.
pub fn phone(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(p) if p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(p.to_string()))
        }
        Some(p) => Err(AppError::invalid(
            "phone_invalid",
            format!("{field}: '{p}' is not an 11-digit mobile number"),
            field,
        )),
    }
}

/// A short machine code: lowercase letters, digits, '-' and '_', 1..=32.
pub fn code(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 32
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        return Err(AppError::invalid(
            "code_invalid",
            format!("{field}: use 1-32 lowercase letters, digits, '-' or '_'; got '{v}'"),
            field,
        ));
    }
    Ok(v.to_string())
}
