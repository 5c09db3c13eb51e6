//! `gauntlet timing-test`: is an RSA key exchange server a Bleichenbacher
//! timing oracle (Marvin, 2023)? Probes of each malformed-premaster class
//! (the ROBOT classes of [`crate::peer::robot`]) are sent in blocks, one
//! probe of every class per block in a random order, and the time from
//! writing the ClientKeyExchange/CCS/Finished flight to the server's first
//! answer byte (or close) is read with a monotonic clock at the socket.
//! [`stats`] compares every pair of classes on the same blocks (sign test,
//! Wilcoxon signed-rank, bootstrap interval of the median difference);
//! the verdict is "distinguishable" when any pair differs at the
//! family-wise level `alpha` (Bonferroni over all pairs and both tests).
//!
//! Bounds: at most [`MAX_BLOCKS`] blocks and `max_time`; every wait has the
//! probe timeout. The CSV of raw times is appended as the run goes, and a
//! run given an existing CSV continues after its last block (resumable).

pub mod leaky;
pub mod stats;

use crate::peer::client::PremasterBug;
use crate::peer::step::{Action, Got, Peer, Role};
use crate::peer::HsMsg;
use gauntlet_engine::enums::HandshakeType;
use gauntlet_engine::Provider;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// Blocks per run (each block is one probe per class).
pub const MAX_BLOCKS: u64 = 200_000;
/// Bytes read per probe before the flight (a server's first flight).
const MAX_FLIGHT: usize = 256 * 1024;

/// The probe classes: the RSA key exchange suite's first nine
/// (`suites::rsa_kx::CLASSES`: the reference, a well-formed premaster the
/// server cannot know, then each padding and plaintext malformation; the
/// public-length ciphertext cases are left out, since a server may answer
/// them at once without leaking anything).
pub const CLASSES: &[(&str, PremasterBug)] =
    crate::suites::rsa_kx::CLASSES.as_slice().split_at(9).0;

/// One measured probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub block: u64,
    pub class: usize,
    pub nanos: u64,
    /// What the server answered: an alert, `close`, `reset`.
    pub response: String,
}

/// One probe: a handshake up to ServerHelloDone, then the malformed flight
/// in one write; the time until the first answer.
pub fn probe(
    addr: SocketAddr,
    bug: PremasterBug,
    timeout: Duration,
    seed: [u8; 32],
) -> Result<(Duration, String), String> {
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut peer = Peer::new(Role::Client, 0);
    peer.rng = Provider::from_seed(seed);
    let step = |peer: &mut Peer, a: Action| peer.act(&a).map_err(|e| e.to_string());
    step(&mut peer, Action::PremasterBug(Some(bug)))?;
    let hello = step(&mut peer, Action::Send(HsMsg::ClientHello))?;
    s.write_all(&hello).map_err(|e| format!("write: {e}"))?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut read = 0usize;
    let deadline = Instant::now() + timeout;
    'flight: loop {
        if Instant::now() > deadline || read > MAX_FLIGHT {
            return Err("no ServerHelloDone in time".into());
        }
        let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the server closed before ServerHelloDone".into());
        }
        read += n;
        for got in peer.read(&buf[..n]) {
            match got {
                Got::Handshake(m) if m.typ == HandshakeType::ServerHelloDone => break 'flight,
                Got::Alert(_, d) => {
                    return Err(format!("the server sent {d:?} before ServerHelloDone"))
                }
                Got::Unreadable(e) => return Err(format!("unreadable server flight: {e}")),
                _ => {}
            }
        }
    }
    let mut flight = step(&mut peer, Action::Send(HsMsg::ClientKeyExchange))?;
    flight.extend(step(&mut peer, Action::ChangeCipherSpec)?);
    flight.extend(step(&mut peer, Action::Send(HsMsg::Finished))?);
    s.write_all(&flight).map_err(|e| format!("write: {e}"))?;
    let t0 = Instant::now();
    let answer = s.read(&mut buf);
    let elapsed = t0.elapsed();
    let response = match answer {
        Ok(0) => "close".to_string(),
        Ok(n) => match peer.read(&buf[..n]).into_iter().next() {
            Some(Got::Alert(level, d)) => format!("{level:?} {d:?}"),
            Some(Got::Ccs) => "ChangeCipherSpec".into(),
            Some(other) => format!("{other:?}").chars().take(40).collect(),
            None => "partial record".into(),
        },
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "reset".into(),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Err(format!("no answer within {timeout:?}"))
        }
        Err(e) => format!("error {}", e.kind()),
    };
    Ok((elapsed, response))
}

/// Reads a CSV written by [`run`] (header `block,class,nanos,response`).
pub fn read_csv(text: &str) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        let bad = || format!("line {}: not block,class,nanos,response", i + 1);
        let mut f = line.splitn(4, ',');
        let block = f.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let name = f.next().ok_or_else(bad)?;
        let class = CLASSES
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| format!("line {}: unknown class {name:?}", i + 1))?;
        let nanos = f.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let response = f.next().ok_or_else(bad)?.to_string();
        out.push(Sample {
            block,
            class,
            nanos,
            response,
        });
    }
    Ok(out)
}

/// The CSV header.
pub const CSV_HEADER: &str = "block,class,nanos,response\n";

fn csv_line(s: &Sample) -> String {
    format!(
        "{},{},{},{}\n",
        s.block,
        CLASSES[s.class].0,
        s.nanos,
        s.response.replace(['\n', ','], " ")
    )
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    pub addr: SocketAddr,
    pub blocks: u64,
    pub max_time: Duration,
    pub timeout: Duration,
    pub seed: u64,
}

/// Runs blocks until `blocks` (counting those already in `samples`) or
/// `max_time`; appends each block's lines to `csv`. A probe that fails is
/// retried once; a block with a failed probe is dropped whole, so pairs
/// stay paired. Returns the probes that failed, with why.
pub fn run(
    opts: &Options,
    samples: &mut Vec<Sample>,
    csv: &mut dyn Write,
    on_block: &dyn Fn(u64),
) -> Vec<String> {
    let start = Instant::now();
    let mut failures = Vec::new();
    let first = samples.iter().map(|s| s.block + 1).max().unwrap_or(0);
    let mut rng = Provider::from_seed({
        let mut seed = [0x71u8; 32];
        seed[..8].copy_from_slice(&opts.seed.to_be_bytes());
        seed[8..16].copy_from_slice(&first.to_be_bytes());
        seed
    });
    let last = opts.blocks.min(MAX_BLOCKS);
    for block in first..last {
        if start.elapsed() > opts.max_time {
            break;
        }
        // Fisher-Yates over the classes.
        let mut order: Vec<usize> = (0..CLASSES.len()).collect();
        for i in (1..order.len()).rev() {
            let j = (u64::from_be_bytes(rng.array()) % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let mut got = Vec::with_capacity(order.len());
        for &class in &order {
            let mut result = Err(String::new());
            for _ in 0..2 {
                result = probe(opts.addr, CLASSES[class].1, opts.timeout, rng.array());
                if result.is_ok() {
                    break;
                }
            }
            match result {
                Ok((t, response)) => got.push(Sample {
                    block,
                    class,
                    nanos: u64::try_from(t.as_nanos()).unwrap_or(u64::MAX),
                    response,
                }),
                Err(e) => {
                    if failures.len() < 100 {
                        failures.push(format!("block {block} {}: {e}", CLASSES[class].0));
                    }
                    got.clear();
                    break;
                }
            }
        }
        if got.len() == CLASSES.len() {
            let text: String = got.iter().map(csv_line).collect();
            if csv.write_all(text.as_bytes()).is_err() {
                failures.push("writing the CSV failed".into());
                break;
            }
            samples.extend(got);
        }
        on_block(block);
    }
    failures
}

/// One pair of classes compared.
#[derive(Debug, Clone)]
pub struct PairResult {
    pub a: usize,
    pub b: usize,
    pub n: usize,
    pub sign_p: f64,
    pub wilcoxon_p: f64,
    /// Median of (a - b) in ns, and its bootstrap 95% interval.
    pub median_ns: f64,
    pub ci_ns: (f64, f64),
}

/// The analysis of a run.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub blocks: usize,
    pub pairs: Vec<PairResult>,
    pub alpha: f64,
    pub distinguishable: bool,
    /// The widest half-width of the pairs' 95% intervals: differences of
    /// the median smaller than this could go unseen in this run.
    pub resolution_ns: f64,
    /// Per class: the responses seen and how often.
    pub responses: Vec<Vec<(String, usize)>>,
}

/// Bootstrap resamples per pair, and the most differences each uses.
const BOOTSTRAP_ROUNDS: usize = 400;
const BOOTSTRAP_MAX_N: usize = 20_000;

/// Compares every pair of classes over the blocks that have both.
pub fn analyse(samples: &[Sample], alpha: f64) -> Analysis {
    let k = CLASSES.len();
    let mut by_block: std::collections::BTreeMap<u64, Vec<Option<u64>>> = Default::default();
    let mut responses: Vec<std::collections::BTreeMap<String, usize>> = vec![Default::default(); k];
    for s in samples {
        by_block.entry(s.block).or_insert_with(|| vec![None; k])[s.class] = Some(s.nanos);
        *responses[s.class].entry(s.response.clone()).or_default() += 1;
    }
    let mut rng = Provider::from_seed([0x33; 32]);
    let mut pairs = Vec::new();
    for a in 0..k {
        for b in a + 1..k {
            let diffs: Vec<f64> = by_block
                .values()
                .filter_map(|v| Some(v[a]? as f64 - v[b]? as f64))
                .collect();
            let pos = diffs.iter().filter(|d| **d > 0.0).count();
            let neg = diffs.iter().filter(|d| **d < 0.0).count();
            let boot = &diffs[..diffs.len().min(BOOTSTRAP_MAX_N)];
            pairs.push(PairResult {
                a,
                b,
                n: diffs.len(),
                sign_p: stats::sign_test(pos, neg),
                wilcoxon_p: stats::wilcoxon(&diffs),
                median_ns: stats::median(&diffs),
                ci_ns: stats::bootstrap_median_ci(boot, BOOTSTRAP_ROUNDS, 0.95, &mut rng),
            });
        }
    }
    let tests = (2 * pairs.len()).max(1) as f64;
    let distinguishable = pairs
        .iter()
        .any(|p| p.sign_p < alpha / tests || p.wilcoxon_p < alpha / tests);
    let resolution_ns = pairs
        .iter()
        .map(|p| (p.ci_ns.1 - p.ci_ns.0) / 2.0)
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max);
    Analysis {
        blocks: by_block.len(),
        pairs,
        alpha,
        distinguishable,
        resolution_ns,
        responses: responses
            .into_iter()
            .map(|m| m.into_iter().collect())
            .collect(),
    }
}

/// The summary a person reads.
pub fn render(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} blocks x {} classes; family-wise alpha {} (Bonferroni over {} pairs x 2 tests)",
        a.blocks,
        CLASSES.len(),
        a.alpha,
        a.pairs.len()
    );
    for (i, r) in a.responses.iter().enumerate() {
        let list: Vec<String> = r.iter().map(|(k, v)| format!("{k} x{v}")).collect();
        let _ = writeln!(out, "  {:<17} answers: {}", CLASSES[i].0, list.join(", "));
    }
    let _ = writeln!(out, "  pair                                 n   sign p    wilcoxon p  median(a-b) ns  95% CI ns");
    let tests = (2 * a.pairs.len()).max(1) as f64;
    for p in &a.pairs {
        let mark = if p.sign_p < a.alpha / tests || p.wilcoxon_p < a.alpha / tests {
            " *"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:<16} - {:<16} {:>6}  {:>9.2e}  {:>9.2e}  {:>12.0}  [{:.0}, {:.0}]{mark}",
            CLASSES[p.a].0,
            CLASSES[p.b].0,
            p.n,
            p.sign_p,
            p.wilcoxon_p,
            p.median_ns,
            p.ci_ns.0,
            p.ci_ns.1
        );
    }
    let _ = writeln!(
        out,
        "verdict: {} (smallest median difference this run resolves: about {:.0} ns)",
        if a.distinguishable {
            "DISTINGUISHABLE: the server's timing depends on the premaster's padding (a timing oracle)"
        } else {
            "not distinguishable at this alpha"
        },
        a.resolution_ns
    );
    out
}

/// An SVG plot: the empirical CDF of each class's times (1st-99th
/// percentile range), the first thing to look at.
pub fn plot_svg(samples: &[Sample], path: &Path) -> Result<(), String> {
    use plotters::prelude::*;
    let k = CLASSES.len();
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); k];
    for s in samples {
        per[s.class].push(s.nanos as f64 / 1000.0);
    }
    for v in &mut per {
        v.sort_by(f64::total_cmp);
    }
    let mut all: Vec<f64> = per.iter().flatten().copied().collect();
    if all.is_empty() {
        return Err("no samples to plot".into());
    }
    all.sort_by(f64::total_cmp);
    let lo = all[all.len() / 100];
    let hi = all[(all.len() * 99 / 100).min(all.len() - 1)].max(lo + 1.0);
    let root = SVGBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "time to first answer after the ClientKeyExchange flight (ECDF per class)",
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(lo..hi, 0.0..1.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("microseconds")
        .y_desc("fraction of probes")
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, v) in per.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let n = v.len() as f64;
        let color = Palette99::pick(i).to_rgba();
        let step = (v.len() / 2000).max(1);
        let points = v
            .iter()
            .enumerate()
            .step_by(step)
            .map(|(j, x)| (x.clamp(lo, hi), (j + 1) as f64 / n));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(CLASSES[i].0)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
