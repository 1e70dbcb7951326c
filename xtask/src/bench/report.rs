//! The benchmark report: the table, the machine description and the dated section appended to
//! `docs/benchmarks.md`.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// What one side of a case measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Wall time of the whole process, seconds.
    pub wall_s: f64,
    /// Peak resident set size, KiB.
    pub max_rss_kib: u64,
    /// The side's quality figure, already formatted.
    pub quality: String,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Task and variant, e.g. `simulate criteo`.
    pub task: String,
    /// Problem size, e.g. `1,000,000 customers`.
    pub size: String,
    /// Our `tp` binary.
    pub ours: Measured,
    /// The Python peer, when the case has one.
    pub peer: Option<Measured>,
}

const HEADINGS: [&str; 9] = [
    "task",
    "size",
    "ours",
    "peer",
    "peer/ours",
    "ours peak RSS",
    "peer peak RSS",
    "ours quality",
    "peer quality",
];

/// Shown where a case has no peer.
pub const NONE: &str = "—";

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds with a precision that suits their size.
pub fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else if s < 100.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.0} s")
    }
}

/// KiB as MiB or GiB.
pub fn memory(kib: u64) -> String {
    let mib = kib as f64 / 1024.0;
    if mib < 1024.0 { format!("{mib:.0} MiB") } else { format!("{:.2} GiB", mib / 1024.0) }
}

/// How many times longer the peer took than we did.
pub fn ratio(peer_s: f64, ours_s: f64) -> String {
    if ours_s <= 0.0 { NONE.to_string() } else { format!("{:.1}×", peer_s / ours_s) }
}

fn cells(row: &Row) -> [String; 9] {
    let peer = row.peer.as_ref();
    [
        row.task.clone(),
        row.size.clone(),
        seconds(row.ours.wall_s),
        peer.map_or(NONE.into(), |p| seconds(p.wall_s)),
        peer.map_or(NONE.into(), |p| ratio(p.wall_s, row.ours.wall_s)),
        memory(row.ours.max_rss_kib),
        peer.map_or(NONE.into(), |p| memory(p.max_rss_kib)),
        row.ours.quality.clone(),
        peer.map_or(NONE.into(), |p| p.quality.clone()),
    ]
}

/// A Markdown table with padded columns (readable in a terminal and in the docs).
pub fn table(rows: &[Row]) -> String {
    let body: Vec<[String; 9]> = rows.iter().map(cells).collect();
    let mut widths: Vec<usize> = HEADINGS.iter().map(|h| h.chars().count()).collect();
    for line in &body {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = String>| {
        out.push('|');
        for (cell, w) in cells.zip(&widths) {
            let pad = w - cell.chars().count();
            let _ = write!(out, " {cell}{} |", " ".repeat(pad));
        }
        out.push('\n');
    };
    line(&mut HEADINGS.iter().map(|h| h.to_string()));
    line(&mut widths.iter().map(|w| "-".repeat(*w)));
    for cells in body {
        line(&mut cells.into_iter());
    }
    out
}

/// The machine, as `nproc`, CPU model and RAM.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    machine_from(cores, &cpuinfo, &meminfo)
}

fn machine_from(cores: usize, cpuinfo: &str, meminfo: &str) -> String {
    let field = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let cpu = field(cpuinfo, "model name").unwrap_or_else(|| "unknown CPU".into());
    let ram = field(meminfo, "MemTotal")
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(|| "unknown RAM".into(), |kib| format!("{} RAM", memory(kib)));
    format!("{cores} cores (nproc), {cpu}, {ram}")
}

/// How busy the machine was just before the run: cores busy during one second (from /proc/stat)
/// and the 1-minute load average, with a warning when other work shared the cores (it inflates
/// wall times on both sides).
pub fn load() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let stat = || std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let before = stat();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let after = stat();
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load_from(busy_cores(&before, &after, cores), &loadavg, cores)
}

/// `(busy, total)` jiffies of the aggregate `cpu` line.
fn cpu_jiffies(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    if v.len() < 5 {
        return None;
    }
    let total: u64 = v.iter().take(8).sum();
    Some((total - v[3] - v[4], total))
}

fn busy_cores(before: &str, after: &str, cores: usize) -> Option<f64> {
    let ((b0, t0), (b1, t1)) = (cpu_jiffies(before)?, cpu_jiffies(after)?);
    (t1 > t0).then(|| (b1.saturating_sub(b0)) as f64 / (t1 - t0) as f64 * cores as f64)
}

fn load_from(busy: Option<f64>, loadavg: &str, cores: usize) -> String {
    let avg = loadavg.split_whitespace().next().and_then(|v| v.parse::<f64>().ok());
    let mut out = match busy {
        Some(b) => format!("{b:.1} of {cores} cores busy in the second before the run"),
        None => "cores busy: unknown".to_string(),
    };
    if let Some(a) = avg {
        out.push_str(&format!(", load average {a:.2}"));
    }
    if busy.is_some_and(|b| b > 0.5) || avg.is_some_and(|a| a > 0.5 * cores as f64) {
        out.push_str(" (busy machine: other work shared the cores, wall times are inflated)");
    }
    out
}

/// `(year, month, day)` of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the epoch.
pub fn utc(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Now, as [`utc`].
pub fn now() -> String {
    utc(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// What a run records besides the table.
pub struct Context<'a> {
    /// The exact command that produced the run.
    pub command: &'a str,
    /// [`now`] when the run started.
    pub date: &'a str,
    /// [`machine`].
    pub machine: &'a str,
    /// [`load`] just before the first case.
    pub load: &'a str,
    /// `git rev-parse --short HEAD`, with `-dirty` when the tree had changes.
    pub commit: &'a str,
    /// The interpreter the peers ran with, e.g. `Python 3.11.7`.
    pub python: &'a str,
    /// The pinned Python packages the peers ran with.
    pub peers: &'a [&'a str],
}

/// The dated section appended to `docs/benchmarks.md`.
pub fn section(ctx: &Context<'_>, rows: &[Row]) -> String {
    let peers = if ctx.peers.is_empty() { NONE.to_string() } else { ctx.peers.join(", ") };
    format!(
        "\n## {date}: `{command}`\n\n\
         - command: `{command}`\n\
         - machine: {machine}\n\
         - load: {load}\n\
         - commit: {commit}\n\
         - peers: {python}, {peers}\n\n\
         {table}",
        date = ctx.date,
        command = ctx.command,
        machine = ctx.machine,
        load = ctx.load,
        commit = ctx.commit,
        python = ctx.python,
        table = table(rows),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(peer: Option<Measured>) -> Row {
        Row {
            task: "simulate criteo".into(),
            size: "1,000,000 customers".into(),
            ours: Measured { wall_s: 0.5, max_rss_kib: 200 * 1024, quality: "treated 0.850".into() },
            peer,
        }
    }

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(seconds(0.123), "0.12 s");
        assert_eq!(seconds(12.34), "12.3 s");
        assert_eq!(seconds(123.4), "123 s");
        assert_eq!(memory(2048), "2 MiB");
        assert_eq!(memory(3 * 1024 * 1024 / 2), "1.50 GiB");
        assert_eq!(ratio(3.0, 0.5), "6.0×");
        assert_eq!(ratio(1.0, 0.0), NONE);
    }

    #[test]
    fn table_has_one_line_per_row_and_aligned_columns() {
        let peer = Measured { wall_s: 2.0, max_rss_kib: 1024 * 1024, quality: "treated 0.849".into() };
        let text = table(&[row(Some(peer)), row(None)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("| task"), "{text}");
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width), "{text}");
        assert!(lines[2].contains("4.0×") && lines[2].contains("1.00 GiB") && lines[2].contains("0.849"));
        // no peer: time, ratio, RSS and quality are dashes
        assert_eq!(lines[3].matches(NONE).count(), 4, "{}", lines[3]);
    }

    #[test]
    fn machine_reads_cpu_and_memory() {
        let cpu = "processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\n";
        let mem = "MemTotal:       24576000 kB\nMemFree: 1 kB\n";
        assert_eq!(machine_from(2, cpu, mem), "2 cores (nproc), Test CPU @ 2.0GHz, 23.44 GiB RAM");
        assert_eq!(machine_from(1, "", ""), "1 cores (nproc), unknown CPU, unknown RAM");
    }

    #[test]
    fn load_warns_when_the_machine_is_busy() {
        let before = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4 5\n";
        let after = "cpu  200 0 200 1000 0 0 0 0 0 0\ncpu0 1 2 3 4 5\n";
        // 200 busy of 400 jiffies on 2 cores: one core busy
        assert_eq!(busy_cores(before, after, 2), Some(1.0));
        assert_eq!(busy_cores(before, before, 2), None);
        let quiet = load_from(Some(0.05), "0.30 0.2 0.1 1/2 3", 2);
        assert_eq!(quiet, "0.1 of 2 cores busy in the second before the run, load average 0.30");
        assert!(load_from(Some(1.0), "0.30", 2).contains("busy machine"));
        assert!(load_from(Some(0.1), "7.10 7.00", 2).contains("busy machine"));
        assert_eq!(load_from(None, "", 2), "cores busy: unknown");
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_798_517_640), "2026-12-29 04:14 UTC");
    }

    #[test]
    fn section_records_command_machine_and_table() {
        let ctx = Context {
            command: "cargo xtask bench simulate --quick",
            date: "2026-11-29 05:00 UTC",
            machine: "2 cores (nproc), X, 1 GiB RAM",
            load: "0.10",
            commit: "abc1234",
            python: "Python 3.11.7",
            peers: &["numpy==2.4.6"],
        };
        let text = section(&ctx, &[row(None)]);
        assert!(text.starts_with("\n## 2026-11-29 05:00 UTC: `cargo xtask bench simulate --quick`"));
        for needle in ["2 cores (nproc)", "- load: 0.10", "abc1234", "numpy==2.4.6", "| simulate criteo"] {
            assert!(text.contains(needle), "missing {needle} in {text}");
        }
    }
}
