//! Checks for what people type, shared by the use cases: each failure names the field.

use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use chrono::NaiveDate;

/// What a person calls a text field (messages are read on the pages, where the request's
/// field names mean nothing); programs still get the field's name in the error's `field`.
pub fn label(field: &str) -> &'static str {
    // A line's memo (`lines[2].memo`) is labelled by its last part.
    match field.rsplit('.').next().unwrap_or(field) {
        "account_code" => "科目",
        "account_name" => "户名",
        "attachments" => "附件说明",
        "bank_name" => "开户行",
        "contract_no" => "合同编号",
        "county_name" => "县名称",
        "display_name" => "姓名",
        "household_no" => "户号",
        "memo" => "摘要",
        "name" => "名称",
        "note" => "说明",
        "payee_name" => "收款人",
        "period_label" => "期间",
        "purpose" => "用途",
        "reason" => "原因",
        _ => "此项",
    }
}

/// A required text field, trimmed, 1..=max characters.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    let n = v.chars().count();
    let name = label(field);
    if n == 0 {
        return Err(AppError::new(ErrorCode::FieldRequired, format!("{name}：必须填写。")).at(field));
    }
    if n > max {
        return Err(AppError::new(
            ErrorCode::FieldTooLong,
            format!("{name}：最多 {max} 个字，现在是 {n} 个字。"),
        )
        .at(field));
    }
    if v.chars().any(char::is_control) {
        return Err(AppError::new(ErrorCode::FieldInvalid, format!("{name}：含有不能显示的控制字符。")).at(field));
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
    Money::parse_positive(value)
        .map_err(|e| AppError::new(ErrorCode::AmountInvalid, format!("{field}：{e}。")).at(field))
}

pub fn date(field: &str, value: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::new(
            ErrorCode::DateInvalid,
            format!("{field}：“{value}”不是日期，请按 2026-03-05 的格式填写。"),
        )
        .at(field)
    })
}

/// A mainland mobile number: 11 digits starting with 1.
pub fn phone(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(p) if p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(p.to_string()))
        }
        Some(p) => Err(AppError::new(ErrorCode::PhoneInvalid, format!("{field}：“{p}”不是 11 位手机号。")).at(field)),
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
        return Err(AppError::new(
            ErrorCode::CodeInvalid,
            format!("{field}：请用 1 到 32 位小写字母、数字、横线或下划线，填写的是“{v}”。"),
        )
        .at(field));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn a_refused_text_is_named_in_chinese_and_keeps_its_field_for_programs() {
        let e = text("note", "  ", 10).unwrap_err();
        assert_eq!(crate::web::error::for_people(&e), "说明：必须填写。");
        assert!(
            matches!(&e, AppError::Refused { field: Some(f), .. } if f == "note"),
            "{e:?}"
        );
        let e = text("lines[2].memo", &"字".repeat(11), 10).unwrap_err();
        assert_eq!(
            crate::web::error::for_people(&e),
            "摘要：最多 10 个字，现在是 11 个字。"
        );
        // Every field the use cases pass has a label of its own, in Chinese.
        for field in [
            "account_code",
            "account_name",
            "attachments",
            "bank_name",
            "contract_no",
            "county_name",
            "display_name",
            "household_no",
            "memo",
            "name",
            "note",
            "payee_name",
            "period_label",
            "purpose",
            "reason",
        ] {
            assert!(label(field) != "此项" && !label(field).is_ascii(), "{field}");
        }
    }
}
