//! Who may see what. QuickSight lets only the user who started a snapshot
//! job describe it; `--deny-describe` plays a job started by someone else.

use crate::config::SimConfig;
use crate::wire::{ApiError, ErrorKind};

/// `AccessDeniedException` for a job that `--deny-describe` matches.
pub(crate) fn check_may_describe(config: &SimConfig, job_id: &str) -> Result<(), ApiError> {
    if config
        .deny_describe
        .iter()
        .any(|p| job_id.contains(p.as_str()))
    {
        return Err(ApiError::new(
            ErrorKind::AccessDenied,
            format!(
                "You don't have access to snapshot job {job_id}: it was started by a different user"
            ),
        ));
    }
    Ok(())
}
