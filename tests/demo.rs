#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! Quick start 1 prints what the README says it prints.

mod common;
#[allow(unused_imports)]
use common::*;
use std::path::Path;

/// The transcript lines, with what varies between runs made equal: the seconds taken,
/// and the shell's "Terminated" notice, which depends on who wins a race.
fn normalized(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with("== ") || l.starts_with("   "))
        .filter(|l| !l.contains("log: Terminated"))
        .map(|l| match l.find(" after ") {
            Some(at) => format!("{} after Ns in all", &l[..at]),
            None => l.to_string(),
        })
        .collect()
}

#[test]
fn the_readme_transcript_is_what_the_demo_prints() {
    require_namespaces!();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = std::process::Command::new("bash").arg(root.join("tests/demo.sh")).output().unwrap();
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let printed = normalized(&String::from_utf8_lossy(&demo.stdout));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks: String = readme
        .split("```")
        .filter(|block| block.trim_start().starts_with("== "))
        .collect::<Vec<_>>()
        .join("\n");
    // The naive run races the kernel (which lines its app and workers get out varies);
    // init's run is deterministic and must match line for line.
    let from_init = |lines: Vec<String>| -> Vec<String> {
        lines.into_iter().skip_while(|l| !l.starts_with("== 2.")).collect()
    };
    let readme_lines = normalized(&blocks);
    assert_eq!(readme_lines.first(), printed.first());
    assert!(
        readme_lines.len() > 10
            && readme_lines.iter().filter(|l| l.contains("3 workers running")).count() == 2
    );
    assert_eq!(from_init(readme_lines), from_init(printed));
}
