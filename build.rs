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
    }
}
