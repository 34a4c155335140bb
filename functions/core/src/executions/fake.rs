//! An in-memory [`Executions`] for unit tests: started executions stay
//! RUNNING until a test finishes or stops them.

use std::sync::Mutex;

use super::{ExecutionInfo, ExecutionPage, ExecutionSummary, Executions, ExecutionsError, Started};

#[derive(Default)]
pub struct FakeExecutions {
    /// In start order.
    executions: Mutex<Vec<ExecutionInfo>>,
}

impl FakeExecutions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Ends an execution with `status` (SUCCEEDED, FAILED...).
    pub fn finish(&self, name: &str, status: &str) {
        let mut executions = self.executions.lock().unwrap();
        let e = executions
            .iter_mut()
            .find(|e| e.name == name)
            .expect("a started execution");
        e.status = status.to_string();
        e.stopped_at = Some("2026-12-01T07:00:00Z".into());
    }

    pub fn names(&self) -> Vec<String> {
        let executions = self.executions.lock().unwrap();
        executions.iter().map(|e| e.name.clone()).collect()
    }
}

impl Executions for FakeExecutions {
    async fn start(&self, name: &str, input: String) -> Result<Started, ExecutionsError> {
        let mut executions = self.executions.lock().unwrap();
        if executions.iter().any(|e| e.name == name) {
            return Ok(Started::AlreadyExists);
        }
        let arn = format!("arn:aws:states:us-east-1:123456789012:execution:export:{name}");
        executions.push(ExecutionInfo {
            arn: arn.clone(),
            name: name.to_string(),
            status: "RUNNING".into(),
            input: Some(input),
            output: None,
            error: None,
            cause: None,
            started_at: Some("2026-12-01T06:00:00Z".into()),
            stopped_at: None,
        });
        Ok(Started::New { arn })
    }

    async fn describe(&self, name: &str) -> Result<Option<ExecutionInfo>, ExecutionsError> {
        let executions = self.executions.lock().unwrap();
        Ok(executions.iter().find(|e| e.name == name).cloned())
    }

    async fn list(
        &self,
        status: Option<&str>,
        next_token: Option<&str>,
        limit: u32,
    ) -> Result<ExecutionPage, ExecutionsError> {
        let executions = self.executions.lock().unwrap();
        let skip: usize = next_token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let matching: Vec<ExecutionSummary> = executions
            .iter()
            .rev()
            .filter(|e| status.is_none_or(|s| e.status == s))
            .map(|e| ExecutionSummary {
                name: e.name.clone(),
                status: e.status.clone(),
                started_at: e.started_at.clone(),
                stopped_at: e.stopped_at.clone(),
            })
            .collect();
        let page: Vec<_> = matching
            .iter()
            .skip(skip)
            .take(limit as usize)
            .cloned()
            .collect();
        let next = skip + page.len();
        Ok(ExecutionPage {
            executions: page,
            next_token: (next < matching.len()).then(|| next.to_string()),
        })
    }

    async fn stop(&self, name: &str, error: &str, cause: &str) -> Result<(), ExecutionsError> {
        let mut executions = self.executions.lock().unwrap();
        if let Some(e) = executions
            .iter_mut()
            .find(|e| e.name == name && e.status == "RUNNING")
        {
            e.status = "ABORTED".into();
            e.error = Some(error.into());
            e.cause = Some(cause.into());
            e.stopped_at = Some("2026-12-01T07:00:00Z".into());
        }
        Ok(())
    }
}
