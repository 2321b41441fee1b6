//! `report.html`: the whole matrix in one self-contained page (inline CSS
//! and a few lines of JS, no fetches), readable offline and as a CI
//! artifact.
//!
//! Rows are tests grouped by suite and fixture, columns are targets. Each
//! column header gives the kernel release, ABI, errata, boot time and a
//! bar of its results. Two filters, "only failures" and "only differences",
//! and a name filter hide rows; the page says how many tests it shows
//! (`#shown`). The filters can also be set from the URL fragment:
//! `report.html#failures`, `#differences`, `#failures,differences`.

use crate::matrix::{Cell, CellKind, Head, Matrix, Tally};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let s = crate::text::visible(s);
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn class(kind: CellKind) -> &'static str {
    match kind {
        CellKind::Pass => "p",
        CellKind::Fail => "f",
        CellKind::Skip => "s",
        CellKind::Known => "k",
        CellKind::Error => "e",
        CellKind::Absent => "a",
    }
}

/// Options of the page that are not in the matrix.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Shown under the title: where the results came from.
    pub source: String,
    /// Shown under the title, e.g. a timestamp.
    pub generated: String,
    /// The folder the page is written in: links to a target's logs are
    /// made relative to it (absolute otherwise).
    pub base: Option<std::path::PathBuf>,
}

/// `path` as a link from a page in `base`.
fn href(path: &std::path::Path, base: Option<&std::path::Path>) -> String {
    let rel = base.and_then(|b| path.strip_prefix(b).ok());
    match rel {
        Some(r) => r.to_string_lossy().into_owned(),
        None => format!("file://{}", path.display()),
    }
}

/// Links to what a target left about `suite`: its log, and the VM's console
/// and dmesg, those that exist.
fn evidence_links(h: &Head, suite: &str, page: &Page) -> String {
    let Some(dir) = &h.dir else {
        return String::new();
    };
    let t = crate::layout::TargetDir::new(dir);
    let mut links = Vec::new();
    for (label, path) in [
        (format!("{suite} log"), t.log(suite)),
        ("console".to_string(), t.console()),
        ("dmesg".to_string(), t.dmesg()),
    ] {
        if path.exists() {
            links.push(format!(
                "<a href=\"{}\">{}</a>",
                esc(&href(&path, page.base.as_deref())),
                esc(&label)
            ));
        }
    }
    links.join(" · ")
}

/// How many failures the why-list shows; the rest are counted.
const WHY_AT_MOST: usize = 500;

/// Every failure, error and known failure with its reason in plain text,
/// under the matrix: readable without hovering, copyable, on touch screens.
fn why_section(m: &Matrix, page: &Page) -> String {
    let mut items = Vec::new();
    for r in &m.rows {
        for (c, cell) in r.cells.iter().enumerate() {
            if !matches!(
                cell.kind(),
                CellKind::Fail | CellKind::Error | CellKind::Known
            ) {
                continue;
            }
            items.push(format!(
                "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td>\
                 <td class=\"reason\">{}</td><td>{}</td></tr>",
                class(cell.kind()),
                esc(&r.name),
                esc(&m.heads[c].id),
                cell.kind().word(),
                esc(cell.detail().unwrap_or("")),
                evidence_links(&m.heads[c], &r.suite, page)
            ));
        }
    }
    if items.is_empty() {
        return String::new();
    }
    let total = items.len();
    let mut s = format!(
        "<section id=\"why\"><h2>Why they did not pass: {}</h2>\
         <table class=\"why\"><thead><tr><th>test</th><th>target</th><th>verdict</th>\
         <th>reason</th><th>evidence</th></tr></thead><tbody>",
        crate::text::count(total, "result")
    );
    for i in items.iter().take(WHY_AT_MOST) {
        s.push_str(i);
    }
    s.push_str("</tbody></table>");
    if total > WHY_AT_MOST {
        let _ = write!(s, "<p>... and {} more</p>", total - WHY_AT_MOST);
    }
    s.push_str("</section>\n");
    s
}

fn bar(t: &Tally) -> String {
    let total = t.total().max(1) as f64;
    let mut s = String::from("<div class=\"bar\">");
    for (n, c) in [
        (t.pass, "p"),
        (t.fail, "f"),
        (t.error, "e"),
        (t.known, "k"),
        (t.skip, "s"),
    ] {
        if n > 0 {
            let _ = write!(
                s,
                "<span class=\"{c}\" style=\"width:{:.2}%\"></span>",
                n as f64 * 100.0 / total
            );
        }
    }
    s.push_str("</div>");
    s
}

fn counts(t: &Tally) -> String {
    let mut s = String::from("<div class=\"counts\">");
    let _ = write!(s, "<b class=\"tp\">✓&nbsp;{}</b>", t.pass);
    if t.fail > 0 {
        let _ = write!(s, " <b class=\"tf\">✗&nbsp;{}</b>", t.fail);
    }
    if t.error > 0 {
        let _ = write!(s, " <b class=\"te\">⚠&nbsp;{}</b>", t.error);
    }
    if t.known > 0 {
        let _ = write!(s, " <b class=\"tk\">⊗&nbsp;{}</b>", t.known);
    }
    let _ = write!(s, " <b class=\"ts\">○&nbsp;{}</b>", t.skip);
    s.push_str("</div>");
    s
}

fn head_cell(h: &Head, index: usize) -> String {
    let (title, sub) = match (&h.kernel, &h.variant) {
        (Some(k), Some(v)) => (k.clone(), v.clone()),
        _ => (h.id.clone(), String::new()),
    };
    let mut s = format!(
        "<th class=\"col{}\" data-col=\"{index}\" data-pass=\"{}\" data-fail=\"{}\" \
         data-skip=\"{}\" data-error=\"{}\" data-known=\"{}\">",
        if h.problems.is_empty() && h.tally.is_clean() {
            ""
        } else {
            " bad"
        },
        h.tally.pass,
        h.tally.fail,
        h.tally.skip,
        h.tally.error,
        h.tally.known
    );
    let _ = write!(
        s,
        "<div class=\"kname\">{}</div><div class=\"variant\">{}</div>",
        esc(&title),
        esc(&sub)
    );
    let abi_class = match (h.expected_abi, h.abi) {
        (Some(e), Some(a)) if e != a => "abi wrong",
        _ if h.abi.is_none() => "abi none",
        _ => "abi",
    };
    let abi_title = match h.expected_abi {
        Some(e) => format!("expected ABI {e}"),
        None => String::new(),
    };
    let _ = write!(
        s,
        "<div class=\"facts\"><span class=\"{abi_class}\" title=\"{}\">{}</span>\
         <span class=\"errata\" title=\"errata bitmask\">errata {}</span></div>",
        esc(&abi_title),
        esc(&h.abi_text()),
        esc(&h.errata_text())
    );
    let _ = write!(
        s,
        "<div class=\"release\" title=\"{}\">{}</div>",
        esc(&h.packages.join(" ")),
        esc(h.release.as_deref().unwrap_or("release unknown"))
    );
    let mut meta = Vec::new();
    if let Some(b) = h.boot_seconds {
        meta.push(format!("boot {b:.1}&nbsp;s"));
    }
    if let Some(b) = &h.backend {
        meta.push(esc(b));
    }
    if !meta.is_empty() {
        let _ = write!(s, "<div class=\"meta\">{}</div>", meta.join(" · "));
    }
    s.push_str(&bar(&h.tally));
    s.push_str(&counts(&h.tally));
    if !h.problems.is_empty() {
        let _ = write!(
            s,
            "<div class=\"problem\" title=\"{}\">⚠ {} problem{}</div>",
            esc(&h.problems.join("\n")),
            h.problems.len(),
            if h.problems.len() == 1 { "" } else { "s" }
        );
    }
    s.push_str("</th>");
    s
}

fn cell_td(c: &Cell) -> String {
    let k = c.kind();
    let title = match c.detail() {
        Some(d) if !d.is_empty() => format!("{}: {}", k.word(), d),
        _ => k.word().to_string(),
    };
    format!(
        "<td class=\"{}\" title=\"{}\">{}</td>",
        class(k),
        esc(&title),
        k.symbol()
    )
}

fn group_tally_cells(m: &Matrix, rows: &[usize]) -> String {
    let mut s = String::new();
    for c in 0..m.heads.len() {
        let mut t = Tally::default();
        for &r in rows {
            t.add(m.rows[r].cells[c].kind());
        }
        let mut parts = Vec::new();
        if t.fail + t.error > 0 {
            parts.push(format!("<b class=\"tf\">✗{}</b>", t.fail + t.error));
        }
        if t.known > 0 {
            parts.push(format!("<span class=\"tk\">⊗{}</span>", t.known));
        }
        if t.pass > 0 {
            parts.push(format!("<span class=\"tp\">✓{}</span>", t.pass));
        }
        if t.skip > 0 {
            parts.push(format!("<span class=\"ts\">○{}</span>", t.skip));
        }
        let _ = write!(s, "<td class=\"g\">{}</td>", parts.join(" "));
    }
    s
}

/// Per target, the known bugs it showed and the errata fixes it lacks,
/// each with its fix: the first thing a maintainer should read.
fn known_section(m: &Matrix) -> String {
    let targets = m.known_by_target();
    if targets.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<section class=\"known\" id=\"known\"><h2>Known kernel bugs and missing fixes</h2><ul>",
    );
    for (h, issues) in targets {
        let names: Vec<String> = issues.iter().map(|k| esc(&k.short())).collect();
        let _ = write!(
            s,
            "<li><b>{}</b>{}: {}</li>",
            esc(&h.id),
            h.release
                .as_deref()
                .map(|r| format!(" <span class=\"release\">{}</span>", esc(r)))
                .unwrap_or_default(),
            names.join(" · ")
        );
    }
    s.push_str("</ul><dl>");
    for k in m.known_issues() {
        let _ = write!(
            s,
            "<dt>{}</dt><dd>{}</dd>",
            esc(&k.short()),
            esc(&k.details())
        );
    }
    s.push_str("</dl></section>\n");
    s
}

pub fn render(m: &Matrix, page: &Page) -> String {
    let mut total = Tally::default();
    for h in &m.heads {
        total.add_tally(&h.tally);
    }
    let failing_rows = m.rows.iter().filter(|r| r.has_failure()).count();
    let differing_rows = m.rows.iter().filter(|r| r.differs()).count();
    let bad_cols = m
        .heads
        .iter()
        .filter(|h| !h.problems.is_empty() || !h.tally.is_clean())
        .count();

    let mut o = String::with_capacity(64 * 1024 + m.rows.len() * m.heads.len() * 40);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<title>llconf report</title>\n<style>");
    o.push_str(CSS);
    o.push_str("</style></head><body>\n");
    let verdict = if bad_cols == 0 && total.fail + total.error == 0 && total.known == 0 {
        "<span class=\"verdict ok\">all conformant</span>"
    } else if bad_cols == 0 && total.fail + total.error == 0 {
        "<span class=\"verdict known\">conformant but for known kernel bugs</span>"
    } else {
        "<span class=\"verdict bad\">failures</span>"
    };
    let _ = write!(
        o,
        "<header><h1>llconf <span class=\"thin\">Landlock conformance</span> {verdict}</h1>\
         <p class=\"sub\">{}{}</p>",
        esc(&page.source),
        if page.generated.is_empty() {
            String::new()
        } else {
            format!(" · {}", esc(&page.generated))
        }
    );
    let _ = write!(
        o,
        "<div class=\"stats\" id=\"stats\" data-tests=\"{}\" data-columns=\"{}\" \
         data-failing=\"{failing_rows}\" data-differing=\"{differing_rows}\">\
         <div class=\"stat\"><b>{}</b> targets</div>\
         <div class=\"stat\"><b>{}</b> tests</div>\
         <div class=\"stat tp\"><b>{}</b> passed</div>\
         <div class=\"stat tf\"><b>{}</b> failed</div>\
         <div class=\"stat te\"><b>{}</b> errors</div>\
         <div class=\"stat tk\"><b>{}</b> known failures</div>\
         <div class=\"stat ts\"><b>{}</b> skipped</div>\
         <div class=\"stat\"><b>{differing_rows}</b> differ between targets</div></div>",
        m.rows.len(),
        m.heads.len(),
        m.heads.len(),
        m.rows.len(),
        total.pass,
        total.fail,
        total.error,
        total.known,
        total.skip
    );
    o.push_str(&known_section(m));
    o.push_str(
        "<div class=\"toolbar\">\
         <label><input type=\"checkbox\" id=\"only-failures\"> only failures</label>\
         <label><input type=\"checkbox\" id=\"only-differences\"> only differences between columns</label>\
         <label><input type=\"checkbox\" id=\"only-verdicts\"> only different verdicts among targets that ran the test</label>\
         <input type=\"search\" id=\"name-filter\" placeholder=\"filter by test name\">\
         <span class=\"shown\">showing <b id=\"shown\">",
    );
    let _ = write!(
        o,
        "{}</b> of <b id=\"total\">{}</b> tests</span>",
        m.rows.len(),
        m.rows.len()
    );
    o.push_str(
        "<span class=\"legend\"><i class=\"p\">✓</i> pass <i class=\"f\">✗</i> fail \
         <i class=\"e\">⚠</i> error <i class=\"k\">⊗</i> known failure \
         <i class=\"s\">○</i> skip (hover for the reason) \
         <i class=\"a\">·</i> not in this run <i class=\"dm\"></i> differs between columns</span></div></header>\n",
    );

    o.push_str("<main><table id=\"matrix\"><thead><tr><th class=\"corner\">test</th>");
    for (i, h) in m.heads.iter().enumerate() {
        o.push_str(&head_cell(h, i));
    }
    o.push_str("</tr></thead>\n");

    // One tbody per suite: a suite row, then fixture rows and test rows.
    let mut i = 0;
    while i < m.rows.len() {
        let suite = &m.rows[i].suite;
        let end = (i..m.rows.len())
            .find(|&j| &m.rows[j].suite != suite)
            .unwrap_or(m.rows.len());
        let all: Vec<usize> = (i..end).collect();
        let _ = writeln!(
            o,
            "<tbody class=\"suite\" data-suite=\"{}\"><tr class=\"sh\"><th>\
             <span class=\"tw\">▾</span> {} <span class=\"n\">{} tests</span></th>{}</tr>",
            esc(suite),
            esc(suite),
            all.len(),
            group_tally_cells(m, &all)
        );
        let mut j = i;
        while j < end {
            let fixture = &m.rows[j].fixture;
            let fend = (j..end)
                .find(|&k| &m.rows[k].fixture != fixture)
                .unwrap_or(end);
            let rows: Vec<usize> = (j..fend).collect();
            let _ = writeln!(
                o,
                "<tr class=\"fh\"><th>{}</th>{}</tr>",
                esc(if fixture.is_empty() {
                    "(suite)"
                } else {
                    fixture
                }),
                group_tally_cells(m, &rows)
            );
            for r in &m.rows[j..fend] {
                let _ = write!(
                    o,
                    "<tr class=\"t\" data-f=\"{}\" data-d=\"{}\" data-v=\"{}\"><th title=\"{}\">{}</th>",
                    u8::from(r.has_failure()),
                    u8::from(r.differs()),
                    u8::from(r.differs_in_verdict()),
                    esc(&r.name),
                    esc(&r.case)
                );
                for c in &r.cells {
                    o.push_str(&cell_td(c));
                }
                o.push_str("</tr>\n");
            }
            j = fend;
        }
        o.push_str("</tbody>\n");
        i = end;
    }
    o.push_str("</table>\n<p id=\"empty\" hidden>No test matches these filters.</p>");
    o.push_str(&why_section(m, page));
    // A clicked cell's reason and evidence, shown without hovering.
    o.push_str("<div id=\"detail\" hidden><button id=\"detail-close\">×</button><div id=\"detail-text\"></div></div></main>\n");
    let links: Vec<String> = m
        .heads
        .iter()
        .map(|h| {
            let dir = h.dir.as_ref().map(|d| href(d, page.base.as_deref()));
            serde_json::to_string(&dir).unwrap_or_else(|_| "null".into())
        })
        .collect();
    let _ = write!(
        o,
        "<script>var LLCONF_DIRS=[{}];</script>\n<script>",
        links.join(",").replace("</", "<\\/")
    );
    o.push_str(JS);
    o.push_str("</script></body></html>\n");
    o
}

const CSS: &str = r#"
:root{--k:#8250df;--p:#1a7f37;--pb:#dafbe1;--f:#cf222e;--fb:#ffebe9;--s:#6e7781;--sb:#f0f2f4;--e:#9a6700;--eb:#fff1c2;--line:#d8dee4;--bg:#f6f8fa;--ink:#1f2328;--muted:#59636e;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;color:var(--ink);background:#fff}
header{padding:18px 24px 10px;background:linear-gradient(180deg,#f6f8fa,#fff);border-bottom:1px solid var(--line)}
h1{margin:0;font-size:22px;font-weight:650;display:flex;align-items:center;gap:10px}
h1 .thin{font-weight:400;color:var(--muted)}
.verdict{font-size:12px;font-weight:600;padding:2px 10px;border-radius:999px;text-transform:uppercase;letter-spacing:.04em}
.verdict.ok{background:var(--pb);color:var(--p)}.verdict.bad{background:var(--fb);color:var(--f)}
.sub{margin:4px 0 10px;color:var(--muted);font-size:12.5px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
.stat{background:#fff;border:1px solid var(--line);border-radius:8px;padding:4px 12px;color:var(--muted)}
.stat b{color:var(--ink);font-size:16px;margin-right:3px}
.stat.tk b{color:var(--k)}.tk{color:var(--k)}td.k{color:#fff;background:var(--k);cursor:help}.legend i.k{color:#fff;background:var(--k)}.bar span.k{background:var(--k)}.verdict.known{background:var(--k);color:#fff}
section#why{margin:1em 0}section#why h2{font-size:1em}table.why{border-collapse:collapse;font-size:13px}table.why td,table.why th{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}table.why td.reason{white-space:pre-wrap;max-width:60em}table.why tr.f td:nth-child(3){color:var(--f);font-weight:700}table.why tr.e td:nth-child(3){color:var(--e);font-weight:700}table.why tr.k td:nth-child(3){color:var(--k);font-weight:700}
#detail{position:fixed;bottom:0;left:0;right:0;max-height:40vh;overflow:auto;background:#fff;border-top:3px solid var(--accent);padding:8px 16px;box-shadow:0 -2px 8px rgba(0,0,0,.15)}#detail pre{white-space:pre-wrap}#detail-close{float:right;font-size:18px;border:0;background:none;cursor:pointer}#detail a{margin-right:1em}
td[title]{cursor:pointer}
section.known{margin:.5em 0;padding:.4em 1em;border-left:4px solid var(--k);background:#fbefff}section.known h2{font-size:1em;margin:.2em 0}section.known .release{color:#57606a;font-weight:400}section.known dt{font-weight:700;margin-top:.3em}section.known dd{margin-left:1.5em}
.stat.tp b{color:var(--p)}.stat.tf b{color:var(--f)}.stat.te b{color:var(--e)}.stat.ts b{color:var(--s)}
.toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:14px 18px}
.toolbar label{cursor:pointer;user-select:none;background:#fff;border:1px solid var(--line);border-radius:6px;padding:3px 10px}
.toolbar label:has(input:checked){border-color:var(--accent);background:#ddf4ff}
.toolbar input[type=search]{border:1px solid var(--line);border-radius:6px;padding:4px 8px;min-width:220px;font:inherit}
.shown{color:var(--muted)}.shown b{color:var(--ink)}
.legend{color:var(--muted);font-size:12.5px}
.legend i{font-style:normal;display:inline-block;width:20px;text-align:center;border-radius:4px;margin-left:6px}
main{padding:0 0 40px}
table{border-collapse:separate;border-spacing:0}
thead th{position:sticky;top:0;z-index:2;background:#fff;border-bottom:2px solid var(--line);vertical-align:bottom}
th.corner{left:0;z-index:3;text-align:left;padding:8px 24px;color:var(--muted);font-weight:500;min-width:300px}
th.col{min-width:138px;max-width:160px;padding:10px 8px 8px;text-align:left;font-weight:400;border-left:1px solid var(--line)}
th.col.bad{background:#fff8f8}
.kname{font-weight:650;font-size:14.5px}
.variant{color:var(--muted);font-size:12px;margin-top:-2px}
.facts{margin:5px 0 2px;display:flex;gap:4px;flex-wrap:nowrap;white-space:nowrap}
.abi{background:#ddf4ff;color:#0550ae;border-radius:4px;padding:0 6px;font-weight:600;font-size:12px}
.abi.wrong{background:var(--fb);color:var(--f)}.abi.none{background:var(--sb);color:var(--s)}
.errata{background:var(--sb);color:var(--muted);border-radius:4px;padding:0 6px;font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace}
.release{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:11px;color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.meta{font-size:11.5px;color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.bar{display:flex;height:8px;border-radius:4px;overflow:hidden;background:var(--sb);margin:6px 0 3px}
.bar span.p{background:var(--p)}.bar span.f{background:var(--f)}.bar span.e{background:#d4a72c}.bar span.s{background:#afb8c1}
.counts{font-size:12px;white-space:nowrap}.counts b{font-weight:600}
.tp{color:var(--p)}.tf{color:var(--f)}.te{color:var(--e)}.ts{color:var(--s)}
.problem{margin-top:3px;font-size:11.5px;color:var(--f);cursor:help}
tbody th{position:sticky;left:0;z-index:1;background:#fff;text-align:left;font-weight:400;padding:2px 12px 2px 40px;white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12.5px;border-right:1px solid var(--line)}
tr.sh th,tr.sh td{background:#eef1f4;border-top:1px solid var(--line);border-bottom:1px solid var(--line)}
tr.sh th{padding:7px 12px;font-family:inherit;font-size:15px;font-weight:650;cursor:pointer}
tr.sh .n{font-weight:400;color:var(--muted);font-size:12px;margin-left:6px}
tr.sh .tw{display:inline-block;width:14px;color:var(--muted);transition:transform .15s}
tbody.collapsed tr.sh .tw{transform:rotate(-90deg)}
tbody.collapsed tr:not(.sh){display:none}
tr.fh th{padding:6px 12px 2px 24px;color:var(--muted);font-weight:600;font-size:12px}
tr.fh td{padding-top:6px}
td{text-align:center;padding:1px 4px;border-left:1px solid #eef1f4;font-size:13px}
td.g{font-size:11.5px;color:var(--muted)}
tr.sh td.g{font-size:12px}
td.p{color:var(--p);background:var(--pb)}
td.f{color:#fff;background:var(--f);font-weight:700}
td.e{color:#7d4e00;background:var(--eb);font-weight:700}
td.s{color:var(--s);background:var(--sb);cursor:help}
td.a{color:#c5ccd3}
tr.t:hover th,tr.t:hover td{filter:brightness(.94)}
tr.t:hover th{background:#f6f8fa}
tr.t[data-d="1"] th{box-shadow:inset 3px 0 0 #54aeff}
tr.t[data-f="1"] th{box-shadow:inset 3px 0 0 var(--f)}
.legend i.p{color:var(--p);background:var(--pb)}.legend i.f{color:#fff;background:var(--f)}.legend i.e{color:#7d4e00;background:var(--eb)}.legend i.s{color:var(--s);background:var(--sb)}.legend i.a{color:#8c959f}.legend i.dm{width:3px;height:13px;background:#54aeff;border-radius:0;vertical-align:-2px}
#empty{padding:24px;color:var(--muted)}
"#;

const JS: &str = r#"
(function(){
  var onlyF=document.getElementById('only-failures'),onlyD=document.getElementById('only-differences'),
      onlyV=document.getElementById('only-verdicts'),
      name=document.getElementById('name-filter'),shown=document.getElementById('shown'),
      empty=document.getElementById('empty');
  var frag=(location.hash||'').slice(1).split(',');
  if(frag.indexOf('failures')>=0)onlyF.checked=true;
  if(frag.indexOf('differences')>=0)onlyD.checked=true;
  if(frag.indexOf('verdicts')>=0)onlyV.checked=true;
  function apply(){
    var f=onlyF.checked,d=onlyD.checked,v=onlyV.checked,q=name.value.trim().toLowerCase(),n=0;
    document.querySelectorAll('tbody.suite').forEach(function(tb){
      var fh=null,fhShow=false,any=false;
      function closeFixture(){if(fh)fh.hidden=!fhShow;}
      tb.querySelectorAll('tr').forEach(function(tr){
        if(tr.classList.contains('sh'))return;
        if(tr.classList.contains('fh')){closeFixture();fh=tr;fhShow=false;return;}
        var show=(!f||tr.dataset.f==='1')&&(!d||tr.dataset.d==='1')&&(!v||tr.dataset.v==='1')&&
          (!q||tr.firstChild.title.toLowerCase().indexOf(q)>=0);
        tr.hidden=!show;
        if(show){n++;fhShow=true;any=true;}
      });
      closeFixture();
      tb.hidden=!any;
    });
    shown.textContent=n;
    empty.hidden=n>0;
    document.body.dataset.shown=n;
  }
  onlyF.addEventListener('change',apply);
  onlyD.addEventListener('change',apply);
  onlyV.addEventListener('change',apply);
  var box=document.getElementById('detail'),boxText=document.getElementById('detail-text');
  document.getElementById('detail-close').addEventListener('click',function(){box.hidden=true;});
  document.querySelectorAll('tr.t td').forEach(function(td){
    td.addEventListener('click',function(){
      var tr=td.parentNode,test=tr.firstChild.title,col=td.cellIndex-1;
      var head=document.querySelectorAll('thead th[data-col]')[col];
      var suite=test.split('::')[0],dir=LLCONF_DIRS[col];
      boxText.textContent='';
      var h=document.createElement('b');h.textContent=test+' on '+(head?head.querySelector('.kname').textContent+' '+head.querySelector('.variant').textContent:'');
      var p=document.createElement('pre');p.textContent=td.title;
      boxText.appendChild(h);boxText.appendChild(p);
      if(dir!==null){
        [[suite+' log',dir+'/logs/'+suite+'.log'],['console',dir+'/console.log'],['dmesg',dir+'/dmesg.txt']].forEach(function(l){
          var a=document.createElement('a');a.href=l[1];a.textContent=l[0];boxText.appendChild(a);boxText.appendChild(document.createTextNode(' '));
        });
      }
      box.hidden=false;
    });
  });
  name.addEventListener('input',apply);
  document.querySelectorAll('tr.sh').forEach(function(tr){
    tr.addEventListener('click',function(){tr.parentNode.classList.toggle('collapsed');});
  });
  apply();
})();
"#;
