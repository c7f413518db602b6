//! Alipay asynchronous notifications (异步通知).
//!
//! Alipay POSTs a form (`application/x-www-form-urlencoded`). It signs the parameters sorted by
//! name as `k=v` joined with `&`, leaving out `sign` and empty values, with RSA2 (SHA256withRSA,
//! PKCS#1 v1.5). Whether `sign_type` itself is in the signed text differs between notification
//! kinds, so, as Alipay's SDKs do, we check with it and then without it. Amounts are yuan strings.
//! We answer the bare word `success`; anything else makes Alipay retry.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use rsa::pkcs8::DecodePublicKey;
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::rsa2;
use crate::{amount, Acknowledgement, Adapter, BankCredit, Money, Notice, Provider, ProviderError};

#[derive(Clone, Debug)]
pub struct AlipayConfig {
    pub app_id: String,
    pub alipay_public_key: RsaPublicKey,
}

/// Reads Alipay's public key as PEM or as the bare base64 the Alipay console shows.
pub fn parse_public_key(text: &str) -> Result<RsaPublicKey, String> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return RsaPublicKey::from_public_key_pem(t).map_err(|e| e.to_string());
    }
    let der = B64
        .decode(t.split_whitespace().collect::<String>())
        .map_err(|e| e.to_string())?;
    RsaPublicKey::from_public_key_der(&der).map_err(|e| e.to_string())
}

/// The text Alipay signs: parameters sorted by name, `sign` and empty values left out, and
/// `sign_type` in or out.
pub fn sign_content(params: &[(String, String)], with_sign_type: bool) -> String {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| !k.is_empty() && !v.is_empty() && k != "sign" && (with_sign_type || k != "sign_type"))
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    kept.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Checks `sign` over the parameters, with `sign_type` in the signed text and then without.
pub fn verify(params: &[(String, String)], key: &RsaPublicKey) -> Result<(), ProviderError> {
    let sign = params
        .iter()
        .find(|(k, _)| k == "sign")
        .map(|(_, v)| v.as_str())
        .ok_or(ProviderError::MissingHeader("sign"))?;
    let sign_type = params
        .iter()
        .find(|(k, _)| k == "sign_type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("RSA2");
    if sign_type != "RSA2" {
        return Err(ProviderError::Malformed(format!(
            "sign_type {sign_type} is not accepted; use RSA2"
        )));
    }
    let sig = rsa2::decode(sign)?;
    // Notifications without a sign_type parameter were still signed with "sign_type=RSA2".
    let mut with_type: Vec<(String, String)> = params.to_vec();
    if !with_type.iter().any(|(k, _)| k == "sign_type") {
        with_type.push(("sign_type".into(), "RSA2".into()));
    }
    for content in [sign_content(&with_type, true), sign_content(params, false)] {
        if sig.over(key, content.as_bytes()) {
            return Ok(());
        }
    }
    Err(ProviderError::BadSignature)
}

/// The form body as (name, value) pairs, percent-decoded.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &'static str) -> Result<&'a str, ProviderError> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ProviderError::Malformed(format!("missing parameter {name}")))
}

/// Alipay's times are Beijing time without an offset: "2019-08-15 15:56:24".
fn beijing_time(text: &str) -> Result<DateTime<Utc>, ProviderError> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| ProviderError::Malformed(format!("time '{text}'")))?;
    Shanghai
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ProviderError::Malformed(format!("time '{text}'")))
}

/// The amount a paid trade credits, from every amount field Alipay sent (name, text):
/// `total_amount` (the order), `receipt_amount` (实收: what reached the merchant),
/// `buyer_pay_amount` (what the payer paid), `invoice_amount`, `point_amount`.
///
/// Each one present must be a well-formed amount, and the parts may not exceed the order:
/// a notification whose amounts disagree is refused, never half-believed. What is credited is
/// `receipt_amount`, the money that reached the village's account (less than the order when a
/// discount was given), or `total_amount` when Alipay leaves `receipt_amount` out.
pub(crate) fn credited_amount(fields: &[(&'static str, Option<&str>)]) -> Result<Money, ProviderError> {
    let mut parsed = Vec::with_capacity(fields.len());
    for (name, text) in fields {
        if let Some(t) = text {
            parsed.push((*name, amount::yuan(name, t)?));
        }
    }
    let get = |name: &str| parsed.iter().find(|(n, _)| *n == name).map(|(_, m)| *m);
    let total =
        get("total_amount").ok_or_else(|| ProviderError::Malformed("a paid trade without total_amount".into()))?;
    for part in ["receipt_amount", "buyer_pay_amount", "invoice_amount", "point_amount"] {
        if let Some(m) = get(part) {
            amount::at_most(part, m, "total_amount", total)?;
        }
    }
    match get("receipt_amount") {
        Some(r) => amount::positive("receipt_amount", r),
        None => amount::positive("total_amount", total),
    }
}

pub struct Alipay {
    pub config: AlipayConfig,
}

impl Adapter for Alipay {
    fn provider(&self) -> Provider {
        Provider::Alipay
    }

    /// Alipay notifications carry no timestamp header; `notify_time` is informational, and replays
    /// are harmless because credits are applied once per `trade_no`.
    fn verify(&self, _headers: &[(String, String)], body: &[u8], _now: DateTime<Utc>) -> Result<(), ProviderError> {
        let params = parse_form(body);
        if params.is_empty() {
            return Err(ProviderError::Malformed("empty form".into()));
        }
        verify(&params, &self.config.alipay_public_key)
    }

    fn parse(&self, _headers: &[(String, String)], body: &[u8], _now: DateTime<Utc>) -> Result<Notice, ProviderError> {
        let params = parse_form(body);
        let app_id = param(&params, "app_id")?;
        if app_id != self.config.app_id {
            return Err(ProviderError::UnknownAccount(app_id.to_string()));
        }
        let trade_no = param(&params, "trade_no")?.to_string();
        let status = param(&params, "trade_status")?;
        if status != "TRADE_SUCCESS" && status != "TRADE_FINISHED" {
            return Ok(Notice::Other {
                kind: format!("trade_status {status}"),
                provider_txn_id: Some(trade_no),
            });
        }
        let optional = |name: &'static str| param(&params, name).ok();
        let credited = credited_amount(&[
            ("total_amount", optional("total_amount")),
            ("receipt_amount", optional("receipt_amount")),
            ("buyer_pay_amount", optional("buyer_pay_amount")),
            ("invoice_amount", optional("invoice_amount")),
            ("point_amount", optional("point_amount")),
        ])?;
        let paid_at = match param(&params, "gmt_payment") {
            Ok(t) => beijing_time(t)?,
            Err(_) => beijing_time(param(&params, "notify_time")?)?,
        };
        Ok(Notice::Credit(BankCredit {
            provider: Provider::Alipay,
            provider_txn_id: trade_no,
            account_ref: app_id.to_string(),
            amount: credited,
            paid_at,
            payer_masked: param(&params, "buyer_logon_id").ok().map(str::to_string),
            reference: param(&params, "out_trade_no").ok().map(str::to_string),
        }))
    }
}

/// Anything but `success` makes Alipay retry; the status says whose fault it was.
pub fn refusal(retry_later: bool) -> Acknowledgement {
    Acknowledgement {
        status: if retry_later { 503 } else { 400 },
        content_type: "text/plain; charset=utf-8",
        body: "failure".into(),
    }
}

// ---------- the provider's side, for the sandbox bank and tests ----------

/// Signs parameters as Alipay does (sign_type=RSA2 included in the signed text) and returns the
/// form body.
pub fn signed_form(private_key: &RsaPrivateKey, params: &[(String, String)]) -> Vec<u8> {
    let mut all: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "sign" && k != "sign_type")
        .cloned()
        .collect();
    all.push(("sign_type".into(), "RSA2".into()));
    let content = sign_content(&all, true);
    all.push(("sign".into(), rsa2::sign(private_key, content.as_bytes())));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(all.iter())
        .finish()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    // Published vectors: the notify-verification tests of Alipay's official Node.js SDK
    // (alipay/alipay-sdk-nodejs-all, test/alipay.test.ts, "checkNotifySign"), with their keys.
    const KEY_V1: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7YpvI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcOrxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5rDU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5JwIDAQAB";
    const KEY_V2: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk6DCsBIUhWriFohzRV8F
ic6oQWNnLKKILNk97VU5qcHEuxYzCujKoyva5gy1170mFJw4IcgJF8AyS7iDUwzA
wF4Pp9CpWxDhUhe7mdQJhjBmvTcPLGFFrzlj6unO5lAcbdwaxPUtSxOaNxPJGrTK
/wnKQSbjTMMltp1J68q2Tfgrsn/NdZ6lrxO9rvmky8kowqaH5NjntyHO59jCGabM
j5sI14z8N61wB/QuIJrDuzIPMPrSNbq0cOWcSCDG09oUHTp9fk7suDB8UiFcmVTX
OvK3d4HbeX8V9YsEMxrwxEoYgRRj6K2qrC6oxw480cqf2ueumCmHg6xrcgkyXK81
hwIDAQAB
-----END PUBLIC KEY-----";

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A payment notification (语雀, 0.10 yuan) whose signed text leaves sign_type out.
    fn payment(with_sign_type: bool) -> Vec<(String, String)> {
        let mut v = p(&[
            ("gmt_create", "2019-08-15 15:56:22"),
            ("charset", "utf-8"),
            ("seller_email", "z97-yuquerevenue@service.aliyun.com"),
            ("subject", "语雀空间 500人规模"),
            ("sign", "QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ=="),
            ("buyer_id", "2088102534368455"),
            ("invoice_amount", "0.10"),
            ("notify_id", "2019081500222155624068450559358070"),
            ("fund_bill_list", r#"[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]"#),
            ("notify_type", "trade_status_sync"),
            ("trade_status", "TRADE_SUCCESS"),
            ("receipt_amount", "0.10"),
            ("buyer_pay_amount", "0.10"),
            ("app_id", "2019073166072302"),
            ("seller_id", "2088531891668739"),
            ("gmt_payment", "2019-08-15 15:56:24"),
            ("notify_time", "2019-08-15 15:56:25"),
            ("version", "1.0"),
            ("out_trade_no", "20190815155618536-564-57"),
            ("total_amount", "0.10"),
            ("trade_no", "2019081522001468450512505578"),
            ("auth_app_id", "2019073166072302"),
            ("buyer_logon_id", "xud***@126.com"),
            ("point_amount", "0.00"),
        ]);
        if with_sign_type {
            v.push(("sign_type".into(), "RSA2".into()));
        }
        v
    }

    /// A service-market notification whose signed text keeps sign_type.
    fn servicemarket(service_code: &str, with_sign_type: bool) -> Vec<(String, String)> {
        let mut v = p(&[
            ("app_id", "2017122801303261"),
            ("charset", "UTF-8"),
            ("commodity_order_id", "2019030800000018079639"),
            ("contactor", "技术支持测试的公司"),
            ("merchant_pid", "2088721996721370"),
            ("method", "alipay.open.servicemarket.order.notify"),
            ("name", "技术支持测试的公司"),
            ("notify_id", "2019030800222102023008121054923345"),
            ("notify_time", "2019-03-08 10:20:23"),
            ("notify_type", "servicemarket_order_notify"),
            ("order_item_num", "1"),
            ("order_ticket", "29b1c37d99ab48c5bd5bdaeaeaefbB37"),
            ("order_time", "2019-03-08 10:20:08"),
            ("phone", "17826894615"),
            ("service_code", service_code),
            ("sign", "MsK5SCw8oqLw4f0hiNSd5OVGXxBY3wnQeT8vn5PklJSZFWSZbK4hQbNvkp4ZezeXQH514cEv0ul6Qow8yh6e6yM06LfEL+EZjcpZ0nxzFGRNQ5qq2AUc1OaXQdk92AGvxh+Iq4NGpPQFBd4D8EBJa3NJd8+czMfQskceosOQFqUtLQMYa5DPs+VpN7VM5BdXjaVIuKn5d9Wm2B9dI9ObIM+YRySDkZZPv14DVmUvcrcqJfOR8aHvtSd7B4l92wUQPQgQKNcOQho7xOHS/Bk+Y74AZL2y7TkNmdDoq9OGsThuF5tDW9rI9nVwXxOtsuB+bstra+W7aw9x9DvkKgdSRw=="),
            ("timestamp", "2019-03-08 10:20:23"),
            ("title", "麦禾商城模版"),
            ("total_price", "0.00"),
            ("version", "1.0"),
        ]);
        if with_sign_type {
            v.push(("sign_type".into(), "RSA2".into()));
        }
        v
    }

    #[test]
    fn the_sdk_vectors_verify_with_and_without_sign_type() {
        let v1 = parse_public_key(KEY_V1).unwrap();
        let v2 = parse_public_key(KEY_V2).unwrap();
        assert_eq!(verify(&payment(true), &v1), Ok(()));
        assert_eq!(verify(&payment(false), &v1), Ok(()));
        assert_eq!(verify(&servicemarket("58621634", true), &v2), Ok(()));
        assert_eq!(verify(&servicemarket("58621634", false), &v2), Ok(()));
        // The SDK's failing case: one parameter changed.
        assert_eq!(
            verify(&servicemarket("58621634111", true), &v2),
            Err(ProviderError::BadSignature)
        );
        // The wrong key.
        assert_eq!(verify(&payment(true), &v2), Err(ProviderError::BadSignature));
    }

    #[test]
    fn the_sdk_payment_becomes_a_credit_of_ten_fen() {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(payment(true).iter())
            .finish();
        let adapter = Alipay {
            config: AlipayConfig {
                app_id: "2019073166072302".into(),
                alipay_public_key: parse_public_key(KEY_V1).unwrap(),
            },
        };
        let Notice::Credit(c) = adapter.verify_and_parse(&[], body.as_bytes(), Utc::now()).unwrap() else {
            panic!("credit")
        };
        assert_eq!(c.amount.fen(), 10);
        assert_eq!(c.provider_txn_id, "2019081522001468450512505578");
        assert_eq!(
            c.paid_at,
            Utc.with_ymd_and_hms(2019, 8, 15, 7, 56, 24).unwrap(),
            "Beijing time to UTC"
        );
        assert_eq!(c.payer_masked.as_deref(), Some("xud***@126.com"));
        assert_eq!(c.reference.as_deref(), Some("20190815155618536-564-57"));
        let other_app = Alipay {
            config: AlipayConfig {
                app_id: "2021000000000000".into(),
                ..adapter.config.clone()
            },
        };
        assert!(matches!(
            other_app.verify_and_parse(&[], body.as_bytes(), Utc::now()),
            Err(ProviderError::UnknownAccount(_))
        ));
        let mut flipped = body.clone().into_bytes();
        let i = body.find("total_amount=0.10").unwrap() + "total_amount=0.1".len();
        flipped[i] = b'9';
        assert_eq!(
            adapter.verify_and_parse(&[], &flipped, Utc::now()),
            Err(ProviderError::BadSignature)
        );
        assert_eq!(crate::acknowledgement(Provider::Alipay).body, "success");
        assert!(matches!(
            adapter.verify_and_parse(&[], b"", Utc::now()),
            Err(ProviderError::Malformed(_))
        ));
    }

    #[test]
    fn our_signed_form_round_trips_and_amounts_are_strict() {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let adapter = Alipay {
            config: AlipayConfig {
                app_id: "2021004100000001".into(),
                alipay_public_key: RsaPublicKey::from(&key),
            },
        };
        let form = |amount: &str| {
            signed_form(
                &key,
                &p(&[
                    ("app_id", "2021004100000001"),
                    ("trade_no", "2026112822001400000000000001"),
                    ("out_trade_no", "0000120000345"),
                    ("trade_status", "TRADE_SUCCESS"),
                    ("total_amount", amount),
                    ("gmt_payment", "2026-11-28 10:00:00"),
                    ("buyer_logon_id", "138****5678"),
                ]),
            )
        };
        let Notice::Credit(c) = adapter.verify_and_parse(&[], &form("1678.38"), Utc::now()).unwrap() else {
            panic!()
        };
        assert_eq!(c.amount.fen(), 167838);
        for bad in ["1678.385", "-1.00", "0.00", "abc"] {
            assert!(
                matches!(
                    adapter.verify_and_parse(&[], &form(bad), Utc::now()),
                    Err(ProviderError::InvalidAmount(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_amount_is_parsed_and_the_parts_never_exceed_the_order() {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let adapter = Alipay {
            config: AlipayConfig {
                app_id: "2021004100000001".into(),
                alipay_public_key: RsaPublicKey::from(&key),
            },
        };
        let form = |amounts: &[(&str, &str)]| {
            let mut pairs = vec![
                ("app_id", "2021004100000001"),
                ("trade_no", "2026112822001400000000000002"),
                ("out_trade_no", "0000120000345"),
                ("trade_status", "TRADE_SUCCESS"),
                ("gmt_payment", "2026-11-28 10:00:00"),
            ];
            pairs.extend_from_slice(amounts);
            signed_form(&key, &p(&pairs))
        };
        let credited = |amounts: &[(&str, &str)]| adapter.verify_and_parse(&[], &form(amounts), Utc::now());
        // What reached the merchant is credited: 实收 below the order after a discount.
        let Ok(Notice::Credit(c)) = credited(&[
            ("total_amount", "80.00"),
            ("receipt_amount", "77.70"),
            ("buyer_pay_amount", "77.70"),
        ]) else {
            panic!("a discounted payment is a credit")
        };
        assert_eq!(c.amount.fen(), 7770);
        for (why, amounts) in [
            (
                "a malformed order amount beside a good receipt_amount (the probed defect)",
                &[("total_amount", "77.705"), ("receipt_amount", "77.70")][..],
            ),
            (
                "receipt_amount above the order",
                &[("total_amount", "77.70"), ("receipt_amount", "77.71")],
            ),
            (
                "buyer_pay_amount above the order",
                &[("total_amount", "77.70"), ("buyer_pay_amount", "80.00")],
            ),
            (
                "a malformed buyer_pay_amount",
                &[("total_amount", "77.70"), ("buyer_pay_amount", "7,7.70")],
            ),
            (
                "a malformed point_amount",
                &[("total_amount", "77.70"), ("point_amount", "-1")],
            ),
            (
                "nothing reached the merchant",
                &[("total_amount", "77.70"), ("receipt_amount", "0.00")],
            ),
        ] {
            assert!(
                matches!(credited(amounts), Err(ProviderError::InvalidAmount(_))),
                "{why}"
            );
        }
        assert!(
            matches!(
                credited(&[("receipt_amount", "77.70")]),
                Err(ProviderError::Malformed(_))
            ),
            "no order amount"
        );
    }
}
