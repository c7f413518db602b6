//! Masking of personal data and account numbers for pages, API listings and logs (PIPL).
//!
//! Stored values are whole (the bank needs the full account number, the clerk the phone); every
//! place that shows them to someone who does not need the whole value goes through here.

/// A bank account number for display: first four and last four digits, e.g. `6230****5678`.
pub fn account_no(no: &str) -> String {
    let chars: Vec<char> = no.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A mobile number for display: `138****5678`.
pub fn phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A person's name for public pages: the family name and the last character, `张*三`; two
/// characters become `张*`.
pub fn person_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_identifies_nothing() {
        assert_eq!(account_no("6230901234567895678"), "6230****5678");
        assert_eq!(account_no("1234"), "****");
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(person_name("张三"), "张*");
        assert_eq!(person_name("欧阳修文"), "欧**文");
        assert_eq!(person_name("李"), "*");
    }
}
