//! The checks of one field that several requests share: IDs, accounts,
//! regions, bucket names.

use super::{MAX_RESOURCE_ID_CHARS, MAX_RUN_ID_CHARS, ValidationErrors};

pub(super) fn is_resource_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

pub(super) fn check_id_chars(
    errors: &mut ValidationErrors,
    path: &str,
    value: &str,
    max: usize,
) -> bool {
    let n = value.chars().count();
    if n == 0 {
        errors.push(
            path,
            format!("is required (1-{max} characters of A-Z, a-z, 0-9, _ and -)"),
        );
        false
    } else if n > max {
        errors.push(path, format!("must be 1-{max} characters, got {n}"));
        false
    } else if !value.chars().all(is_resource_id_char) {
        errors.push(
            path,
            format!("{value:?} may contain only A-Z, a-z, 0-9, _ and -"),
        );
        false
    } else {
        true
    }
}

pub(super) fn check_resource_id(errors: &mut ValidationErrors, path: &str, value: &str) {
    check_id_chars(errors, path, value, MAX_RESOURCE_ID_CHARS);
}

pub(super) fn check_run_id(errors: &mut ValidationErrors, path: &str, value: &str) {
    check_id_chars(errors, path, value, MAX_RUN_ID_CHARS);
}

pub(super) fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn check_account_id(errors: &mut ValidationErrors, path: &str, value: &str) {
    if !is_account_id(value) {
        errors.push(path, format!("must be exactly 12 digits, got {value:?}"));
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`.
pub(super) fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

pub(super) fn check_region(errors: &mut ValidationErrors, path: &str, value: &str) {
    if value.is_empty() {
        errors.push(path, "is required, for example \"us-east-1\"");
    } else if !is_region(value) {
        errors.push(
            path,
            format!("{value:?} is not an AWS region name such as \"us-east-1\""),
        );
    }
}

/// S3 bucket naming rules: 3-63 characters of a-z, 0-9, `.` and `-`,
/// starting and ending with a letter or digit.
pub(super) fn is_bucket_name(value: &str) -> bool {
    let bytes = value.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !value.contains("..")
}
