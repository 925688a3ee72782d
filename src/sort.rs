//! In-place heapsort: no allocation, and a few hundred bytes of code where core's
//! `sort_unstable` brings several kilobytes for each element type (README, "Size").

/// Sorts `items` by `key`, ascending; the order of equal keys is unspecified.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    // Whether the item at `a` sorts before the one at `b` (false if either is missing).
    let less = |items: &[T], a: usize, b: usize| match (items.get(a), items.get(b)) {
        (Some(x), Some(y)) => key(x) < key(y),
        _ => false,
    };
    // Moves the item at `root` down until the heap of items[..end] holds again.
    let sift_down = |items: &mut [T], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(items, child, child + 1) {
            child += 1;
        }
        if !less(items, root, child) {
            return;
        }
        items.swap(root, child);
        root = child;
    };
    let len = items.len();
    for root in (0..len / 2).rev() {
        sift_down(items, root, len);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_like_core(mut items in prop::collection::vec(any::<(u8, u16)>(), 0..200)) {
            let mut want = items.clone();
            want.sort_by_key(|&(k, _)| k);
            sort_by_key(&mut items, |&(k, _)| k);
            let keys = |v: &[(u8, u16)]| v.iter().map(|&(k, _)| k).collect::<alloc::vec::Vec<_>>();
            prop_assert_eq!(keys(&items), keys(&want));
            items.sort();
            want.sort();
            prop_assert_eq!(items, want);
        }
    }
}
