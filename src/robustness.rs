//! Property tests (proptest, a dev-dependency: the shipped binary does not contain it) for
//! every parser a user can reach: command lines, `INITBOX_*` variables, durations, signal
//! names and numbers, `--map` pairs, pids, and /proc stat lines. No input may panic, every
//! rejection is one line of text, and what initbox prints parses back to what it printed.
//! A failing input is shrunk to a small one and saved in proptest-regressions/ (commit
//! it: it is replayed first on every later run).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;

use crate::text;
use crate::{cli, duration, proc, signals};

/// Words users and scripts write, for inputs near the interesting cases.
const WORDS: &[&str] = &[
    "10s",
    "250ms",
    "2m",
    "1h",
    "0",
    "1.5s",
    "0.25",
    "1m30s",
    "2h45m",
    ".",
    "TERM",
    "SIGTERM",
    "term",
    "15",
    "RTMIN+3",
    "RTMAX-1",
    "TERM:QUIT",
    "USR1:none",
    ":",
    "--grace",
    "--map",
    "--to",
    "child",
    "group",
    "tree",
    "-s",
    "-v",
    "-vv",
    "-q",
    "--",
    "--success",
    "143",
    "-p",
    "--pids",
    "--timeout",
    "--children-only",
    "--list",
    "-e",
    "-g",
    "-w",
    "-r",
    "15:0",
    "-c",
    "-P",
    "-",
    "--=",
    "--grace=",
    "\u{ff}",
    "",
];

/// Bytes near the interesting ones, and any byte at all.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![select(b"0123456789.:+-=,hmsSIGTERM ()\n\x00".to_vec()), any::<u8>()]
}

/// Known words and random bytes, run together: `1m30sTERM`, `--map=\xffUSR1:`.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let piece =
        prop_oneof![select(WORDS).prop_map(|w| w.as_bytes().to_vec()), prop::collection::vec(byte(), 0..4),];
    prop::collection::vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

/// Durations built by their grammar, with the mistakes people make.
fn duration_like() -> impl Strategy<Value = Vec<u8>> {
    let number = "[0-9]{0,21}(\\.[0-9]{0,22})?";
    let unit = "(h|m|s|ms|x|S| s|)";
    let text = proptest::string::string_regex(&alloc::format!("-?({number}{unit}){{1,4}}"));
    text.expect("a valid regular expression").prop_map(String::into_bytes)
}

fn one_line(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.is_empty() && !message.chars().any(char::is_control), "not one line: {message:?}");
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn durations_parse_or_say_why_in_one_line(text in prop_oneof![duration_like(), input()]) {
        match duration::parse(&text) {
            Ok(d) => prop_assert_eq!(duration::parse(duration::show(d).as_bytes()), Ok(d)),
            Err(e) => one_line(&e)?,
        }
    }

    #[test]
    fn a_printed_duration_parses_back_to_itself(millis in prop_oneof![0..100_000_000u64, any::<u64>()]) {
        let d = Duration::from_millis(millis);
        let shown = duration::show(d);
        prop_assert_eq!(duration::parse(shown.as_bytes()), Ok(d), "{}", shown);
    }

    #[test]
    fn signals_parse_to_real_signals(text in input()) {
        if let Some(sig) = signals::parse(&text) {
            prop_assert!((1..=64).contains(&sig));
        }
    }

    #[test]
    fn signal_maps_apply_or_say_why_in_one_line(pair in input()) {
        let mut map = signals::SignalMap::default();
        match map.add(&pair) {
            Ok(()) => prop_assert!((1..=64).all(|sig| map.get(sig).is_none_or(|to| (1..=64).contains(&to)))),
            Err(e) => one_line(&e)?,
        }
    }

    #[test]
    fn decimals_parse_exactly(text in prop_oneof![input(), "[0-9]{0,11}".prop_map(String::into_bytes)]) {
        let expected = core::str::from_utf8(&text)
            .ok()
            .filter(|t| !t.is_empty() && t.len() <= 9 && t.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|t| t.parse::<i32>().ok());
        prop_assert_eq!(text::parse_decimal(&text), expected);
    }

    #[test]
    fn stat_lines_never_panic(line in prop_oneof![
        input(),
        (select(STAT_LINES), prop::collection::vec((any::<prop::sample::Index>(), byte()), 0..4))
            .prop_map(|(line, edits)| mutate(line, &edits)),
    ]) {
        if let Some(stat) = proc::parse_stat(&line) {
            prop_assert!(stat.pid >= 0 && stat.ppid >= 0 && stat.pgrp >= 0);
        }
    }

    #[test]
    fn stat_lines_give_back_their_fields(
        pid in 1..=999_999_999i32,
        name in prop::collection::vec(byte(), 0..16),
        state in select(b"RSDZTtXI".to_vec()),
        ppid in 0..=999_999_999i32,
        pgrp in 0..=999_999_999i32,
        start_time in any::<u64>(),
    ) {
        let mut line = alloc::format!("{pid} (").into_bytes();
        line.extend_from_slice(&name);
        line.extend_from_slice(
            alloc::format!(") {} {ppid} {pgrp} {pgrp} 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 {start_time} 1000 10\n", state as char)
                .as_bytes(),
        );
        let want = proc::ProcStat { pid, name: proc::Name::new(&name), state, ppid, pgrp, start_time };
        prop_assert_eq!(proc::parse_stat(&line), Some(want));
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn command_lines_parse_or_say_why_in_one_line(
        args in prop::collection::vec(input(), 0..6),
        env in prop::collection::vec(input(), 0..3),
    ) {
        let words: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let args = crate::sys::CArray::leak(&words);
        // The personalities' glibc-style parser, with and without permutation.
        for permute in [false, true] {
            let parsed = crate::applets::compat::getopt(args, b"p:hvwgle:s", &[("rewrite", true, b'r')], permute);
            prop_assert!(parsed.operands.len() <= args.len());
            for e in parsed.options.iter().filter_map(|option| option.as_ref().err()) {
                one_line(e)?;
            }
        }
        let vars: Vec<Vec<u8>> = env
            .iter()
            .map(|v| [b"INITBOX_".as_slice(), v].concat())
            .chain([b"INITBOX_MAP=,,TERM:QUIT,".to_vec()])
            .collect();
        let vars: Vec<&[u8]> = vars.iter().map(Vec::as_slice).collect();
        let env = cli::Env::new(crate::sys::CArray::leak(&vars));
        // Every applet's own table: the values' parsers are reached through it.
        for result in crate::applets::parse_with_each_table(args, &env) {
            if let Err(e) = result {
                one_line(&e)?;
            }
        }
    }
}

const STAT_LINES: &[&[u8]] = &[
    b"42 (a) (b c)) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10\n",
    b"1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 100 1\n",
    b"7 ()) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551615\n",
];

/// A line with bytes replaced, at positions proptest shrinks toward the start.
fn mutate(line: &[u8], edits: &[(prop::sample::Index, u8)]) -> Vec<u8> {
    let mut out = line.to_vec();
    for (at, byte) in edits {
        let i = at.index(out.len());
        out[i] = *byte;
    }
    out
}

/// Every signal's printed name parses back to it, with or without `SIG`, in any case.
#[test]
fn every_signal_name_parses_back_to_its_number() {
    for sig in 1..=64 {
        let name = signals::name(sig).to_string();
        let expected = if name.starts_with("SIG") { Some(sig) } else { None };
        assert_eq!(signals::parse(name.as_bytes()), expected, "{name}");
        if let Some(bare) = name.strip_prefix("SIG") {
            assert_eq!(signals::parse(bare.to_lowercase().as_bytes()), Some(sig), "{bare}");
        }
        // 32 and 33 have no name ("signal 32"): the number is how to write them.
        assert_eq!(signals::parse(sig.to_string().as_bytes()), Some(sig));
        let mut map = signals::SignalMap::default();
        map.add(alloc::format!("{}:{}", sig, name.strip_prefix("SIG").unwrap_or("none")).as_bytes()).unwrap();
        assert_eq!(map.get(sig), expected);
    }
}
