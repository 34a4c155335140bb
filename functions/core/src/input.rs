//! Reading a step's JSON input into our types, with errors that name the
//! field and never show a sensitive value.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ExportError;

/// Deserializes `value` as `T`. On failure the error names the field path
/// (`recipients[2].rls_tags`) and what was expected.
pub fn parse<T: DeserializeOwned>(value: Value, expected: &'static str) -> Result<T, ExportError> {
    parse_at_path(value).map_err(|(path, detail)| {
        let detail = match path {
            Some(path) => format!("{path}: {detail}"),
            None => detail,
        };
        ExportError::MalformedInput { expected, detail }
    })
}

/// Deserializes `value` as `T`; on failure, the field path (none for the
/// whole document) and what is wrong there, never a sensitive value.
pub fn parse_at_path<T: DeserializeOwned>(value: Value) -> Result<T, (Option<String>, String)> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|error| {
        let path = error.path().to_string();
        let detail = if is_sensitive_path(&path) {
            // serde's message quotes the offending value; this one is secret.
            "has the wrong type (the value is sensitive and not shown)".to_string()
        } else {
            error.inner().to_string()
        };
        let path = (path != "." && !path.is_empty()).then_some(path);
        (path, detail)
    })
}

/// Tag values and parameter values must never appear in messages.
fn is_sensitive_path(path: &str) -> bool {
    path.contains("parameters") || (path.contains("rls_tags") && path.ends_with(".value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExportRequest;
    use serde_json::json;

    #[test]
    fn wrong_types_name_the_field() {
        let err = parse::<ExportRequest>(json!({"recipients": [{"id": 7}]}), "export request")
            .unwrap_err()
            .to_string();
        assert!(err.contains("recipients[0].id"), "{err}");
    }

    #[test]
    fn unknown_fields_are_reported_not_dropped() {
        let err = parse::<ExportRequest>(json!({"recipents": []}), "export request")
            .unwrap_err()
            .to_string();
        assert!(err.contains("recipents"), "{err}");
    }

    #[test]
    fn sensitive_values_are_not_quoted() {
        let err = parse::<ExportRequest>(
            json!({"parameters": {"integer": [{"name": "n", "values": ["top-secret"]}]}}),
            "export request",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("parameters.integer[0].values[0]"), "{err}");
        assert!(!err.contains("top-secret"), "{err}");

        let err = parse::<ExportRequest>(
            json!({"recipients": [{"id": "a", "rls_tags": [{"key": "k", "value": ["hidden-value"]}]}]}),
            "export request",
        )
        .unwrap_err()
        .to_string();
        assert!(!err.contains("hidden-value"), "{err}");
    }
}
