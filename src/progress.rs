//! What a run tells the person (or the cron mail) watching it: progress bars on a terminal,
//! plain timestamped lines otherwise. `NO_COLOR` turns colour off; `--quiet` keeps only problems
//! (and the end-of-run list of what is not alive); `--verbose` adds every request. Nothing here
//! panics on a closed stderr, and text from the web is made printable first.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::fetch::CheckResult;
use crate::model::State;
use crate::text::eprint_line;

/// The run's voice on stderr: progress bars on a terminal, timestamped lines otherwise, each
/// filtered by [`Verbosity`]. Shared by every stage of a run.
pub struct Progress {
    bars: Option<Bars>,
    verbosity: Verbosity,
    lines: Mutex<LineState>,
}

/// How much a run says while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Problems only.
    Quiet,
    /// Problems, failures as they are found, and what each stage did.
    Normal,
    /// Every request and its outcome as well.
    Verbose,
}

struct Bars {
    multi: MultiProgress,
    articles: ProgressBar,
    refs: ProgressBar,
    bytes: ProgressBar,
}

struct LineState {
    done: u64,
    total: u64,
    last_line: Instant,
}

impl Progress {
    /// Bars when stderr is a terminal (and not quiet), lines otherwise.
    pub fn new(verbosity: Verbosity) -> Progress {
        let bars =
            (verbosity > Verbosity::Quiet && std::io::stderr().is_terminal()).then(Bars::new);
        Progress {
            bars,
            verbosity,
            lines: Mutex::new(LineState {
                done: 0,
                total: 0,
                last_line: Instant::now(),
            }),
        }
    }

    /// A line for the log (above the bars on a terminal).
    pub fn say(&self, line: &str) {
        match &self.bars {
            Some(b) => b.multi.suspend(|| eprint_line(line)),
            None => eprint_line(&format!(
                "{} {line}",
                crate::clock::format(crate::clock::now())
            )),
        }
    }

    /// Many lines for the log at once (the end-of-run list of what is not alive): `produce`
    /// hands each to the sink it is given, and they are written as `say` writes them (one time
    /// for all), through one buffer rather than a write to stderr per line.
    pub fn say_each<E>(
        &self,
        produce: impl FnOnce(&mut dyn FnMut(&str)) -> Result<(), E>,
    ) -> Result<(), E> {
        use std::io::Write;
        let stamp = crate::clock::format(crate::clock::now());
        let write = || {
            let mut err = std::io::BufWriter::with_capacity(1 << 16, std::io::stderr().lock());
            let with_stamp = self.bars.is_none();
            // A closed stderr is ignored, as `say` ignores it.
            let r = produce(&mut |line: &str| {
                let line = crate::text::printable(line);
                let _ = if with_stamp {
                    writeln!(err, "{stamp} {line}")
                } else {
                    writeln!(err, "{line}")
                };
            });
            let _ = err.flush();
            r
        };
        match &self.bars {
            Some(b) => b.multi.suspend(write),
            None => write(),
        }
    }

    /// A line unless quiet.
    pub fn info(&self, line: &str) {
        if self.verbosity > Verbosity::Quiet {
            self.say(line);
        }
    }

    /// A line only when verbose.
    pub fn detail(&self, line: &str) {
        if self.verbosity >= Verbosity::Verbose {
            self.say(line);
        }
    }

    /// The verbosity it was made with.
    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// A failure, said once it is known to count (not while the network may be down).
    pub fn failure(&self, r: &CheckResult) {
        self.info(&format!("{}: {} — {}", r.state, r.reason.words(), r.url));
    }

    /// Sets the length of the articles bar: `n` articles to read.
    pub fn articles_total(&self, n: u64) {
        if let Some(b) = &self.bars {
            b.articles.set_length(n);
        }
    }

    /// One article read (advances the articles bar).
    pub fn article_done(&self) {
        if let Some(b) = &self.bars {
            b.articles.inc(1);
        }
    }

    /// `n` references are due to be checked: sets the references bar and says so unless quiet.
    pub fn refs_total(&self, n: u64) {
        if let Some(b) = &self.bars {
            b.refs.set_length(n);
        }
        if let Ok(mut l) = self.lines.lock() {
            l.total = n;
        }
        self.info(&format!("checking {n} references that are due"));
    }

    /// One reference checked: advances the bars, says a failure that counts (verbose: every
    /// check), and without bars a progress line every 10 seconds at most.
    pub fn ref_done(&self, r: &CheckResult) {
        if let Some(b) = &self.bars {
            b.refs.inc(1);
            b.bytes.inc(r.downloaded);
        }
        // A failure without any answer may be our own network's: said once that is settled.
        if r.state != State::Alive && !r.is_network_failure() {
            self.failure(r);
        } else if self.verbosity >= Verbosity::Verbose {
            let size = r
                .body
                .as_ref()
                .map(|b| format!(", {}", crate::units::format_size(b.bytes)))
                .unwrap_or_default();
            let status = r
                .http_status
                .map(|s| format!("HTTP {s} "))
                .unwrap_or_default();
            self.detail(&format!(
                "{} {}: {status}in {} ms ({} attempt(s){size}) {}",
                r.state, r.reason, r.elapsed_ms, r.attempts, r.url
            ));
        }
        if self.bars.is_none() && self.verbosity > Verbosity::Quiet {
            if let Ok(mut l) = self.lines.lock() {
                l.done += 1;
                if l.last_line.elapsed() >= Duration::from_secs(10) && l.done < l.total {
                    l.last_line = Instant::now();
                    eprint_line(&format!(
                        "{} checked {}/{} references",
                        crate::clock::format(crate::clock::now()),
                        l.done,
                        l.total
                    ));
                }
            }
        }
    }

    /// Clears the bars at the end of the run.
    pub fn finish(&self) {
        if let Some(b) = &self.bars {
            b.articles.finish_and_clear();
            b.refs.finish_and_clear();
            b.bytes.finish_and_clear();
        }
    }
}

/// A rate rounded to a whole number, with thousands separated by commas: `3,388`.
fn thousands(rate: f64) -> String {
    let digits = format!("{:.0}", rate.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Bars {
    fn new() -> Bars {
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let bar = if color {
            "{bar:30.cyan/blue}"
        } else {
            "{bar:30}"
        };
        let style = |tmpl: &str| {
            ProgressStyle::with_template(&tmpl.replace("{bar}", bar))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ")
                // Whole references per second ("3,388/s"), not indicatif's four decimals.
                .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}/s", thousands(s.per_sec()));
                })
        };
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let articles =
            multi.add(ProgressBar::new(0).with_style(style("articles   {bar} {pos}/{len}")));
        let refs =
            multi.add(ProgressBar::new(0).with_style(style("references {bar} {pos}/{len} {rate}")));
        let bytes = multi.add(
            ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("downloaded {bytes} ({bytes_per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        );
        Bars {
            multi,
            articles,
            refs,
            bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn rates_are_whole_numbers_with_thousands_separated() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(999.6), "1,000");
        assert_eq!(thousands(3387.7414), "3,388");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(-3.0), "0");
    }
}
