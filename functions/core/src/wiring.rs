//! How the Lambda binaries build what their steps need, once at init, from
//! the environment: one AWS configuration, the clients made from it, and
//! the settings, checked (a bad deployment fails at init, loudly).

use aws_config::SdkConfig;

use crate::api::Api;
use crate::callbacks::SfnCallbacks;
use crate::coordination::DynamoCoordination;
use crate::coordination::semaphore::SlotService;
use crate::delivery::Announcer;
use crate::error::ExportError;
use crate::events::EventBridgeEvents;
use crate::executions::SfnExecutions;
use crate::quicksight::budgeted::Budgeted;
use crate::quicksight::sdk::{self, SdkSnapshotJobs};
use crate::request_store::RequestReader;
use crate::settings::{ApiSettings, DeliverySettings};
use crate::settings::{SharedLimits, coordination_table_from_env};
use crate::steps::{Ports, Steps};
use crate::storage::S3Store;
use crate::storage::transfer::HttpToS3;

/// QuickSight as the steps call it: the SDK adapter inside the account's
/// call budget.
pub type QuickSight = Budgeted<SdkSnapshotJobs, DynamoCoordination>;

/// The slot semaphore as the steps use it.
pub type Slots = SlotService<DynamoCoordination, SfnCallbacks>;

/// Everything a function may need; each binary takes what it uses.
pub struct Wiring {
    pub shared: SdkConfig,
    pub limits: SharedLimits,
    pub coordination: DynamoCoordination,
}

impl Wiring {
    /// The AWS configuration, `SLOT_CAP`, `QUICKSIGHT_CALLS_PER_SECOND` and
    /// `COORDINATION_TABLE`.
    pub async fn from_env() -> Result<Self, ExportError> {
        let limits = SharedLimits::from_env()?;
        let table = coordination_table_from_env()?;
        let shared = crate::aws::load_aws_config().await;
        let coordination = DynamoCoordination::new(&shared, table);
        Ok(Wiring {
            shared,
            limits,
            coordination,
        })
    }

    pub fn quicksight(&self) -> QuickSight {
        let endpoint = std::env::var(sdk::ENDPOINT_ENV)
            .ok()
            .filter(|s| !s.is_empty());
        Budgeted::new(
            SdkSnapshotJobs::new(sdk::quicksight_client(&self.shared, endpoint.as_deref())),
            self.coordination.clone(),
            self.limits.call_spacing_ms(),
        )
    }

    pub fn slots(&self) -> Slots {
        SlotService {
            table: self.coordination.clone(),
            callbacks: SfnCallbacks::new(&self.shared),
            limits: self.limits.clone(),
        }
    }

    pub fn store(&self) -> S3Store {
        S3Store::new(
            &self.shared,
            crate::storage::s3::endpoint_from_env().as_deref(),
        )
    }

    /// The events and download links: `EVENT_BUS_NAME`, `LINK_EXPIRY_SECONDS`.
    pub fn announcer(&self) -> Result<Announcer<EventBridgeEvents>, ExportError> {
        let settings = DeliverySettings::from_env()?;
        Ok(Announcer {
            events: EventBridgeEvents::new(&self.shared, settings.event_bus),
            link_expiry: settings.link_expiry,
        })
    }

    /// The API: `STATE_MACHINE_ARN`, the stack's place (`EXPORT_BUCKET`,
    /// `AWS_REGION`, `STACK_ACCOUNT_ID`), and the announcer's.
    pub fn api(&self) -> Result<HttpApi, ExportError> {
        let settings = ApiSettings::from_env()?;
        Ok(Api {
            steps: self.steps()?,
            executions: SfnExecutions::new(&self.shared, settings.state_machine_arn),
            stack: settings.stack,
        })
    }
}

/// The real ports: the SDK adapters the functions run with.
pub struct Aws;

impl Ports for Aws {
    type QuickSight = QuickSight;
    type Store = S3Store;
    type Transfer = HttpToS3;
    type Durations = DynamoCoordination;
    type Slots = DynamoCoordination;
    type Callbacks = SfnCallbacks;
    type Events = EventBridgeEvents;
    type Executions = SfnExecutions;
}

impl Wiring {
    /// Every port a step may call, built once at init (building a client
    /// sends nothing).
    pub fn steps(&self) -> Result<Steps<Aws>, ExportError> {
        let store = self.store();
        Ok(Steps {
            quicksight: self.quicksight(),
            transfer: HttpToS3::new(&store),
            store,
            durations: self.coordination.clone(),
            slots: self.slots(),
            announcer: self.announcer()?,
            // Kept across invocations: a warm instance reads a run's request once.
            requests: RequestReader::new(),
        })
    }
}

/// A step function's runtime loop: the steps built once at init from the
/// environment (a bad deployment fails there, loudly), each event's payload
/// handed to `handler`, its error named for the state machine.
pub async fn serve<H, F>(handler: H) -> Result<(), lambda_runtime::Error>
where
    H: Fn(&'static Steps<Aws>, serde_json::Value) -> F,
    F: std::future::Future<Output = Result<serde_json::Value, ExportError>>,
{
    // The steps live as long as the process: leaked once, borrowed by every event.
    let steps: &'static Steps<Aws> = Box::leak(Box::new(Wiring::from_env().await?.steps()?));
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let answer = handler(steps, event.payload);
            async move { answer.await.map_err(lambda_runtime::Diagnostic::from) }
        },
    ))
    .await
}

/// The API as the `api` binary serves it.
pub type HttpApi = Api<Aws>;
