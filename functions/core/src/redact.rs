//! Keeping tag and parameter values out of error messages.
//!
//! Our own messages never include them (the model wraps them in
//! `Sensitive`). QuickSight's messages are not ours: an answer to a Start
//! could quote a value it refused. A function that sent values redacts them
//! from any message it passes on, because a Lambda error message lands in the
//! execution history and the outcome.

use crate::model::{DashboardParameters, Recipient};

/// The values one job sent to QuickSight.
#[derive(Default)]
pub struct SecretValues(Vec<String>);

/// Values this short are left alone: replacing every "7" or "EU" in a
/// message would garble it while hiding almost nothing.
const MIN_REDACTED_CHARS: usize = 3;

impl SecretValues {
    pub fn of_job(parameters: Option<&DashboardParameters>, recipient: &Recipient) -> Self {
        let mut values: Vec<String> = Vec::new();
        for tag in recipient.rls_tags.iter().flatten() {
            values.push(tag.value.expose().clone());
        }
        if let Some(p) = parameters {
            for s in p.string.iter().chain(&p.datetime) {
                values.extend(s.values.iter().map(|v| v.expose().clone()));
            }
            for s in &p.integer {
                values.extend(s.values.iter().map(|v| v.expose().to_string()));
            }
            for s in &p.decimal {
                values.extend(s.values.iter().map(|v| v.expose().to_string()));
            }
        }
        values.retain(|v| v.chars().count() >= MIN_REDACTED_CHARS);
        // Longest first, so a value that contains another is hidden whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        SecretValues(values)
    }

    /// `text` with every value replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.0 {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Parameter, RlsTag, Sensitive};

    #[test]
    fn tag_and_parameter_values_are_hidden_from_messages() {
        let recipient = Recipient {
            id: "acme".into(),
            rls_tags: Some(vec![RlsTag {
                key: "tenant".into(),
                value: Sensitive("ACME-7731".into()),
            }]),
        };
        let parameters = DashboardParameters {
            integer: vec![Parameter {
                name: "TopN".into(),
                values: vec![Sensitive(123456)],
            }],
            ..Default::default()
        };
        let secrets = SecretValues::of_job(Some(&parameters), &recipient);
        let shown = secrets.redact("tag ACME-7731 refused; TopN 123456 too large for tenant");
        assert_eq!(shown, "tag *** refused; TopN *** too large for tenant");
    }
}
