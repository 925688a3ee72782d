#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! Dispatch: by argv[0], by the first argument, --list, --install, --help, --version.

mod common;
use common::*;

const APPLETS: &str = "init\nreap\nsigfwd\nkilltree\nwaitall\n";

#[test]
fn list_names_each_applet_once() {
    let out = initbox().arg("--list").run();
    out.code(0);
    assert_eq!(out.stdout, APPLETS);
}

#[test]
fn install_links_every_applet_and_the_links_dispatch() {
    let dir = temp_dir("install");
    initbox().args(["--install", dir.to_str().unwrap()]).run().code(0);
    for name in APPLETS.lines() {
        let link = dir.join(name);
        assert_eq!(std::fs::read_link(&link).unwrap(), std::path::Path::new(BIN));
        let out = std::process::Command::new(&link).arg("--version").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("initbox {} ({name})\n", env!("CARGO_PKG_VERSION"))
        );
    }
    // Again over existing links: replaced, not an error.
    initbox().args(["--install", dir.to_str().unwrap()]).run().code(0);
    initbox()
        .args(["--install", "/nonexistent/dir"])
        .run()
        .code(1)
        .stderr_has("cannot link /nonexistent/dir/init");
}

#[test]
fn first_argument_names_the_applet() {
    initbox().args(["init", "--help"]).run().code(0).stdout_has("Usage: init [OPTIONS]");
    initbox().args(["waitall", "--help"]).run().code(0).stdout_has("waitall [--timeout DUR] -p PID");
}

#[test]
fn bad_names_and_options() {
    initbox().arg("frobnicate").run().code(127).one_error_line("unknown applet 'frobnicate'");
    initbox().run().code(125).one_error_line("no applet given");
    initbox().arg("--frob").run().code(125).one_error_line("unknown option '--frob'");
    initbox().arg("--version").run().code(0).stdout_has("initbox ");
    initbox().arg("--help").run().code(0).stdout_has("init ").stdout_has("waitall");
}
