//! Records the commit the binary is built from, for `initbox --version`.
//! INITBOX_COMMIT in the build environment wins (a container build has no .git).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=INITBOX_COMMIT");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
    let commit = std::env::var("INITBOX_COMMIT").ok().filter(|c| !c.is_empty()).unwrap_or_else(|| {
        let git = |args: &[&str]| Command::new("git").args(args).output().ok().filter(|o| o.status.success());
        match git(&["rev-parse", "--short=12", "HEAD"]) {
            Some(out) => {
                let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
                let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                    .is_some_and(|o| !o.stdout.is_empty());
                if dirty { format!("{hash}-dirty") } else { hash }
            }
            None => "unknown".to_string(),
        }
    });
    println!("cargo:rustc-env=INITBOX_COMMIT={commit}");
    // libc.a once more at the end of the link line: core and alloc come after the crate's
    // own objects and may ask libc for what the crate itself did not (bcmp, memcmp).
    if std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("musl") {
        println!("cargo:rustc-link-arg-bins=-lc");
        // Release only: the unit tests' harness unwinds to report a failing test.
        if std::env::var("PROFILE").as_deref() == Ok("release") {
            drop_unwind_tables();
        }
    }
}

/// Nothing in initbox unwinds (panic = "abort"; C code does not throw), yet core, alloc and
/// libc.a bring their unwind tables: 16 KB of the 160 KiB budget. A linker script fragment
/// discards them (but for the C start files' own, which refer to theirs).
fn drop_unwind_tables() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let script = out.join("no-unwind-tables.ld");
    let text = "SECTIONS { /DISCARD/ : { EXCLUDE_FILE(*crtbegin*.o *crtend*.o) *(.eh_frame) } }\nINSERT AFTER .text;\n";
    if std::fs::write(&script, text).is_err() {
        return;
    }
    // x86_64 links through cc (gcc); aarch64 through rust-lld directly (see .cargo/config.toml).
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
        println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
    } else {
        println!("cargo:rustc-link-arg-bins=-T");
        println!("cargo:rustc-link-arg-bins={}", script.display());
        println!("cargo:rustc-link-arg-bins=--no-eh-frame-hdr");
    }
}
