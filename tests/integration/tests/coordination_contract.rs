//! One contract for each coordination port (`SlotTable`, `CallBudget`,
//! `DurationLog`), run against both adapters: the in-memory fake the step
//! tests use and the real one (`aws-sdk-dynamodb`) on moto's DynamoDB, as
//! DynamoDB evaluates the conditional writes. A fake that drifts from the
//! table fails here, not in a deployed stack.
//!
//! Needs the project's pinned moto (`scripts/setup` installs it; the tests
//! find it themselves, whatever PATH says).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use export_core::coordination::memory::MemoryCoordination;
use export_core::coordination::{
    CallBudget, DurationLog, DynamoCoordination, Holder, Lease, SlotKind, SlotTable, Waiter,
};

mod common;

use common::moto::{Moto, start_moto};

/// Runs `$contract` against the fake and against the table on moto.
macro_rules! contract {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn memory() {
                super::$name(&super::MemoryCoordination::new()).await;
            }

            #[tokio::test]
            async fn dynamodb_on_moto() {
                let moto = super::start_moto().await;
                super::$name(&super::table(&moto).await).await;
            }
        }
    };
}

contract!(leases_are_granted_up_to_the_cap_once_per_holder_and_revoked_by_grant);
contract!(a_waiter_keeps_its_place_with_a_new_token_and_is_removed_only_with_its_token);
contract!(the_budget_spaces_calls_and_catches_up_with_the_clock_after_a_quiet_spell);
contract!(recent_durations_come_newest_first);
contract!(the_planner_reads_the_90th_percentile_of_the_recorded_jobs);

async fn table(moto: &Moto) -> DynamoCoordination {
    let config = aws_sdk_dynamodb::config::Builder::from(&common::shared_config())
        .endpoint_url(&moto.endpoint)
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name("coordination")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .send()
        .await
        .expect("the table is created");
    DynamoCoordination::from_client(client, "coordination")
}

fn lease(run: &str, recipient: &str, granted_at_ms: u64) -> Lease {
    Lease {
        holder: Holder {
            run: run.into(),
            recipient: recipient.into(),
        },
        granted_at_ms,
        expires_at_ms: granted_at_ms + 60_000,
    }
}

async fn leases_are_granted_up_to_the_cap_once_per_holder_and_revoked_by_grant(
    table: &impl SlotTable,
) {
    let kind = SlotKind::Snapshot;
    assert!(table.leases(kind).await.unwrap().is_empty());
    // The first grant ever creates the leases item.
    assert!(
        table
            .grant(kind, &lease("arn:run:1", "a", 1), 2)
            .await
            .unwrap()
    );
    assert!(
        !table
            .grant(kind, &lease("arn:run:1", "a", 2), 2)
            .await
            .unwrap(),
        "once per holder"
    );
    assert!(
        table
            .grant(kind, &lease("arn:run:2", "b", 3), 2)
            .await
            .unwrap()
    );
    assert!(
        !table
            .grant(kind, &lease("arn:run:2", "c", 4), 2)
            .await
            .unwrap(),
        "the cap"
    );
    let leases = table.leases(kind).await.unwrap();
    assert_eq!(leases.len(), 2);
    let a = leases.iter().find(|l| l.holder.recipient == "a").unwrap();
    assert_eq!((a.holder.run.as_str(), a.granted_at_ms), ("arn:run:1", 1));

    // Revoking another grant of the same holder leaves the lease.
    assert!(!table.revoke(kind, &a.holder, Some(99)).await.unwrap());
    assert!(table.revoke(kind, &a.holder, Some(1)).await.unwrap());
    assert!(
        !table.revoke(kind, &a.holder, None).await.unwrap(),
        "gone already"
    );
    assert!(
        table
            .grant(kind, &lease("arn:run:2", "c", 5), 2)
            .await
            .unwrap()
    );
}

async fn a_waiter_keeps_its_place_with_a_new_token_and_is_removed_only_with_its_token(
    table: &impl SlotTable,
) {
    let kind = SlotKind::Snapshot;
    let holder = Holder {
        run: "arn:run:1".into(),
        recipient: "a".into(),
    };
    let waiter = |token: &str, since_ms| Waiter {
        holder: holder.clone(),
        task_token: token.into(),
        since_ms,
        lease_seconds: 4200,
    };
    table.add_waiter(kind, &waiter("t1", 10)).await.unwrap();
    table.add_waiter(kind, &waiter("t2", 99)).await.unwrap();
    let waiters = table.waiters(kind).await.unwrap();
    assert_eq!(waiters, [waiter("t2", 10)]);
    assert!(!table.remove_waiter(kind, &holder, "t1").await.unwrap());
    assert!(table.remove_waiter(kind, &holder, "t2").await.unwrap());
    assert!(table.waiters(kind).await.unwrap().is_empty());
}

async fn the_budget_spaces_calls_and_catches_up_with_the_clock_after_a_quiet_spell(
    table: &impl CallBudget,
) {
    let now = 1_800_000_000_000;
    let first = table.reserve(125, now).await.unwrap();
    assert!(first >= now && first < now + 250, "{first}");
    let mut last = first;
    for _ in 0..5 {
        let next = table.reserve(125, now).await.unwrap();
        assert_eq!(next, last + 125, "evenly spaced");
        last = next;
    }
    // Ten seconds later the budget starts again at the clock, not behind it.
    let later = table.reserve(125, now + 10_000).await.unwrap();
    assert!((now + 10_000..now + 10_250).contains(&later), "{later}");
}

async fn recent_durations_come_newest_first(table: &impl DurationLog) {
    for (i, seconds) in [30.0, 31.5, 29.0].into_iter().enumerate() {
        table
            .record(
                "acct#us-east-1#sales",
                &format!("job-{i}"),
                1_000 + i as u64,
                seconds,
            )
            .await
            .unwrap();
    }
    table
        .record("acct#us-east-1#other", "job-x", 5_000, 99.0)
        .await
        .unwrap();
    let recent = table.recent("acct#us-east-1#sales", 2).await.unwrap();
    assert_eq!(recent, [29.0, 31.5]);
}

async fn the_planner_reads_the_90th_percentile_of_the_recorded_jobs(table: &impl DurationLog) {
    let dashboard = "acct#us-east-1#sales";
    assert_eq!(
        export_core::planning::recorded_job_seconds(table, dashboard)
            .await
            .unwrap(),
        None
    );
    for s in 1..=10u32 {
        table
            .record(
                dashboard,
                &format!("job-{s}"),
                1_000_000 + u64::from(s),
                f64::from(s) * 6.0,
            )
            .await
            .unwrap();
    }
    let recorded = export_core::planning::recorded_job_seconds(table, dashboard)
        .await
        .unwrap()
        .expect("ten jobs are recorded");
    assert_eq!(recorded.jobs, 10);
    assert_eq!(recorded.seconds, 54.0);
}
