//! EMVCo merchant-presented QR payloads (EMV QRCPS-MPM), for UnionPay-style acquirers.
//!
//! A payload is a run of TLV fields: a two-digit tag, a two-digit length (in characters) and
//! the value; templates nest the same way. It starts with `000201` and ends with tag 63, a
//! CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over everything before the CRC's value,
//! `6304` included, in upper-case hex. The bill reference rides in tag 62, sub-tag 05.

use crate::Money;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmvError {
    #[error("the payload is truncated at character {0}")]
    Truncated(usize),
    #[error("tag or length at character {0} is not two digits")]
    BadField(usize),
    #[error("the CRC does not match: payload says {stated}, computed {computed}")]
    BadCrc { stated: String, computed: String },
    #[error("the payload must start with 000201 and end with tag 63")]
    BadFrame,
    #[error("value of tag {0} is longer than 99 characters")]
    TooLong(String),
}

/// CRC-16/CCITT-FALSE.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for b in bytes {
        crc ^= (*b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// One field: tag and value.
pub type Field = (String, String);

fn tlv(tag: &str, value: &str) -> Result<String, EmvError> {
    let n = value.chars().count();
    if n > 99 {
        return Err(EmvError::TooLong(tag.to_string()));
    }
    Ok(format!("{tag}{n:02}{value}"))
}

/// Encodes fields (without tag 63) and appends the CRC.
pub fn encode(fields: &[Field]) -> Result<String, EmvError> {
    let mut out = String::new();
    for (tag, value) in fields {
        out.push_str(&tlv(tag, value)?);
    }
    out.push_str("6304");
    let crc = crc16(out.as_bytes());
    out.push_str(&format!("{crc:04X}"));
    Ok(out)
}

/// Splits a run of TLV fields (a payload or a template's value).
pub fn fields(text: &str) -> Result<Vec<Field>, EmvError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 4 > chars.len() {
            return Err(EmvError::Truncated(i));
        }
        let head: String = chars[i..i + 4].iter().collect();
        if !head.chars().all(|c| c.is_ascii_digit()) {
            return Err(EmvError::BadField(i));
        }
        let len: usize = head[2..].parse().map_err(|_| EmvError::BadField(i))?;
        if i + 4 + len > chars.len() {
            return Err(EmvError::Truncated(i));
        }
        out.push((head[..2].to_string(), chars[i + 4..i + 4 + len].iter().collect()));
        i += 4 + len;
    }
    Ok(out)
}

/// Decodes and checks a payload: the frame and the CRC.
pub fn decode(payload: &str) -> Result<Vec<Field>, EmvError> {
    let all = fields(payload)?;
    if all.first().map(|(t, v)| (t.as_str(), v.as_str())) != Some(("00", "01"))
        || all.last().map(|(t, _)| t.as_str()) != Some("63")
    {
        return Err(EmvError::BadFrame);
    }
    let stated = all.last().map(|(_, v)| v.clone()).unwrap_or_default();
    let body = &payload[..payload.len() - stated.len()];
    let computed = format!("{:04X}", crc16(body.as_bytes()));
    if !stated.eq_ignore_ascii_case(&computed) {
        return Err(EmvError::BadCrc { stated, computed });
    }
    Ok(all[..all.len() - 1].to_vec())
}

/// What qingzhang puts in a merchant QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantQr {
    /// Merchant account information: its tag (26-51) and sub-fields (00 globally unique id, …).
    pub account_tag: String,
    pub account_fields: Vec<Field>,
    /// Merchant category code; 8398 is for civic, social and fraternal associations.
    pub mcc: String,
    pub merchant_name: String,
    pub merchant_city: String,
    /// None for a static code (the payer types the amount).
    pub amount: Option<Money>,
    /// The bill reference, in tag 62 sub-tag 05.
    pub reference: Option<String>,
    /// Name and city in Chinese, in the language template (tag 64, language ZH).
    pub chinese: Option<(String, String)>,
}

impl MerchantQr {
    pub fn to_payload(&self) -> Result<String, EmvError> {
        let mut account = String::new();
        for (t, v) in &self.account_fields {
            account.push_str(&tlv(t, v)?);
        }
        let mut f: Vec<Field> = vec![
            ("00".into(), "01".into()),
            ("01".into(), if self.amount.is_some() { "12" } else { "11" }.into()),
            (self.account_tag.clone(), account),
            ("52".into(), self.mcc.clone()),
            ("53".into(), "156".into()),
        ];
        if let Some(amount) = self.amount {
            f.push(("54".into(), crate::amount::to_yuan(amount)));
        }
        f.push(("58".into(), "CN".into()));
        f.push(("59".into(), self.merchant_name.clone()));
        f.push(("60".into(), self.merchant_city.clone()));
        if let Some(r) = &self.reference {
            f.push(("62".into(), tlv("05", r)?));
        }
        if let Some((name, city)) = &self.chinese {
            f.push((
                "64".into(),
                format!("{}{}{}", tlv("00", "ZH")?, tlv("01", name)?, tlv("02", city)?),
            ));
        }
        encode(&f)
    }

    pub fn parse(payload: &str) -> Result<MerchantQr, EmvError> {
        let all = decode(payload)?;
        let get = |tag: &str| all.iter().find(|(t, _)| t == tag).map(|(_, v)| v.clone());
        let (account_tag, account_value) = all
            .iter()
            .find(|(t, _)| t.parse::<u8>().is_ok_and(|n| (26..=51).contains(&n)))
            .cloned()
            .ok_or(EmvError::BadFrame)?;
        let amount = match get("54") {
            Some(a) => Some(crate::amount::positive_yuan("54", &a).map_err(|_| EmvError::BadField(0))?),
            None => None,
        };
        let reference = match get("62") {
            Some(v) => fields(&v)?.into_iter().find(|(t, _)| t == "05").map(|(_, v)| v),
            None => None,
        };
        let chinese = match get("64") {
            Some(v) => {
                let f = fields(&v)?;
                let sub = |t: &str| f.iter().find(|(k, _)| k == t).map(|(_, v)| v.clone());
                Some((sub("01").unwrap_or_default(), sub("02").unwrap_or_default()))
            }
            None => None,
        };
        Ok(MerchantQr {
            account_tag,
            account_fields: fields(&account_value)?,
            mcc: get("52").unwrap_or_default(),
            merchant_name: get("59").unwrap_or_default(),
            merchant_city: get("60").unwrap_or_default(),
            amount,
            reference,
            chinese,
        })
    }
}

impl fmt::Display for MerchantQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.merchant_name, self.merchant_city)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example payload of the EMVCo MPM specification, with its published CRC A13A.
    const SPEC_SAMPLE: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";

    #[test]
    fn crc_matches_the_catalogue_check_value_and_the_spec_sample() {
        // CRC-16/CCITT-FALSE check value over "123456789".
        assert_eq!(crc16(b"123456789"), 0x29B1);
        let fields = decode(SPEC_SAMPLE).unwrap();
        assert_eq!(fields.iter().find(|(t, _)| t == "59").unwrap().1, "BEST TRANSPORT");
        // Lengths count characters: 最佳运输 is four.
        let lang = fields.iter().find(|(t, _)| t == "64").unwrap();
        assert_eq!(
            super::fields(&lang.1).unwrap()[1],
            ("01".to_string(), "最佳运输".to_string())
        );
        // Re-encoding the decoded fields gives the sample back, CRC and all.
        assert_eq!(encode(&fields).unwrap(), SPEC_SAMPLE);
    }

    #[test]
    fn a_damaged_payload_is_refused() {
        let flipped = SPEC_SAMPLE.replace("BEIJING", "BEIJINH");
        assert!(matches!(decode(&flipped), Err(EmvError::BadCrc { .. })));
        assert!(matches!(decode(&SPEC_SAMPLE[..40]), Err(EmvError::Truncated(_))));
        assert_eq!(decode("0002026304FFFF"), Err(EmvError::BadFrame));
    }

    #[test]
    fn a_bill_code_round_trips_with_amount_and_reference() {
        let qr = MerchantQr {
            account_tag: "26".into(),
            account_fields: vec![
                ("00".into(), "CN.QINGZHANG".into()),
                ("01".into(), "9150010100001234567".into()),
            ],
            mcc: "8398".into(),
            merchant_name: "BEIYAN VILLAGE".into(),
            merchant_city: "CHANGLE".into(),
            amount: Some(Money::from_fen(167838)),
            reference: Some("0000120003457".into()),
            chinese: Some(("北岩村股份经济合作社".into(), "昌乐县".into())),
        };
        let payload = qr.to_payload().unwrap();
        assert!(payload.starts_with("000201010212"));
        assert!(payload.contains("54071678.38"));
        assert_eq!(MerchantQr::parse(&payload).unwrap(), qr);
        let static_qr = MerchantQr {
            amount: None,
            reference: None,
            ..qr
        };
        assert!(static_qr.to_payload().unwrap().starts_with("000201010211"));
    }
}
