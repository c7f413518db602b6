//! Receipts as PDF: A4 pages, two receipts each, with a CJK TrueType font from the system
//! embedded (Debian's fonts-wqy-microhei by default, which has Latin and CJK glyphs in one face;
//! `pdf_font` in the configuration), so the
//! file prints and reads the same anywhere. No font is downloaded at run time.
//!
//! Each receipt carries its fields, the amount in figures and in 大写, the verification code and
//! the QR to the public check page, drawn as one 1-bit image per code (a module per pixel, never
//! interpolated): one drawing operation instead of a rectangle per run of dark modules, which
//! made the PDF of a sheet of receipts slow to write.

use printpdf::{
    ColorBits, ColorSpace, Image, ImageTransform, ImageXObject, IndirectFontRef, Mm, PdfDocument, PdfLayerReference, Px,
};

use super::receipts::ReceiptDetail;
use crate::domain::ReceiptStatus;

pub use crate::config::DEFAULT_PDF_FONT as DEFAULT_FONT;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
/// Each receipt's slot: two per page.
const SLOT_H: f32 = 140.0;

fn status_mark(r: &ReceiptDetail) -> Option<String> {
    r.status.stamp().map(|s| match r.status {
        ReceiptStatus::Pending => format!("【{s}：款项尚未到账】"),
        _ => format!("【{s}】"),
    })
}

fn draw_qr(layer: &PdfLayerReference, text: &str, x: f32, top: f32, size: f32) -> Result<(), String> {
    let code = crate::payments::qr::modules(text)?;
    let image = Image::from(ImageXObject {
        width: Px(code.width),
        height: Px(code.width),
        color_space: ColorSpace::Greyscale,
        bits_per_component: ColorBits::Bit1,
        // Modules stay sharp squares at any zoom and on any printer.
        interpolate: false,
        image_data: code.gray_bits(),
        image_filter: None,
        smask: None,
        clipping_bbox: None,
    });
    // The image is `width` pixels at this resolution: `size` millimetres square.
    let dpi = code.width as f32 * 25.4 / size;
    image.add_to_layer(
        layer.clone(),
        ImageTransform {
            translate_x: Some(Mm(x)),
            translate_y: Some(Mm(top - size)),
            dpi: Some(dpi),
            ..Default::default()
        },
    );
    Ok(())
}

/// Writes text in the embedded face. printpdf's own `use_text` copies the whole font (5 MB) on
/// every call to look its glyphs up, three quarters of a 500-receipt file's time; here they are
/// looked up in a face parsed once per file, and printpdf's subsetting reads the glyph ids back
/// from the page as it does its own.
struct Pen<'a> {
    layer: &'a PdfLayerReference,
    font: &'a IndirectFontRef,
    face: &'a ttf_parser::Face<'a>,
}

impl Pen<'_> {
    fn text(&self, s: &str, size: f32, x: f32, y: f32) {
        // A character the face lacks (a rare name outside the font) prints as □, never silently
        // vanishes: "张□国" shows the receipt is missing something, "张国" would be another name.
        let missing = self.face.glyph_index('□').or_else(|| self.face.glyph_index('?'));
        let glyphs: Vec<u16> = s
            .chars()
            .filter_map(|c| {
                self.face.glyph_index(c).or_else(|| {
                    // Not the character itself: it may be part of a payer's name.
                    tracing::warn!("the receipt PDF's font lacks a character; printed as □");
                    missing
                })
            })
            .map(|g| g.0)
            .collect();
        self.layer.begin_text_section();
        self.layer.set_font(self.font, size);
        self.layer.set_text_cursor(Mm(x), Mm(y));
        self.layer.write_codepoints(glyphs);
        self.layer.end_text_section();
    }
}

fn draw(pen: &Pen, r: &ReceiptDetail, verify_url: &str, top: f32) -> Result<(), String> {
    let text = |s: &str, size: f32, x: f32, y: f32| pen.text(s, size, x, y);
    text(
        &format!("{}集体经济组织收款收据", r.village_name),
        16.0,
        45.0,
        top - 14.0,
    );
    text(&format!("No. {}", r.number), 10.0, 20.0, top - 22.0);
    if let Some(mark) = status_mark(r) {
        text(&mark, 14.0, 120.0, top - 22.0);
    }
    let rows: Vec<(&str, String)> = vec![
        ("缴款人", r.payer_name.clone()),
        (
            "收费项目",
            format!(
                "{} {}",
                r.fee_item,
                crate::domain::schedule::shown_period(&r.period_label)
            ),
        ),
        ("账单号", r.bill_reference.clone().unwrap_or_default()),
        ("金额（小写）", format!("¥{}", r.amount)),
        ("金额（大写）", r.amount_in_words.clone()),
        ("收款方式", r.channel_name.clone()),
        (
            "款项依据",
            if r.evidence.is_empty() {
                "（待银行到账核实）".into()
            } else {
                r.evidence.clone()
            },
        ),
        ("经办人", r.clerk.clone()),
        ("开具时间", r.issued_at.clone()),
        ("校验码", r.verification_code.clone()),
    ];
    let mut y = top - 32.0;
    for (label, value) in rows {
        text(label, 11.0, 20.0, y);
        text(&value, 11.0, 52.0, y);
        y -= 8.0;
    }
    if let Some(reason) = &r.void_reason {
        let by = r
            .replaced_by
            .as_ref()
            .map(|n| format!("，重开为 {n}"))
            .unwrap_or_default();
        text(&format!("作废原因：{reason}{by}"), 10.0, 20.0, y);
        y -= 7.0;
    }
    if let Some(n) = &r.replaces {
        text(&format!("重开自 {n}"), 10.0, 20.0, y);
    }
    draw_qr(pen.layer, verify_url, 150.0, top - 30.0, 35.0)?;
    text("扫码查验", 9.0, 160.0, top - 70.0);
    Ok(())
}

/// One PDF with every receipt given, in order; `verify_url` gives each receipt's check address.
pub fn render(
    receipts: &[ReceiptDetail],
    font: &[u8],
    verify_url: impl Fn(&ReceiptDetail) -> String,
) -> Result<Vec<u8>, String> {
    let (doc, page, layer) = PdfDocument::new("清账 收款收据", Mm(PAGE_W), Mm(PAGE_H), "receipts");
    // The first face of a collection, as printpdf embeds it.
    let face = ttf_parser::Face::parse(font, 0).map_err(|e| format!("font: {e}"))?;
    let font = doc
        .add_external_font(std::io::Cursor::new(font))
        .map_err(|e| format!("font: {e}"))?;
    let mut current = doc.get_page(page).get_layer(layer);
    for (i, r) in receipts.iter().enumerate() {
        if i > 0 && i % 2 == 0 {
            let (p, l) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "receipts");
            current = doc.get_page(p).get_layer(l);
        }
        let top = PAGE_H - (i % 2) as f32 * SLOT_H - 8.0;
        let pen = Pen {
            layer: &current,
            font: &font,
            face: &face,
        };
        draw(&pen, r, &verify_url(r), top)?;
    }
    doc.save_to_bytes().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Channel, Money};

    pub(crate) fn sample(n: i64, status: ReceiptStatus) -> ReceiptDetail {
        let amount = Money::from_fen(167838 + n);
        ReceiptDetail {
            id: crate::domain::ReceiptId(n),
            number: format!("370725102201-2026-{n:06}"),
            village_code: "370725102201".into(),
            village_name: "北岩村".into(),
            payer_name: "张建国".into(),
            fee_item: "土地承包费".into(),
            period_label: "2026".into(),
            bill_reference: Some("000001-000001-2".into()),
            amount,
            amount_in_words: amount.to_chinese_capital(),
            channel: Channel::Cash,
            channel_name: "现金".into(),
            evidence: format!("现金收款记录 {n}"),
            clerk: "王会计".into(),
            issued_at: "2026-11-28 09:30".into(),
            status,
            void_reason: (status == ReceiptStatus::Voided).then(|| "姓名写错".to_string()),
            voided_by: None,
            replaces: None,
            replaced_by: None,
            verification_code: "B1AD 074A 1185 E118".into(),
        }
    }

    /// The PDF's text read back by poppler's pdftotext (a real reader), when it is installed.
    #[test]
    fn a_pdf_of_receipts_reads_back_with_its_chinese_text() {
        let Ok(font) = std::fs::read(DEFAULT_FONT) else {
            if std::env::var_os("CI").is_some() {
                panic!("{DEFAULT_FONT} is required in CI (fonts-wqy-microhei)");
            }
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED receipt PDF: {DEFAULT_FONT} not installed");
            return;
        };
        let receipts = vec![
            sample(1, ReceiptStatus::Issued),
            sample(2, ReceiptStatus::Voided),
            ReceiptDetail {
                // U+2003E, of CJK Extension B, which the default face lacks.
                payer_name: "张\u{2003E}国".into(),
                ..sample(3, ReceiptStatus::Issued)
            },
        ];
        let pdf = render(&receipts, &font, |r| format!("https://qz.example/r/{}", r.number)).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // Only the glyphs the receipts use are embedded, not the whole 5 MB face.
        assert!(pdf.len() < 300_000, "a subset of the font: {} bytes", pdf.len());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let out = match std::process::Command::new("pdftotext").arg(&path).arg("-").output() {
            Ok(o) => o,
            Err(_) if std::env::var_os("CI").is_none() => {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED receipt PDF read-back: pdftotext not installed"
                );
                return;
            }
            Err(e) => panic!("pdftotext is required in CI (poppler-utils): {e}"),
        };
        let text = String::from_utf8_lossy(&out.stdout);
        for expected in [
            "北岩村集体经济组织收款收据",
            "370725102201-2026-000001",
            "壹仟陆佰柒拾捌元叁角玖分",
            "¥1678.39",
            "作废",
            "姓名写错",
            "370725102201-2026-000003",
            "张□国",
        ] {
            assert!(text.contains(expected), "the PDF says {expected}: {text}");
        }
        // Three receipts, two to a page.
        let info = std::process::Command::new("pdfinfo").arg(&path).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout).to_string();
        let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).map(str::trim);
        assert_eq!(pages, Some("2"), "{info}");

        // The first page as poppler draws it, its codes read back by rqrr (not mirrored, level
        // M): the two receipts' check addresses.
        let prefix = dir.path().join("page");
        let drawn = std::process::Command::new("pdftoppm")
            .args(["-r", "150", "-gray", "-png", "-f", "1", "-l", "1"])
            .arg(&path)
            .arg(&prefix)
            .status()
            .expect("pdftoppm is required (poppler-utils), as pdftotext above");
        assert!(drawn.success());
        let png = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "png"))
            .expect("pdftoppm's page");
        let mut reader = png::Decoder::new(std::fs::File::open(png).unwrap())
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).unwrap();
        assert_eq!(frame.bit_depth, png::BitDepth::Eight);
        // Grey drawn into whichever channels poppler wrote: the first one reads it.
        let (w, h, n) = (frame.width as usize, frame.height as usize, frame.color_type.samples());
        // Where each code should be at 150 dpi: 150 mm from the left, 35 mm wide, its top 38 mm
        // (first receipt) and 178 mm (second) below the page's top; give or take a module.
        let px = |mm: f32| (mm / 25.4 * 150.0) as i32;
        let mut read: Vec<String> = crate::payments::qr::read_codes(&buf, w, h, n)
            .into_iter()
            .map(|(text, bounds)| {
                let xs = bounds.iter().map(|p| p.x);
                let ys = bounds.iter().map(|p| p.y);
                let (left, right) = (xs.clone().min().unwrap(), xs.max().unwrap());
                let top = ys.min().unwrap();
                assert!((left - px(150.0)).abs() <= 8, "left edge {left}");
                assert!((right - left - px(35.0)).abs() <= 8, "width {}", right - left);
                assert!(
                    (top - px(38.0)).abs() <= 8 || (top - px(178.0)).abs() <= 8,
                    "top edge {top}"
                );
                text
            })
            .collect();
        read.sort();
        assert_eq!(
            read,
            [
                "https://qz.example/r/370725102201-2026-000001",
                "https://qz.example/r/370725102201-2026-000002"
            ]
        );
    }
}
