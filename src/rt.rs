//! The runtime a no_std binary provides for itself: memory from libc's malloc, and a panic
//! handler. initbox is built so it does not panic (clippy denies unwrap, expect and panic);
//! if a bug panics anyway, the process reports it and aborts instead of unwinding.

use core::alloc::{GlobalAlloc, Layout};

struct Malloc;

// SAFETY: malloc and free are the C allocator's, which honours alignments up to
// max_align_t (16); larger alignments go through aligned_alloc.
unsafe impl GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= 16 {
            // SAFETY: malloc accepts any size; null is returned on failure as GlobalAlloc wants.
            unsafe { libc::malloc(layout.size()).cast() }
        } else {
            // SAFETY: the alignment is a power of two, as Layout guarantees.
            unsafe { libc::aligned_alloc(layout.align(), layout.size()).cast() }
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from malloc or aligned_alloc above.
        unsafe { libc::free(ptr.cast()) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= 16 {
            // SAFETY: ptr came from malloc with an alignment realloc preserves.
            unsafe { libc::realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: as in alloc/dealloc; the copy covers the smaller of the two sizes.
            unsafe {
                let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
                if !new.is_null() {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: Malloc = Malloc;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let line = alloc::format!("initbox: internal error: {}\n", info.message());
    let _ = crate::sys::write_all(2, line.as_bytes());
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
    // SAFETY: the C runtime passes argv and envp as null-terminated arrays of strings.
    let (args, env) = unsafe { (crate::sys::copy_c_strings(argv), crate::sys::copy_c_strings(envp)) };
    crate::run(&args, &crate::cli::Env::new(env))
}

// Without std nothing else asks for the C library: link musl's libc.a statically.
#[link(name = "c", kind = "static", modifiers = "-bundle")]
unsafe extern "C" {}
