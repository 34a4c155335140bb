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
use crate::storage::S3Store;

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

    /// Downloads streamed into the bucket (asset bundles).
    pub fn transfer(&self) -> crate::storage::transfer::HttpToS3 {
        crate::storage::transfer::HttpToS3::new(&self.store())
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
            executions: SfnExecutions::new(&self.shared, settings.state_machine_arn),
            store: self.store(),
            slots: self.slots(),
            announcer: self.announcer()?,
            requests: RequestReader::new(),
            stack: settings.stack,
        })
    }
}

/// The API as the `api` binary serves it.
pub type HttpApi = Api<SfnExecutions, S3Store, DynamoCoordination, SfnCallbacks, EventBridgeEvents>;
