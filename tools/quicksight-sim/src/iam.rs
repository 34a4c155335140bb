//! Who may call what: with `--iam-policies FILE`, every QuickSight call
//! must be signed with a known access key whose policy allows the call's
//! action on its resource, as IAM decides for QuickSight. The local stack
//! writes the file from the template's roles, so a function may call
//! exactly what its role grants.
//!
//! The file: `{"<access key id>": {"principal": "<role ARN>", "statements":
//! [<IAM policy statements>]}}`. Evaluation as IAM's for identity policies:
//! an explicit Deny wins, else an Allow must match; `Action`/`NotAction`
//! with `*` and `?` (case-insensitive), `Resource`/`NotResource` with `*`
//! and `?`. A statement with a `Condition` never matches (none of the
//! template's QuickSight statements has one). The signature itself is not
//! checked: the key names the caller.

use std::collections::HashMap;

use axum::http::HeaderMap;
use serde::Deserialize;

use crate::wire::{ApiError, ErrorKind};

/// One string or a list of them, as IAM writes `Action` and `Resource`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let items: &[String] = match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        };
        items.iter().map(String::as_str)
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    effect: Effect,
    action: Option<OneOrMany>,
    not_action: Option<OneOrMany>,
    resource: Option<OneOrMany>,
    not_resource: Option<OneOrMany>,
    condition: Option<serde_json::Value>,
}

impl Statement {
    fn applies(&self, action: &str, resource: &str) -> bool {
        if self.condition.is_some() {
            return false;
        }
        let action_matches = match (&self.action, &self.not_action) {
            (Some(listed), _) => listed.iter().any(|p| wildcard(p, action, true)),
            (None, Some(excluded)) => !excluded.iter().any(|p| wildcard(p, action, true)),
            (None, None) => false,
        };
        let resource_matches = match (&self.resource, &self.not_resource) {
            (Some(listed), _) => listed.iter().any(|p| wildcard(p, resource, false)),
            (None, Some(excluded)) => !excluded.iter().any(|p| wildcard(p, resource, false)),
            (None, None) => false,
        };
        action_matches && resource_matches
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Identity {
    principal: String,
    statements: Vec<Statement>,
}

/// `--iam-policies`: each known access key's principal and statements.
#[derive(Clone, Debug)]
pub struct CallerPolicies(HashMap<String, Identity>);

impl CallerPolicies {
    /// Reads the file; clap's value parser for `--iam-policies`.
    pub fn load(path: &str) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let identities = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        Ok(CallerPolicies(identities))
    }

    /// Whether the call signed in `headers` may do `action` on `resource`.
    pub(crate) fn authorize(
        &self,
        headers: &HeaderMap,
        action: &str,
        resource: &str,
    ) -> Result<(), ApiError> {
        let Some(identity) = access_key_id(headers).and_then(|key| self.0.get(key)) else {
            return Err(ApiError::new(
                ErrorKind::UnrecognizedClient,
                "The security token included in the request is invalid.",
            ));
        };
        let matching = |effect| {
            identity
                .statements
                .iter()
                .any(|s| s.effect == effect && s.applies(action, resource))
        };
        if matching(Effect::Deny) || !matching(Effect::Allow) {
            return Err(ApiError::new(
                ErrorKind::AccessDenied,
                format!(
                    "User: {} is not authorized to perform: {action} on resource: {resource}",
                    identity.principal
                ),
            ));
        }
        Ok(())
    }
}

/// The access key ID of a SigV4 `Authorization` header.
fn access_key_id(headers: &HeaderMap) -> Option<&str> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    credential.split('/').next().filter(|k| !k.is_empty())
}

/// IAM's wildcards: `*` any run of characters, `?` any one.
fn wildcard(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, v) = (fold(pattern), fold(value));
    // Iterative matching with the last `*` to fall back to.
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn signed_by(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!(
            "AWS4-HMAC-SHA256 Credential={key}/20261201/us-east-1/quicksight/aws4_request, SignedHeaders=host, Signature=x"
        );
        headers.insert("authorization", HeaderValue::from_str(&value).unwrap());
        headers
    }

    fn policies() -> CallerPolicies {
        let text = r#"{
          "ASIASTART": {"principal": "arn:aws:iam::123456789012:role/start-job", "statements": [
            {"Effect": "Allow", "Action": "quicksight:StartDashboardSnapshotJob",
             "Resource": "arn:aws:quicksight:us-east-1:123456789012:dashboard/*"},
            {"Effect": "Allow", "Action": ["quicksight:Describe*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "quicksight:DescribeDashboardSnapshotJobResult", "Resource": "*"}]}
        }"#;
        CallerPolicies(serde_json::from_str(text).unwrap())
    }

    const DASHBOARD: &str = "arn:aws:quicksight:us-east-1:123456789012:dashboard/sales";

    #[test]
    fn an_allowed_action_on_a_matching_resource_passes() {
        let p = policies();
        let start = "quicksight:StartDashboardSnapshotJob";
        assert!(
            p.authorize(&signed_by("ASIASTART"), start, DASHBOARD)
                .is_ok()
        );
        // Actions compare without case, as IAM's do.
        let lower = "quicksight:startdashboardsnapshotjob";
        assert!(
            p.authorize(&signed_by("ASIASTART"), lower, DASHBOARD)
                .is_ok()
        );
        let describe = "quicksight:DescribeDashboardSnapshotJob";
        assert!(
            p.authorize(&signed_by("ASIASTART"), describe, DASHBOARD)
                .is_ok()
        );
    }

    #[test]
    fn another_resource_an_unlisted_action_and_a_deny_are_refused_with_who_and_what() {
        let p = policies();
        let start = "quicksight:StartDashboardSnapshotJob";
        let other_region = "arn:aws:quicksight:eu-west-1:123456789012:dashboard/sales";
        let refused = p
            .authorize(&signed_by("ASIASTART"), start, other_region)
            .unwrap_err();
        assert_eq!(refused.kind, ErrorKind::AccessDenied);
        assert!(
            refused.message.contains("role/start-job"),
            "{}",
            refused.message
        );
        assert!(refused.message.contains(start), "{}", refused.message);
        let list = "quicksight:ListDashboards";
        assert!(
            p.authorize(&signed_by("ASIASTART"), list, DASHBOARD)
                .is_err()
        );
        let result = "quicksight:DescribeDashboardSnapshotJobResult";
        assert!(
            p.authorize(&signed_by("ASIASTART"), result, DASHBOARD)
                .is_err()
        );
    }

    #[test]
    fn an_unknown_or_missing_key_is_not_recognized() {
        let p = policies();
        let start = "quicksight:StartDashboardSnapshotJob";
        let unknown = p
            .authorize(&signed_by("AKIANOBODY"), start, DASHBOARD)
            .unwrap_err();
        assert_eq!(unknown.kind, ErrorKind::UnrecognizedClient);
        let unsigned = p
            .authorize(&HeaderMap::new(), start, DASHBOARD)
            .unwrap_err();
        assert_eq!(unsigned.kind, ErrorKind::UnrecognizedClient);
    }

    #[test]
    fn wildcards_are_iams() {
        assert!(wildcard("a*c", "abbbc", false));
        assert!(wildcard("a?c", "abc", false));
        assert!(!wildcard("a?c", "abbc", false));
        assert!(wildcard("*", "", false));
        assert!(!wildcard("dashboard/*", "Dashboard/x", false));
        assert!(wildcard(
            "quicksight:Describe*",
            "QUICKSIGHT:DESCRIBEX",
            true
        ));
    }
}
