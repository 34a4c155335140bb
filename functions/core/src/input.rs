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
/// whole document) and what is wrong there, never a value from the input.
pub fn parse_at_path<T: DeserializeOwned>(value: Value) -> Result<T, (Option<String>, String)> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|error| {
        let path = error.path().to_string();
        let detail = without_values(&error.inner().to_string());
        let path = (path != "." && !path.is_empty()).then_some(path);
        (path, detail)
    })
}

/// serde's message with the input's value taken out: its type errors quote
/// what they found (`invalid type: string "<the value>", expected a
/// sequence`), and anything under `recipients` or `parameters` is our
/// users' customers' data (a tag value given as a bare string, a user name
/// where a list belongs). What is left names the kind found and the type
/// expected, which come from our own types.
fn without_values(message: &str) -> String {
    // The expected part is ours (a type's description); the value, if any,
    // comes before it.
    let expected = message
        .rfind(", expected ")
        .map(|at| &message[at + ", expected ".len()..]);
    if let Some(found) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        let kind = found_kind(found);
        let what = if message.starts_with("invalid type") {
            "has the wrong type"
        } else {
            "has an invalid value"
        };
        return match expected {
            Some(expected) => format!("{what}: found {kind}, expected {expected}"),
            None => format!("{what}: found {kind}"),
        };
    }
    if message.starts_with("unknown variant ") {
        return match expected {
            Some(expected) => format!("is not a known value: expected {expected}"),
            None => "is not a known value".to_string(),
        };
    }
    // missing field, unknown field (a field name, not a value), invalid
    // length, duplicate field: nothing from the input's values.
    message.to_string()
}

/// The kind of value serde found, without the value: `string "x"` ->
/// `a string`, ``integer `7` `` -> `an integer`, `map` -> `an object`.
fn found_kind(found: &str) -> &'static str {
    const KINDS: &[(&str, &str)] = &[
        ("string", "a string"),
        ("integer", "an integer"),
        ("floating point", "a number"),
        ("boolean", "a boolean"),
        ("character", "a string"),
        ("map", "an object"),
        ("sequence", "a list"),
        ("unit value", "null"),
        ("null", "null"),
        ("Option value", "a value"),
        ("byte array", "bytes"),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| found.starts_with(prefix))
        .map(|(_, kind)| *kind)
        .unwrap_or("something else")
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

    /// The four shapes a value takes in the wrong place: each message names
    /// the path and the types, never the value.
    #[test]
    fn a_value_in_the_wrong_place_is_named_by_path_and_type_never_quoted() {
        let cases = [
            // A string where the list of tags belongs.
            (
                json!({"recipients": [{"id": "a", "rls_tags": "SECRET-AS-LIST"}]}),
                "recipients[0].rls_tags",
                "found a string, expected a sequence",
            ),
            // A bare string where a tag object belongs.
            (
                json!({"recipients": [{"id": "a", "rls_tags": ["SECRET-BARE-TAG"]}]}),
                "recipients[0].rls_tags[0]",
                "found a string, expected struct",
            ),
            // An object where a string belongs.
            (
                json!({"recipients": [{"id": {"SECRET-KEY": "SECRET-IN-OBJECT"}}]}),
                "recipients[0].id",
                "found an object, expected a string",
            ),
            // A number where a string belongs.
            (
                json!({"recipients": [{"id": "a", "rls_tags": [{"key": "k", "value": 987654321}]}]}),
                "recipients[0].rls_tags[0].value",
                "found an integer, expected a string",
            ),
        ];
        for (input, path, kinds) in cases {
            let err = parse::<ExportRequest>(input, "export request")
                .unwrap_err()
                .to_string();
            assert!(err.contains(path), "{err}");
            assert!(err.contains(kinds), "{err}");
            assert!(!err.contains("SECRET"), "{err}");
            assert!(!err.contains("987654321"), "{err}");
        }
    }

    #[test]
    fn an_unknown_variant_names_the_choices_not_the_value() {
        let err = parse::<ExportRequest>(
            json!({"file_groups": [{"format": "SECRET-FORMAT", "sheets": []}]}),
            "export request",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("file_groups[0].format"), "{err}");
        assert!(err.contains("PDF"), "{err}");
        assert!(!err.contains("SECRET"), "{err}");
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
