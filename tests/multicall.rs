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
        assert!(std::fs::read_link(&link).unwrap().is_relative());
        assert_eq!(link.canonicalize().unwrap(), std::path::Path::new(BIN).canonicalize().unwrap());
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

/// An image root staged on the host (`$ROOT/sbin/initbox --install $ROOT/sbin`) keeps
/// working links when the tree is moved or copied whole: they are relative.
#[test]
fn install_links_are_relative_so_a_staged_root_can_move() {
    use std::path::Path;
    let base = temp_dir("staged");
    let root = base.join("staged");
    std::fs::create_dir_all(root.join("sbin")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    // /bin -> usr/bin, as in merged-/usr images: links go where the directory really is.
    std::os::unix::fs::symlink("usr/bin", root.join("bin")).unwrap();
    let bin = root.join("sbin/initbox");
    std::fs::copy(BIN, &bin).unwrap();
    for dir in ["sbin", "bin"] {
        let out = std::process::Command::new(&bin).arg("--install").arg(root.join(dir)).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // A relative DIR names the same directory.
    let out =
        std::process::Command::new(&bin).args(["--install", "usr/bin"]).current_dir(&root).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let moved = base.join("moved");
    std::fs::rename(&root, &moved).unwrap();
    for name in APPLETS.lines() {
        assert_eq!(std::fs::read_link(moved.join("sbin").join(name)).unwrap(), Path::new("initbox"));
        assert_eq!(
            std::fs::read_link(moved.join("usr/bin").join(name)).unwrap(),
            Path::new("../../sbin/initbox")
        );
        for dir in ["sbin", "bin", "usr/bin"] {
            let out =
                std::process::Command::new(moved.join(dir).join(name)).arg("--version").output().unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                format!("initbox {} ({name})\n", env!("CARGO_PKG_VERSION")),
                "{dir}/{name}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&base);
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
