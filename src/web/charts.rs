//! Charts on the staff and public pages, drawn in the browser by the vendored Apache ECharts
//! (`web::assets`). A page describes each chart as data ([`Chart`]); one small script draws
//! them all. Every chart stands above a table of the same numbers (the table is what prints,
//! what a screen reader reads, and what is there when scripts are off), and a chart with
//! nothing to draw says so in words instead.

use serde::Serialize;

use crate::web::assets::ECHARTS_PATH;
use crate::web::pages::esc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Vertical bars (a line for a series on the second axis): months, townships.
    Bars,
    /// Horizontal bars, for long category names (rules, villages).
    Rows,
    /// Shares of one whole (severities).
    Pie,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// Drawn as a line against a second value axis (an amount beside a count).
    pub second_axis: bool,
    /// Drawn as a line on the first axis (a limit beside the values it limits).
    pub line: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: String,
    pub kind: Kind,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

impl Chart {
    pub fn new(id: &str, kind: Kind, labels: Vec<String>) -> Chart {
        Chart {
            id: id.into(),
            kind,
            labels,
            series: Vec::new(),
        }
    }

    pub fn series(mut self, name: &str, values: Vec<f64>, second_axis: bool) -> Chart {
        self.series.push(Series {
            name: name.into(),
            values,
            second_axis,
            line: false,
        });
        self
    }

    /// A line on the first axis, beside the bars (a limit); it alone is not data to draw.
    pub fn line(mut self, name: &str, values: Vec<f64>) -> Chart {
        self.series.push(Series {
            name: name.into(),
            values,
            second_axis: false,
            line: true,
        });
        self
    }

    /// Whether there is anything to draw (some value not zero, reference lines and gaps aside).
    pub fn has_data(&self) -> bool {
        self.series
            .iter()
            .filter(|s| !s.line)
            .any(|s| s.values.iter().any(|v| v.is_finite() && *v != 0.0))
    }

    /// The chart's place on the page; with nothing to draw, `empty` in words instead.
    pub fn place(&self, label: &str, empty: &str) -> String {
        if self.has_data() {
            format!(
                r#"<div class="chart" id="{}" role="img" aria-label="{}"></div>"#,
                esc(&self.id),
                esc(label)
            )
        } else {
            format!(
                r#"<p class="empty chart-empty" id="{}">暂无数据：{}</p>"#,
                esc(&self.id),
                esc(empty)
            )
        }
    }
}

/// Money as a chart's number (yuan, a float: charts draw, tables keep the exact amount).
pub fn yuan(m: crate::domain::Money) -> f64 {
    m.fen() as f64 / 100.0
}

/// CSS for chart boxes (the staff frame's style does not know charts).
pub const STYLE: &str = r#"<style>
.chart { width: 100%; height: 18rem; margin: 0.5rem 0; }
.chart.tall { height: 26rem; }
@media print { .chart { display: none; } }
</style>"#;

/// Draws `charts` (those with data) once ECharts has loaded. The data goes in a JSON block
/// (every `<` escaped); the drawing code is fixed text.
pub fn script(charts: &[Chart]) -> String {
    let drawn: Vec<&Chart> = charts.iter().filter(|c| c.has_data()).collect();
    if drawn.is_empty() {
        return String::new();
    }
    // No `<` at all inside the script element (JSON allows `\u003c` in its strings): neither
    // `</script>` nor `<!--` in a village's or fee item's name can end or bend it.
    let data = serde_json::to_string(&drawn)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c");
    format!(
        r#"<script src="{ECHARTS_PATH}"></script>
<script type="application/json" id="chart-data">{data}</script>
<script>{DRAW}</script>"#
    )
}

/// One function for every chart: categories on one axis, values on the other, a second value
/// axis for series that ask for it; Chinese number formatting from the browser's locale.
const DRAW: &str = r#"
(function () {
  if (!window.echarts) return;
  var charts = JSON.parse(document.getElementById('chart-data').textContent);
  // A gap (no value that day, sent as null) reads as a dash, never as 0.
  var fmt = function (v) { return v == null || v === '-' ? '—' : Number(v).toLocaleString('zh-CN'); };
  charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: 'svg' });
    var option;
    if (c.kind === 'pie') {
      option = {
        tooltip: { trigger: 'item', valueFormatter: fmt },
        legend: { bottom: 0 },
        series: [{ type: 'pie', radius: ['35%', '65%'], name: c.series[0].name,
          data: c.labels.map(function (l, i) { return { name: l, value: c.series[0].values[i] }; }),
          label: { formatter: '{b}：{c}' } }]
      };
    } else {
      var rows = c.kind === 'rows';
      var category = { type: 'category', data: c.labels, axisLabel: { interval: 0, width: rows ? 110 : 80, overflow: 'truncate', rotate: rows ? 0 : (c.labels.length > 8 ? 40 : 0) } };
      // Counts are whole numbers: no 0.2-step ticks on their axis.
      var whole = c.series.every(function (s) { return s.second_axis || s.values.every(Number.isInteger); });
      var values = [{ type: 'value', minInterval: whole ? 1 : 0, axisLabel: { formatter: fmt } }];
      var second = c.series.filter(function (s) { return s.second_axis; });
      var wholeSecond = second.every(function (s) { return s.values.every(Number.isInteger); });
      if (second.length) values.push({ type: 'value', minInterval: wholeSecond ? 1 : 0, axisLabel: { formatter: fmt }, splitLine: { show: false } });
      option = {
        tooltip: { trigger: 'axis', valueFormatter: fmt },
        legend: { bottom: 0 },
        grid: { left: rows ? 120 : 56, right: 56, top: 24, bottom: c.labels.length > 8 && !rows ? 96 : 56 },
        xAxis: rows ? values : category,
        yAxis: rows ? Object.assign({ inverse: true }, category) : values,
        series: c.series.map(function (s) {
          var line = s.line || (s.second_axis && !rows);
          var axis = s.second_axis ? 1 : 0;
          var item = { name: s.name, type: line ? 'line' : 'bar', data: s.values, barMaxWidth: 48 };
          if (rows) item.xAxisIndex = Math.min(axis, values.length - 1); else item.yAxisIndex = axis;
          return item;
        })
      };
    }
    chart.setOption(option);
    window.addEventListener('resize', function () { chart.resize(); });
  });
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_without_data_says_so_and_draws_nothing() {
        let empty = Chart::new("c1", Kind::Bars, vec!["2026-01".into()]).series("发现", vec![0.0], false);
        assert!(empty.place("趋势", "本期没有发现").contains("暂无数据：本期没有发现"));
        assert_eq!(script(&[empty]), "");
        let gaps = Chart::new("c4", Kind::Bars, vec!["2026-01".into()]).series("银行", vec![f64::NAN], false);
        assert!(!gaps.has_data(), "days without a value are nothing to draw");
        assert!(
            Chart::new("c5", Kind::Bars, vec!["a".into(), "b".into()])
                .series("银行", vec![f64::NAN, 12.5], false)
                .has_data(),
            "one bank balance beside books at zero is drawn"
        );
        let limit_only = Chart::new("c3", Kind::Bars, vec!["2026-01".into()])
            .series("库存", vec![0.0], false)
            .line("限额", vec![5000.0]);
        assert!(!limit_only.has_data(), "a limit alone is nothing to draw");
        let full = Chart::new("c2", Kind::Pie, vec!["严重".into()]).series("发现", vec![3.0], false);
        assert!(full.place("按严重程度", "x").contains(r#"class="chart" id="c2""#));
        let s = script(&[full]);
        assert!(s.contains(ECHARTS_PATH) && s.contains(r#""kind":"pie""#));
    }

    #[test]
    fn chart_data_cannot_close_its_script_element() {
        let c = Chart::new("c", Kind::Rows, vec!["</script><script>alert(1)</script>".into()]).series(
            "x",
            vec![1.0],
            false,
        );
        let s = script(&[c]);
        let data = s
            .split(r#"id="chart-data">"#)
            .nth(1)
            .unwrap()
            .split("</script>")
            .next()
            .unwrap();
        assert!(!data.contains('<') && data.contains(r#"\u003c/script>"#), "{data}");
        let parsed: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(
            parsed[0]["labels"][0], "</script><script>alert(1)</script>",
            "the text is intact for the chart"
        );
    }
}
