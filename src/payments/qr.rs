//! QR codes for paying a village: the signed pay token and its rendering.
//!
//! A code's text is an HTTPS URL to the pay page carrying a compact token: version, village,
//! corporate account, bill (0 for an account's static code), amount in fen (0: the payer types
//! it), expiry (Unix day, 0: never) and a 96-bit HMAC tag under the server key. Editing any
//! field, or forging a code for another account, breaks the tag and the pay page refuses it.

use crate::domain::{BillId, CorporateAccountId, Money, VillageId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayToken {
    pub village_id: VillageId,
    pub account_id: CorporateAccountId,
    /// None for an account's static code.
    pub bill_id: Option<BillId>,
    /// None when the payer enters the amount.
    pub amount: Option<Money>,
    /// The last day (days since 1970-01-01, UTC) the code may be used; None: never expires.
    pub expires_day: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("这个收款码无效或被改动过，请不要付款，并联系村报账员")]
    Forged,
    #[error("这个收款码已过期，请向村里索取新的收款码")]
    Expired,
}

fn tag(key: &[u8], payload: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"qz-pay-v1|");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes()[..12].to_vec()
}

impl PayToken {
    fn payload(&self) -> String {
        format!(
            "1.{}.{}.{}.{}.{}",
            self.village_id,
            self.account_id,
            self.bill_id.map(BillId::get).unwrap_or(0),
            self.amount.map(Money::fen).unwrap_or(0),
            self.expires_day.unwrap_or(0)
        )
    }

    /// The token as it goes into the URL.
    pub fn encode(&self, key: &[u8]) -> String {
        let payload = self.payload();
        format!("{payload}.{}", B64.encode(tag(key, &payload)))
    }

    /// Checks the tag (in constant time) and the expiry against `today` (days since epoch).
    pub fn decode(text: &str, key: &[u8], today: i64) -> Result<PayToken, TokenError> {
        let (payload, t) = text.rsplit_once('.').ok_or(TokenError::Forged)?;
        let given = B64.decode(t).map_err(|_| TokenError::Forged)?;
        if !bank_adapters::constant_time_eq(&given, &tag(key, payload)) {
            return Err(TokenError::Forged);
        }
        let parts: Vec<i64> = payload
            .split('.')
            .map(|p| p.parse::<i64>().map_err(|_| TokenError::Forged))
            .collect::<Result<_, _>>()?;
        let [1, village_id, account_id, bill, amount, expires] = parts[..] else {
            return Err(TokenError::Forged);
        };
        let nonzero = |v: i64| (v != 0).then_some(v);
        let token = PayToken {
            village_id: VillageId(village_id),
            account_id: CorporateAccountId(account_id),
            bill_id: nonzero(bill).map(BillId),
            amount: nonzero(amount).map(Money::from_fen),
            expires_day: nonzero(expires),
        };
        if token.expires_day.is_some_and(|d| d < today) {
            return Err(TokenError::Expired);
        }
        Ok(token)
    }
}

/// Days since 1970-01-01 of a date.
pub fn epoch_day(date: chrono::NaiveDate) -> i64 {
    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days()
}

/// A code's modules, row by row, without the quiet zone.
pub struct Modules {
    pub width: usize,
    dark: Vec<bool>,
}

impl Modules {
    pub fn is_dark(&self, row: usize, col: usize) -> bool {
        self.dark[row * self.width + col]
    }

    /// The runs of dark modules of a row, as (first column, length).
    pub fn runs(&self, row: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let cells = &self.dark[row * self.width..(row + 1) * self.width];
        let mut x = 0;
        std::iter::from_fn(move || {
            while x < cells.len() && !cells[x] {
                x += 1;
            }
            let start = x;
            while x < cells.len() && cells[x] {
                x += 1;
            }
            (x > start).then_some((start, x - start))
        })
    }

    /// The code as a 1-bit grey image, top row first: one bit per module, most significant bit
    /// first, each row padded to a whole byte, 0 for a dark module (black in DeviceGray).
    pub fn gray_bits(&self) -> Vec<u8> {
        let stride = self.width.div_ceil(8);
        let mut out = vec![0xFF; stride * self.width];
        for row in 0..self.width {
            for (start, n) in self.runs(row) {
                for col in start..start + n {
                    out[row * stride + col / 8] &= !(0x80 >> (col % 8));
                }
            }
        }
        out
    }
}

/// Encodes a text, choosing the smallest version and the best mask the standard's penalty rules
/// give. Level M survives a fold or a smudge on a printed sheet and keeps the code small.
/// `fast_qr` rather than `qrcode`: the same standard encoding, several times faster here (the
/// benchmark's SVG figure), which is what a 500-code print sheet spends its time on.
pub fn modules(text: &str) -> Result<Modules, String> {
    let code = fast_qr::QRBuilder::new(text.as_bytes())
        .ecl(fast_qr::ECL::M)
        .build()
        .map_err(|e| format!("{e:?}"))?;
    let width = code.size;
    let dark = code.data[..width * width].iter().map(|m| m.value()).collect();
    Ok(Modules { width, dark })
}

/// The code as an SVG document, `size` pixels square. Drawn in module units with one path whose
/// rows are merged into runs of dark modules: a few hundred bytes where a module-per-rectangle
/// rendering takes kilobytes, which matters on a 500-code print sheet.
pub fn svg(text: &str, size: u32) -> Result<String, String> {
    use std::fmt::Write;
    let code = modules(text)?;
    let quiet = 4;
    let side = code.width + 2 * quiet;
    let mut out = String::with_capacity(400 + code.width * code.width);
    let _ = write!(
        out,
        r##"<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{size}" height="{size}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d=""##
    );
    // Numbers written with itoa: `write!` costs a third of a code's time here.
    let mut num = itoa::Buffer::new();
    for y in 0..code.width {
        for (x, n) in code.runs(y) {
            out.push('M');
            out.push_str(num.format(x + quiet));
            out.push(' ');
            out.push_str(num.format(y + quiet));
            out.push('h');
            out.push_str(num.format(n));
            out.push_str("v1h-");
            out.push_str(num.format(n));
            out.push('z');
        }
    }
    out.push_str(r#""/></svg>"#);
    Ok(out)
}

/// The code as a greyscale PNG, `scale` pixels per module, with the standard 4-module quiet zone.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, String> {
    let code = modules(text)?;
    let width = code.width as u32;
    let quiet = 4;
    let side = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for y in 0..width {
        for x in 0..width {
            if code.is_dark(y as usize, x as usize) {
                for dy in 0..scale {
                    let row = ((y + quiet) * scale + dy) * side;
                    let start = (row + (x + quiet) * scale) as usize;
                    pixels[start..start + scale as usize].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut out, side, side);
        enc.set_color(::png::ColorType::Grayscale);
        enc.set_depth(::png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The codes in a picture (8-bit pixels, `channels` per pixel, grey read from the first), each
/// with its corners in pixels, read by an independent decoder (rqrr) as drawn: never mirrored
/// (the decoder would otherwise retry a transposed code), and asserted to be of level M.
#[cfg(test)]
pub(crate) fn read_codes(pixels: &[u8], w: usize, h: usize, channels: usize) -> Vec<(String, [rqrr::Point; 4])> {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[(y * w + x) * channels]);
    img.detect_grids()
        .iter()
        .map(|g| {
            let (meta, _) = g.get_raw_data().expect("the code reads without mirroring");
            assert_eq!(meta.ecc_level, 0, "error correction level M (format bits 00)");
            (g.decode().unwrap().1, g.bounds)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gray_image_has_a_zero_bit_for_each_dark_module() {
        let code = modules("https://qz.example/r/370725102201-2026-000001").unwrap();
        let bits = code.gray_bits();
        let stride = code.width.div_ceil(8);
        assert_eq!(bits.len(), stride * code.width);
        for row in 0..code.width {
            for col in 0..code.width {
                let bit = bits[row * stride + col / 8] & (0x80 >> (col % 8));
                assert_eq!(bit == 0, code.is_dark(row, col), "({row}, {col})");
            }
            // Padding bits past the last column stay white.
            for col in code.width..stride * 8 {
                assert_ne!(bits[row * stride + col / 8] & (0x80 >> (col % 8)), 0);
            }
        }
    }

    const KEY: &[u8] = b"server-key";

    /// A greyscale PNG's pixels and width.
    fn pixels(bytes: &[u8]) -> (Vec<u8>, usize) {
        let decoder = ::png::Decoder::new(bytes);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        (buf, info.width as usize)
    }

    /// The text of the one code in a PNG, read as drawn: not mirrored (the decoder would
    /// otherwise retry a transposed code), error correction level M.
    fn decode_png(bytes: &[u8]) -> String {
        let (buf, w) = pixels(bytes);
        let mut codes = read_codes(&buf, w, buf.len() / w, 1);
        assert_eq!(codes.len(), 1, "one code in the picture");
        codes.remove(0).0
    }

    #[test]
    fn tokens_round_trip_and_refuse_edits_forgeries_and_age() {
        let t = PayToken {
            village_id: VillageId(3),
            account_id: CorporateAccountId(5),
            bill_id: Some(BillId(42)),
            amount: Some(Money::from_fen(167838)),
            expires_day: Some(20_500),
        };
        let text = t.encode(KEY);
        assert_eq!(PayToken::decode(&text, KEY, 20_000), Ok(t));
        assert_eq!(PayToken::decode(&text, KEY, 20_501), Err(TokenError::Expired));
        assert_eq!(PayToken::decode(&text, b"another-key", 20_000), Err(TokenError::Forged));
        let edited = text.replacen("167838", "100", 1);
        assert_eq!(PayToken::decode(&edited, KEY, 20_000), Err(TokenError::Forged));
        for junk in ["", ".", "1.2.3", "x.y.z.w.v.u.t", "1.3.5.0.0.0.!!!"] {
            assert_eq!(PayToken::decode(junk, KEY, 0), Err(TokenError::Forged), "{junk}");
        }
        let static_code = PayToken {
            village_id: VillageId(3),
            account_id: CorporateAccountId(5),
            bill_id: None,
            amount: None,
            expires_day: None,
        };
        assert_eq!(
            PayToken::decode(&static_code.encode(KEY), KEY, i64::MAX),
            Ok(static_code)
        );
    }

    #[test]
    fn rendered_codes_decode_to_their_text_with_an_independent_decoder() {
        let t = PayToken {
            village_id: VillageId(12),
            account_id: CorporateAccountId(34),
            bill_id: Some(BillId(5678)),
            amount: Some(Money::from_fen(167838)),
            expires_day: Some(20_800),
        };
        let url = format!("https://pay.qingzhang.example/pay/{}", t.encode(KEY));
        assert_eq!(decode_png(&png(&url, 4).unwrap()), url);
        let long = format!(
            "https://pay.qingzhang.example/pay/{}?channel=wechat&lang=zh-CN",
            t.encode(KEY)
        );
        assert_eq!(decode_png(&png(&long, 3).unwrap()), long);
        let s = svg(&url, 200).unwrap();
        assert!(
            s.starts_with("<?xml") && s.contains("<svg") && s.contains("<path"),
            "{}",
            &s[..80.min(s.len())]
        );
        let drawn = svg_to_png(&s, 4);
        assert_eq!(decode_png(&drawn), url, "the SVG's path draws the same code");
        assert_eq!(
            pixels(&drawn),
            pixels(&png(&url, 4).unwrap()),
            "module for module, quiet zone included, as the PNG"
        );
    }

    /// Rasterises the SVG's path ("M{x} {y}h{n}v1h-{n}z" runs in module units) independently of
    /// the renderer's own module matrix, so the decoder reads what a browser would draw.
    fn svg_to_png(svg: &str, scale: usize) -> Vec<u8> {
        let view = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
        let side: usize = view.split(' ').next().unwrap().parse().unwrap();
        let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let px = side * scale;
        let mut pixels = vec![255u8; px * px];
        for run in d.split('M').filter(|r| !r.is_empty()) {
            let (xy, rest) = run.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let n: usize = rest.split('v').next().unwrap().parse().unwrap();
            for dy in 0..scale {
                let row = (y * scale + dy) * px;
                pixels[row + x * scale..row + (x + n) * scale].fill(0);
            }
        }
        let mut out = Vec::new();
        let mut enc = ::png::Encoder::new(&mut out, px as u32, px as u32);
        enc.set_color(::png::ColorType::Grayscale);
        enc.set_depth(::png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&pixels).unwrap();
        out
    }
}
