//! The report's charts, drawn with plotters' SVG backend into strings that
//! are inlined in the page (no fonts are embedded: text stays `<text>`).

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Chart width in pixels.
pub const W: u32 = 760;
/// Segment colors (colorblind-friendly first).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(90, 90, 90),
    RGBColor(150, 80, 200),
    RGBColor(120, 170, 60),
];

/// The color of segment `s`.
pub fn segment_color(s: usize) -> RGBColor {
    PALETTE[s % PALETTE.len()]
}

/// `#rrggbb` of segment `s`, for HTML legends.
pub fn segment_hex(s: usize) -> String {
    let c = segment_color(s);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

const FONT: &str = "sans-serif";

fn svg(
    w: u32,
    h: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(buf)
}

fn range(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 1.0, hi + 1.0);
    }
    let p = (hi - lo) * pad;
    (lo - p, hi + p)
}

/// Scatter of 2-D points colored by segment.
pub fn segment_map(points: &[(f64, f64)], labels: &[usize], axes: (&str, &str)) -> Result<String> {
    svg(W, 420, |root| {
        let (x0, x1) = range(points.iter().map(|p| p.0), 0.05);
        let (y0, y1) = range(points.iter().map(|p| p.1), 0.05);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart.configure_mesh().x_desc(axes.0).y_desc(axes.1).light_line_style(WHITE).draw()?;
        chart.draw_series(
            points
                .iter()
                .zip(labels)
                .map(|(&(x, y), &s)| Circle::new((x, y), 2, segment_color(s).mix(0.7).filled())),
        )?;
        Ok(())
    })
}

/// Diverging color for a z-score (blue below 0, red above; saturates at ±`cap`).
fn diverging(z: f64, cap: f64) -> RGBColor {
    let t = (z / cap).clamp(-1.0, 1.0);
    let mix = |a: u8, b: u8, t: f64| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    if t >= 0.0 {
        RGBColor(mix(255, 202, t), mix(255, 0, t), mix(255, 32, t))
    } else {
        RGBColor(mix(255, 5, -t), mix(255, 113, -t), mix(255, 176, -t))
    }
}

/// A heatmap of `values[row][col]` with row and column labels and the value
/// printed in each cell; `cap` is the color scale's saturation.
pub fn heatmap(
    rows: &[String],
    cols: &[String],
    values: &[Vec<f64>],
    cap: f64,
    sequential: bool,
) -> Result<String> {
    let label_w = 120i32;
    let top = 130i32;
    let cell_w = ((W as i32 - label_w - 20) / cols.len().max(1) as i32).clamp(24, 90);
    let cell_h = 26i32;
    let h = (top + cell_h * rows.len() as i32 + 20) as u32;
    svg(W, h, |root| {
        let small = (FONT, 11).into_font();
        for (j, c) in cols.iter().enumerate() {
            let x = label_w + j as i32 * cell_w + cell_w / 2;
            let name: String = c.chars().take(22).collect();
            root.draw(&Text::new(name, (x, top - 6), small.clone().transform(FontTransform::Rotate270)))?;
        }
        for (i, r) in rows.iter().enumerate() {
            let y = top + i as i32 * cell_h;
            root.draw(&Text::new(r.clone(), (6, y + cell_h / 2 - 6), small.clone()))?;
            for (j, v) in values[i].iter().enumerate() {
                let x = label_w + j as i32 * cell_w;
                let color = if sequential {
                    let t = (v / cap).clamp(0.0, 1.0);
                    let m = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
                    RGBColor(m(255.0, 8.0), m(255.0, 81.0), m(255.0, 156.0))
                } else {
                    diverging(*v, cap)
                };
                root.draw(&Rectangle::new([(x, y), (x + cell_w - 1, y + cell_h - 1)], color.filled()))?;
                let text_color = if (v / cap).abs() > 0.6 { WHITE } else { BLACK };
                root.draw(&Text::new(
                    format!("{v:.2}"),
                    (x + 3, y + cell_h / 2 - 6),
                    small.clone().color(&text_color),
                ))?;
            }
        }
        Ok(())
    })
}

/// Propensity histogram of one contrast: control and treated counts per bin.
pub fn overlap_histogram(
    edges: &[f64],
    treated: &[usize],
    control: &[usize],
    band: (f64, f64),
) -> Result<String> {
    svg(W, 300, |root| {
        let ymax = treated.iter().chain(control).copied().max().unwrap_or(1).max(1) as f64 * 1.1;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(0f64..1f64, -ymax..ymax)?;
        chart
            .configure_mesh()
            .x_desc("propensity ê (treated above the axis, control below)")
            .y_desc("customers")
            .y_label_formatter(&|v| format!("{:.0}", v.abs()))
            .light_line_style(WHITE)
            .draw()?;
        for b in [band.0, band.1] {
            chart
                .draw_series(LineSeries::new(vec![(b, -ymax), (b, ymax)], BLACK.mix(0.4).stroke_width(1)))?;
        }
        let blue = PALETTE[0];
        let orange = PALETTE[1];
        chart
            .draw_series(
                edges
                    .windows(2)
                    .zip(treated)
                    .map(|(e, &c)| Rectangle::new([(e[0], 0.0), (e[1], c as f64)], orange.mix(0.8).filled())),
            )?
            .label("treated")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], orange.filled()));
        chart
            .draw_series(
                edges.windows(2).zip(control).map(|(e, &c)| {
                    Rectangle::new([(e[0], 0.0), (e[1], -(c as f64))], blue.mix(0.8).filled())
                }),
            )?
            .label("control")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], blue.filled()));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    })
}

/// Per-segment box plots: `[p10, p25, p50, p75, p90]` per segment, with a
/// horizontal line at `reference` (break-even).
pub fn boxes(stats: &[(usize, [f64; 5])], reference: f64, y_desc: &str) -> Result<String> {
    svg(W, 320, |root| {
        let (y0, y1) = range(stats.iter().flat_map(|s| s.1).chain([reference, 0.0]), 0.08);
        let k = stats.len() as f64;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..k - 0.5, y0..y1)?;
        let names: Vec<String> = stats.iter().map(|s| format!("segment {}", s.0)).collect();
        chart
            .configure_mesh()
            .x_labels(stats.len())
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(y_desc)
            .light_line_style(WHITE)
            .draw()?;
        chart
            .draw_series(LineSeries::new(vec![(-0.5, reference), (k - 0.5, reference)], RED.stroke_width(2)))?
            .label(format!("break-even {reference:.2}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.stroke_width(2)));
        for (i, (s, q)) in stats.iter().enumerate() {
            let x = i as f64;
            let c = segment_color(*s);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, q[0]), (x, q[4])],
                c.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.25, q[1]), (x + 0.25, q[3])],
                c.mix(0.5).filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.25, q[2]), (x + 0.25, q[2])],
                BLACK.stroke_width(2),
            )))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    })
}

/// Point estimates with intervals, one row per named item: `[lo, estimate, hi]`, with a
/// vertical line at zero.
pub fn intervals(items: &[(String, [f64; 3])], x_desc: &str) -> Result<String> {
    let k = items.len().max(1) as f64;
    svg(W, 60 + 34 * items.len() as u32, |root| {
        let (x0, x1) = range(items.iter().flat_map(|s| s.1).chain([0.0]), 0.08);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(120)
            .build_cartesian_2d(x0..x1, -0.5f64..k - 0.5)?;
        let names: Vec<String> = items.iter().map(|s| s.0.clone()).collect();
        chart
            .configure_mesh()
            .y_labels(items.len())
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(names.len().saturating_sub(1 + i as usize)).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc(x_desc)
            .x_label_formatter(&|v| compact(*v))
            .light_line_style(WHITE)
            .draw()?;
        chart.draw_series(LineSeries::new(
            vec![(0.0, -0.5), (0.0, k - 0.5)],
            BLACK.mix(0.5).stroke_width(1),
        ))?;
        for (i, (_, v)) in items.iter().enumerate() {
            let y = k - 1.0 - i as f64;
            let c = color(i);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(v[0], y), (v[2], y)],
                c.stroke_width(3),
            )))?;
            chart.draw_series(std::iter::once(Circle::new((v[1], y), 5, c.filled())))?;
        }
        Ok(())
    })
}

/// Points of a line.
pub type Points = Vec<(f64, f64)>;

/// One line: name, points, color, dashed.
pub type Series = (String, Points, RGBColor, bool);

/// A shaded band between a lower and an upper line.
pub type Band<'a> = (&'a [(f64, f64)], &'a [(f64, f64)]);

/// A line chart of several named series over the same x axis, with an
/// optional marked point.
pub struct Lines<'a> {
    /// The lines.
    pub series: Vec<Series>,
    /// Optional shaded band: lower and upper points (same x as the first series).
    pub band: Option<Band<'a>>,
    /// Marked point and its label.
    pub mark: Option<((f64, f64), String)>,
    /// Axis descriptions.
    pub axes: (&'a str, &'a str),
    /// Height in pixels.
    pub height: u32,
}

/// Draws [`Lines`].
pub fn lines(spec: &Lines<'_>) -> Result<String> {
    svg(W, spec.height, |root| {
        let all = spec
            .series
            .iter()
            .flat_map(|s| s.1.iter().copied())
            .chain(spec.band.iter().flat_map(|(lo, hi)| lo.iter().chain(hi.iter()).copied()));
        let pts: Vec<(f64, f64)> = all.collect();
        let (x0, x1) = range(pts.iter().map(|p| p.0), 0.0);
        let (y0, y1) = range(pts.iter().map(|p| p.1).chain([0.0]), 0.08);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(spec.axes.0)
            .y_desc(spec.axes.1)
            .y_label_formatter(&|v| compact(*v))
            .light_line_style(WHITE)
            .draw()?;
        if let Some((lo, hi)) = spec.band {
            let poly: Vec<(f64, f64)> = lo.iter().copied().chain(hi.iter().rev().copied()).collect();
            chart.draw_series(std::iter::once(Polygon::new(poly, PALETTE[0].mix(0.15).filled())))?;
        }
        chart.draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], BLACK.mix(0.3)))?;
        for (name, points, color, dashed) in &spec.series {
            let color = *color;
            let style = color.stroke_width(if *dashed { 1 } else { 2 });
            if *dashed {
                chart
                    .draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))?
                    .label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            } else {
                chart
                    .draw_series(LineSeries::new(points.iter().copied(), style))?
                    .label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
            }
        }
        if let Some(((x, y), label)) = &spec.mark {
            chart.draw_series(std::iter::once(Circle::new((*x, *y), 6, RED.filled())))?;
            chart.draw_series(std::iter::once(Text::new(label.clone(), (*x, *y), (FONT, 13).into_font())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        Ok(())
    })
}

/// An axis label: `12.5k`, `−3.2M`, `0.42`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Series color by index.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}
