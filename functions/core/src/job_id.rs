//! Deterministic snapshot job IDs.
//!
//! The ID is derived from the run ID and the recipient ID only, so a retried
//! `start-job` invocation asks for the same job again and QuickSight answers
//! `ResourceExistsException` instead of starting a second one.

use sha2::{Digest, Sha256};

/// Longest readable part kept from each of the run ID and the recipient ID.
const MAX_PART_CHARS: usize = 200;

/// `<run>-<recipient>-<hash>`: readable in the QuickSight console, always
/// within `[\w-]{1,512}`, and unique per (run, recipient) even when the
/// readable parts are cut short or cleaned of other characters.
pub fn snapshot_job_id(run_id: &str, recipient_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(run_id.as_bytes());
    hasher.update([0u8]); // so ("ab","c") and ("a","bc") differ
    hasher.update(recipient_id.as_bytes());
    let digest = hasher.finalize();
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{hash}",
        readable(run_id, MAX_PART_CHARS),
        readable(recipient_id, MAX_PART_CHARS)
    )
}

/// `part` cut to `max` characters, with every character a job ID may not
/// hold (anything but `[A-Za-z0-9_-]`) replaced by `_`.
pub fn readable(part: &str, max: usize) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_valid(id: &str) -> bool {
        (1..=512).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    #[test]
    fn same_inputs_give_the_same_id() {
        assert_eq!(
            snapshot_job_id("run-1", "acme"),
            snapshot_job_id("run-1", "acme")
        );
        assert!(snapshot_job_id("run-1", "acme").starts_with("run-1-acme-"));
    }

    #[test]
    fn different_runs_or_recipients_give_different_ids() {
        let a = snapshot_job_id("run-1", "acme");
        assert_ne!(a, snapshot_job_id("run-2", "acme"));
        assert_ne!(a, snapshot_job_id("run-1", "acme2"));
        // The separator is hashed too: these would read alike without it.
        assert_ne!(snapshot_job_id("a-b", "c"), snapshot_job_id("a", "b-c"));
    }

    #[test]
    fn ids_stay_valid_for_long_or_odd_inputs() {
        let long = "x".repeat(5000);
        for (run, recipient) in [
            (long.as_str(), long.as_str()),
            ("exécution:42", "tenant/ä b"),
            ("r", "y"),
        ] {
            let id = snapshot_job_id(run, recipient);
            assert!(is_valid(&id), "{id}");
        }
        assert_ne!(
            snapshot_job_id(&format!("{long}a"), "r"),
            snapshot_job_id(&format!("{long}b"), "r")
        );
    }
}
