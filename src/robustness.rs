//! Property tests for every parser a user can reach: command lines of every applet and
//! personality, durations, signal names and numbers, `--map` pairs, `INITBOX_*` variables,
//! and /proc stat lines. Random and mutated inputs from a fixed seed (reproducible, no
//! dependency): no input may panic, and every rejection must be one line of text.

use alloc::string::String;
use alloc::vec::Vec;

use crate::{cli, duration, proc, signals};

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a [u8]]) -> &'a [u8] {
        items[self.below(items.len())]
    }
    fn mutated(&mut self, seeds: &[&[u8]]) -> Vec<u8> {
        let seed = self.pick(seeds);
        self.mutate(seed)
    }
    /// A seed, changed a little: bytes flipped, cut, repeated or spliced with noise.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut out = seed.to_vec();
        for _ in 0..=self.below(4) {
            let at = if out.is_empty() { 0 } else { self.below(out.len() + 1) };
            match self.below(5) {
                0 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] = self.next() as u8;
                }
                1 => out.truncate(at),
                2 => out.insert(at, self.next() as u8),
                3 => out.splice(at..at, seed.iter().copied()).for_each(drop),
                _ => out.extend(
                    (0..self.below(6)).map(|_| b"0123456789:+-msh()SIGTERM \x00\xff"[self.below(27)]),
                ),
            }
        }
        out
    }
}

const SEEDS: &[&[u8]] = &[
    b"10s",
    b"250ms",
    b"2m",
    b"1h",
    b"0",
    b"TERM",
    b"SIGTERM",
    b"term",
    b"15",
    b"RTMIN+3",
    b"RTMAX-1",
    b"TERM:QUIT",
    b"USR1:none",
    b"--grace",
    b"--map",
    b"--to",
    b"child",
    b"group",
    b"tree",
    b"-s",
    b"-v",
    b"-vv",
    b"-q",
    b"--",
    b"--success",
    b"143",
    b"-p",
    b"--pids",
    b"--timeout",
    b"--children-only",
    b"--list",
    b"-e",
    b"-g",
    b"-w",
    b"-r",
    b"15:0",
    b"-c",
    b"-P",
    b"-",
    b"--=",
    b"--grace=",
    b"\xff\xfe",
    b"",
];

fn one_line(message: &str) {
    assert!(!message.contains('\n') && !message.is_empty(), "not one line: {message:?}");
}

#[test]
fn value_parsers_never_panic_and_reject_in_one_line() {
    let mut rng = Rng(0x1d2c_3b4a_5968_7766);
    let mut runs = 0u64;
    for _ in 0..200_000 {
        let input = rng.mutated(SEEDS);
        if let Err(e) = duration::parse(&input) {
            one_line(&e);
        }
        if let Some(sig) = signals::parse(&input) {
            assert!((1..=64).contains(&sig));
        }
        if let Err(e) = signals::SignalMap::default().add(&input) {
            one_line(&e);
        }
        let _ = signals::name(rng.next() as i32);
        runs += 4;
    }
    std::eprintln!("{runs} parser executions");
}

#[test]
fn command_lines_never_panic() {
    let mut rng = Rng(0x0bad_cafe_dead_beef);
    let opts = [
        cli::value("grace", 0),
        cli::values("map", 0),
        cli::flag("children-only", 0),
        cli::value("signal", b's'),
        cli::flag("pids", b'p'),
    ];
    let env = cli::Env::new(alloc::vec![b"INITBOX_GRACE=1s".to_vec(), b"INITBOX_MAP=,,TERM:QUIT,".to_vec()]);
    for _ in 0..50_000 {
        let args: Vec<Vec<u8>> = (0..rng.below(6)).map(|_| rng.mutated(SEEDS)).collect();
        // The personalities' glibc-style parser, with and without permutation.
        for permute in [false, true] {
            let parsed = crate::compat::getopt(&args, b"p:hvwgle:s", &[("rewrite", true, b'r')], permute);
            assert!(parsed.operands.len() <= args.len());
            for option in &parsed.options {
                if let Err(e) = option {
                    one_line(e);
                }
            }
        }
        let _ = cli::parse(&opts, &args, &env).map_err(|e: String| one_line(&e));
    }
}

#[test]
fn proc_stat_lines_never_panic() {
    let mut rng = Rng(0x5eed);
    let seeds: &[&[u8]] = &[
        b"42 (a) (b c)) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10\n",
        b"1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 100 1\n",
        b"7 ()) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551615\n",
    ];
    for _ in 0..100_000 {
        let line = rng.mutated(seeds);
        if let Some(stat) = proc::parse_stat(&line) {
            assert!(stat.pid >= 0 && stat.ppid >= 0);
        }
    }
}
