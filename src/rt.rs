//! The runtime a no_std binary provides for itself: the C entry point, the allocator and
//! a panic handler. Every `unsafe` block is in sys.rs; the attributes here only name
//! symbols for the linker.
//!
//! initbox is built so it does not panic (clippy denies unwrap, expect and panic); if a
//! bug panics anyway, the process reports it without allocating and aborts.

#[global_allocator]
static ALLOCATOR: crate::sys::Malloc = crate::sys::Malloc;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // No allocation here: the panic may be an allocation failure.
    let mut line = crate::log::Line::new();
    let _ = core::fmt::write(&mut line, format_args!("initbox: internal error: {}", info.message()));
    let _ = crate::sys::write_all(2, line.finish());
    crate::sys::abort()
}

// The prebuilt alloc crate refers to the unwinder even though nothing here unwinds
// (panic = "abort" everywhere); these satisfy the linker and are never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume() -> ! {
    crate::sys::abort()
}

/// The C entry point: musl's start code calls it with the arguments and environment.
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: core::ffi::c_int,
    argv: *const *const core::ffi::c_char,
    envp: *const *const core::ffi::c_char,
) -> core::ffi::c_int {
    // Before anything that takes time in proportion to the arguments: a stop signal sent
    // at start-up is kept pending, never lost (PID 1 drops what it does not block).
    crate::signals::block_at_start();
    crate::sys::Malloc::keep_reserve();
    crate::run(crate::sys::main_arguments(argv), crate::sys::main_arguments(envp))
}

// Without std nothing else asks for the C library: link musl's libc.a statically.
#[link(name = "c", kind = "static", modifiers = "-bundle")]
unsafe extern "C" {}
