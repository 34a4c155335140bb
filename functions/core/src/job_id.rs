//! Snapshot job IDs that belong to one submission.
//!
//! A job ID is `<run>-<recipient>-<binding>`: the readable parts for people
//! in the QuickSight console, and 16 hex digits of a SHA-256 over the
//! execution's ARN, the attempt, the digest of the whole stored request and
//! the job's spec (dashboard, file groups, destination, parameters, tags).
//! So:
//! - a retried Start asks for the very same ID and adopts its own job;
//! - another execution (a resubmission, a reused name, another stack) never
//!   gets that ID, whatever its run ID;
//! - the ID reveals nothing about tag or parameter values: the hash is keyed
//!   by the digest of the whole request, which an observer cannot rebuild.

use sha2::{Digest, Sha256};

/// Longest readable part kept from the run ID and from the recipient ID.
const MAX_RUN_CHARS: usize = 80;
const MAX_RECIPIENT_CHARS: usize = 128;

/// What a job ID is bound to.
pub struct JobBinding<'a> {
    pub execution_id: &'a str,
    pub attempt: u32,
    /// SHA-256 of the stored request's bytes.
    pub request_digest: &'a [u8; 32],
    /// The job's spec, serialized (values included).
    pub spec: &'a [u8],
}

pub fn snapshot_job_id(run_id: &str, recipient_id: &str, binding: &JobBinding<'_>) -> String {
    let mut hasher = Sha256::new();
    for part in [
        b"quicksight-export/job-id/v2".as_slice(),
        binding.execution_id.as_bytes(),
        recipient_id.as_bytes(),
        &binding.attempt.to_be_bytes(),
        binding.request_digest,
        binding.spec,
    ] {
        // Length-prefixed, so no two different inputs share a byte stream.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{hash}",
        readable(run_id, MAX_RUN_CHARS),
        readable(recipient_id, MAX_RECIPIENT_CHARS)
    )
}

/// SHA-256 of some bytes (the stored request).
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
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

    const DIGEST: [u8; 32] = [7; 32];

    fn binding<'a>(execution_id: &'a str, attempt: u32, spec: &'a [u8]) -> JobBinding<'a> {
        JobBinding {
            execution_id,
            attempt,
            request_digest: &DIGEST,
            spec,
        }
    }

    #[test]
    fn the_same_submission_gets_the_same_id() {
        let a = snapshot_job_id("run-1", "acme", &binding("arn:exec:1", 1, b"spec"));
        assert_eq!(
            a,
            snapshot_job_id("run-1", "acme", &binding("arn:exec:1", 1, b"spec"))
        );
        assert!(a.starts_with("run-1-acme-"), "{a}");
    }

    #[test]
    fn another_execution_attempt_request_or_spec_gets_another_id() {
        let a = snapshot_job_id("run-1", "acme", &binding("arn:exec:1", 1, b"spec"));
        for other in [
            snapshot_job_id("run-1", "acme", &binding("arn:exec:2", 1, b"spec")),
            snapshot_job_id("run-1", "acme", &binding("arn:exec:1", 2, b"spec")),
            snapshot_job_id("run-1", "acme", &binding("arn:exec:1", 1, b"spec2")),
            snapshot_job_id("run-1", "acme2", &binding("arn:exec:1", 1, b"spec")),
            snapshot_job_id(
                "run-1",
                "acme",
                &JobBinding {
                    request_digest: &[8; 32],
                    ..binding("arn:exec:1", 1, b"spec")
                },
            ),
        ] {
            assert_ne!(a, other);
        }
    }

    #[test]
    fn ids_stay_valid_for_long_or_odd_inputs() {
        let long = "x".repeat(5000);
        for (run, recipient) in [
            (long.as_str(), long.as_str()),
            ("exécution:42", "tenant/ä b"),
            ("r", "y"),
        ] {
            let id = snapshot_job_id(run, recipient, &binding("e", 1, b""));
            assert!(is_valid(&id), "{id}");
        }
    }
}
