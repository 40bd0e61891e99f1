//! UID sets (RFC 3501 §9, sequence-set): many messages named in one command.

/// A UID set for a command: `3:5,9` for 3, 4, 5 and 9 (RFC 3501 §9, sequence-set).
pub fn uid_set(uids: impl Iterator<Item = u32>) -> String {
    let mut sorted: Vec<u32> = uids.collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn uid_sets_fold_runs_into_ranges() {
        assert_eq!(uid_set([9, 3, 4, 5, 4].into_iter()), "3:5,9");
        assert_eq!(uid_set([7].into_iter()), "7");
        assert_eq!(uid_set(std::iter::empty()), "");
        assert_eq!(uid_set([1, 3, 5].into_iter()), "1,3,5");
    }
}
