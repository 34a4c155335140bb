//! Metrics in CloudWatch embedded metric format (EMF): one JSON object per
//! line on stdout, which CloudWatch Logs turns into metrics with no API call
//! and no extra permission. Lambda passes a custom runtime's stdout through
//! as is, so these lines sit beside the `tracing` JSON logs.
//!
//! Each record carries a `level`, the function's own application log level
//! (`AWS_LAMBDA_LOG_LEVEL`): Lambda's log-level filter gives a JSON line
//! without one the level INFO and drops it under WARN or ERROR, and with it
//! the metric behind the failed-recipients alarm. At the configured level
//! itself, a record passes whatever the setting.
//!
//! Every metric has one dimension, `Stack` (`STACK_NAME`), so a stack's
//! dashboard and alarms read one series per metric whatever the number of
//! runs; run, execution and job IDs go in as properties, which Logs Insights
//! can group by (docs/operating.md, "Metrics"). Names and IDs only, never a value.

use std::io::Write;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// The namespace when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "QuickSightExport";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Milliseconds,
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Seconds => "Seconds",
            Unit::Milliseconds => "Milliseconds",
            Unit::None => "None",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub unit: Unit,
    pub value: f64,
}

impl Metric {
    pub fn count(name: &'static str, value: usize) -> Self {
        Metric {
            name,
            unit: Unit::Count,
            value: value as f64,
        }
    }
    pub fn seconds(name: &'static str, value: f64) -> Self {
        Metric {
            name,
            unit: Unit::Seconds,
            value,
        }
    }
    pub fn milliseconds(name: &'static str, value: f64) -> Self {
        Metric {
            name,
            unit: Unit::Milliseconds,
            value,
        }
    }
    pub fn ratio(name: &'static str, value: f64) -> Self {
        Metric {
            name,
            unit: Unit::None,
            value,
        }
    }
}

/// Where metrics go: the namespace, the `Stack` dimension, and the level
/// their lines carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsTarget {
    pub namespace: String,
    pub stack: String,
    /// Lambda's application log level (TRACE to FATAL), upper case.
    pub level: String,
}

impl MetricsTarget {
    /// From `METRICS_NAMESPACE` and `STACK_NAME` (the template sets both;
    /// locally the stack is `local`), and `AWS_LAMBDA_LOG_LEVEL` (Lambda
    /// sets it from the function's logging config; INFO without one).
    pub fn from_env() -> Self {
        let read = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        MetricsTarget {
            namespace: read("METRICS_NAMESPACE", DEFAULT_NAMESPACE),
            stack: read("STACK_NAME", "local"),
            level: read("AWS_LAMBDA_LOG_LEVEL", "INFO").to_ascii_uppercase(),
        }
    }
}

/// One EMF record: `metrics` under the `Stack` dimension, with
/// `properties` beside them.
pub fn emf_record(
    target: &MetricsTarget,
    timestamp_ms: u64,
    metrics: &[Metric],
    properties: Map<String, Value>,
) -> Value {
    let mut record = properties;
    for metric in metrics {
        record.insert(metric.name.to_string(), json!(metric.value));
    }
    record.insert("Stack".into(), json!(target.stack));
    record.insert("level".into(), json!(target.level));
    record.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": target.namespace,
                "Dimensions": [["Stack"]],
                "Metrics": metrics
                    .iter()
                    .map(|m| json!({ "Name": m.name, "Unit": m.unit.as_str() }))
                    .collect::<Vec<_>>(),
            }],
        }),
    );
    Value::Object(record)
}

fn target() -> &'static MetricsTarget {
    static TARGET: OnceLock<MetricsTarget> = OnceLock::new();
    TARGET.get_or_init(MetricsTarget::from_env)
}

/// Writes one EMF record to stdout, as one line. `properties` must be a
/// JSON object of names and IDs.
pub fn emit(metrics: &[Metric], properties: Value) {
    let properties = match properties {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let record = emf_record(target(), crate::time::now_epoch_ms(), metrics, properties);
    // One write of a whole line, so it never interleaves with a log line.
    let line = format!("{record}\n");
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_declares_each_metric_under_the_stack_dimension() {
        let target = MetricsTarget {
            namespace: "NS".into(),
            stack: "prod".into(),
            level: "ERROR".into(),
        };
        let mut properties = Map::new();
        properties.insert("run_id".into(), json!("r1"));
        let record = emf_record(
            &target,
            1_700_000_000_000,
            &[
                Metric::count("Recipients", 3),
                Metric::seconds("MakespanSeconds", 12.5),
            ],
            properties,
        );
        assert_eq!(record["Recipients"], json!(3.0));
        assert_eq!(record["MakespanSeconds"], json!(12.5));
        assert_eq!(record["Stack"], "prod");
        // Kept by Lambda's log-level filter at the function's own level.
        assert_eq!(record["level"], "ERROR");
        assert_eq!(record["run_id"], "r1");
        let declared = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "NS");
        assert_eq!(declared["Dimensions"], json!([["Stack"]]));
        assert_eq!(
            declared["Metrics"],
            json!([
                { "Name": "Recipients", "Unit": "Count" },
                { "Name": "MakespanSeconds", "Unit": "Seconds" },
            ])
        );
        assert_eq!(record["_aws"]["Timestamp"], 1_700_000_000_000u64);
    }
}
