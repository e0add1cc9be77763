//! Giving freed memory back to the system. glibc's allocator keeps what large request bodies
//! (uploads up to 50 MB, refused oversized ones, edXML packages) freed in its per-thread arenas:
//! after a burst the server stayed at its peak (35 MB → 281 MB in outside testing) though
//! nothing was in use. Trimming returns the free pages; it costs a walk of the heap, so the
//! server does it on a timer, not per request.

/// Returns the allocator's free memory to the system; whether any was returned.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn give_back_freed() -> bool {
    // SAFETY: malloc_trim only releases free pages of glibc's own heaps; it takes the arenas'
    // locks itself and touches no memory in use.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators and systems return freed memory on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() -> bool {
    false
}

/// The resident memory of this process in bytes (Linux).
pub fn resident_bytes() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// The most this process has ever had resident, in bytes (Linux).
pub fn peak_resident_bytes() -> Option<u64> {
    status_bytes("VmHWM:")
}

fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
