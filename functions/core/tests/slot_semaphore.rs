//! The account-wide slot semaphore over the in-memory table and callbacks:
//! the cap holds, a freed slot is handed over at once and fairly, a gone
//! waiter costs nothing, and the reaper frees what a dead run held.

use export_core::callbacks::fake::FakeCallbacks;
use export_core::coordination::memory::MemoryCoordination;
use export_core::coordination::semaphore::{SlotService, holder_of};
use export_core::coordination::{Holder, Lease, SlotKind, SlotTable};
use export_core::model::{RecipientRef, RunRef, SlotGrant, TakeSlotInput};
use export_core::settings::{RunSettings, SharedLimits};
use serde_json::json;

const NOW: u64 = 1_800_000_000_000;

fn service(cap: u32) -> SlotService<MemoryCoordination, FakeCallbacks> {
    SlotService {
        table: MemoryCoordination::new(),
        callbacks: FakeCallbacks::new(),
        limits: SharedLimits {
            slot_cap: cap,
            calls_per_second: 8,
            bundle_slot_cap: 5,
        },
    }
}

fn run(execution: &str) -> RunRef {
    serde_json::from_value(json!({
        "run_id": execution,
        "execution_id": execution,
        "bucket": "b",
        "run_prefix": format!("p/{execution}"),
        "request": { "bucket": "b", "key": "k", "etag": "\"e\"" },
        "recipients": 100,
        "settings": RunSettings::default(),
    }))
    .unwrap()
}

fn ask(execution: &str, recipient: &str) -> TakeSlotInput {
    TakeSlotInput {
        run: run(execution),
        recipient: RecipientRef {
            index: 0,
            id: recipient.into(),
        },
        task_token: token(execution, recipient),
    }
}

fn token(execution: &str, recipient: &str) -> String {
    format!("token/{execution}/{recipient}")
}

async fn live_leases(slots: &SlotService<MemoryCoordination, FakeCallbacks>) -> Vec<Lease> {
    slots.table.leases(SlotKind::Snapshot).await.unwrap()
}

fn resumed(slots: &SlotService<MemoryCoordination, FakeCallbacks>) -> Vec<String> {
    slots
        .callbacks
        .delivered()
        .into_iter()
        .map(|(token, _)| token)
        .collect()
}

#[tokio::test]
async fn a_free_slot_resumes_the_asker_at_once_with_its_grant_time() {
    let slots = service(12);
    assert_eq!(slots.take(ask("run-a", "r1"), NOW).await.unwrap(), 1);
    let delivered = slots.callbacks.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].0, token("run-a", "r1"));
    let grant: SlotGrant = serde_json::from_str(&delivered[0].1).unwrap();
    assert_eq!(grant.granted_at, NOW / 1000);
    let leases = live_leases(&slots).await;
    assert_eq!(leases.len(), 1);
    // The lease lasts the run's deadline and a grace.
    assert_eq!(leases[0].expires_at_ms, NOW + (3600 + 600) * 1000);
    assert!(
        slots
            .table
            .waiters(SlotKind::Snapshot)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_cap_holds_and_a_released_slot_goes_to_the_next_waiter_at_once() {
    let slots = service(2);
    for r in ["r1", "r2", "r3", "r4"] {
        slots.take(ask("run-a", r), NOW).await.unwrap();
    }
    assert_eq!(
        resumed(&slots),
        [token("run-a", "r1"), token("run-a", "r2")]
    );
    assert_eq!(live_leases(&slots).await.len(), 2);

    slots
        .release(&holder_of("run-a", "r1"), NOW + 5)
        .await
        .unwrap();
    assert_eq!(resumed(&slots).len(), 3);
    assert_eq!(
        resumed(&slots)[2],
        token("run-a", "r3"),
        "the oldest waiter"
    );
    assert_eq!(live_leases(&slots).await.len(), 2);

    // Releasing again, or a recipient that never had a slot, frees nothing more.
    slots
        .release(&holder_of("run-a", "r1"), NOW + 6)
        .await
        .unwrap();
    slots
        .release(&holder_of("run-a", "never"), NOW + 6)
        .await
        .unwrap();
    assert_eq!(resumed(&slots).len(), 3);
    assert_eq!(live_leases(&slots).await.len(), 2);
}

#[tokio::test]
async fn runs_share_the_slots_fairly_whoever_asked_first() {
    let slots = service(4);
    // A large run asks for everything first.
    for r in 1..=10 {
        slots
            .take(ask("big", &format!("b{r}")), NOW + r)
            .await
            .unwrap();
    }
    // A small run asks later; every slot freed goes to it until it holds
    // as many as the big run.
    slots.take(ask("small", "s1"), NOW + 20).await.unwrap();
    slots.take(ask("small", "s2"), NOW + 21).await.unwrap();
    slots
        .release(&holder_of("big", "b1"), NOW + 30)
        .await
        .unwrap();
    slots
        .release(&holder_of("big", "b2"), NOW + 31)
        .await
        .unwrap();
    let order = resumed(&slots);
    assert_eq!(order[4..], [token("small", "s1"), token("small", "s2")]);
    // Two each now: the next freed slot goes back to the big run.
    slots
        .release(&holder_of("small", "s1"), NOW + 40)
        .await
        .unwrap();
    assert_eq!(resumed(&slots).last().unwrap(), &token("big", "b5"));
}

#[tokio::test]
async fn a_waiter_that_is_gone_costs_no_slot_and_one_that_asks_again_keeps_its_place() {
    let slots = service(1);
    slots.take(ask("run-a", "r1"), NOW).await.unwrap();
    slots.take(ask("run-a", "r2"), NOW + 1).await.unwrap();
    slots.take(ask("run-a", "r3"), NOW + 2).await.unwrap();
    // r2's task timed out: its token is dead. It asks again, later, with a
    // new token, and keeps its place in line.
    slots.callbacks.forget(&token("run-a", "r2"));
    let mut again = ask("run-a", "r2");
    again.task_token = "token/run-a/r2/second".into();
    slots.take(again, NOW + 50).await.unwrap();
    slots
        .release(&holder_of("run-a", "r1"), NOW + 60)
        .await
        .unwrap();
    assert_eq!(resumed(&slots).last().unwrap(), "token/run-a/r2/second");

    // r3's execution ended unseen: the slot skips it and nobody holds it.
    slots.callbacks.forget(&token("run-a", "r3"));
    slots
        .release(&holder_of("run-a", "r2"), NOW + 70)
        .await
        .unwrap();
    assert!(live_leases(&slots).await.is_empty());
    assert!(
        slots
            .table
            .waiters(SlotKind::Snapshot)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_reaper_frees_a_dead_runs_slots_and_hands_them_to_the_living() {
    let slots = service(2);
    slots.take(ask("dead", "d1"), NOW).await.unwrap();
    slots.take(ask("dead", "d2"), NOW).await.unwrap();
    slots.take(ask("dead", "d3"), NOW).await.unwrap();
    slots.take(ask("alive", "a1"), NOW + 1).await.unwrap();
    let reaped = slots.reap("dead", NOW + 10).await.unwrap();
    assert_eq!(
        (reaped.leases, reaped.waiters, reaped.handed_over),
        (2, 1, 1)
    );
    let leases = live_leases(&slots).await;
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].holder, holder_of("alive", "a1"));
    // Reaping again finds nothing.
    let again = slots.reap("dead", NOW + 11).await.unwrap();
    assert_eq!((again.leases, again.waiters), (0, 0));
}

#[tokio::test]
async fn a_lease_nobody_released_stops_counting_when_it_expires() {
    let slots = service(1);
    let lost = Lease {
        holder: Holder {
            run: "vanished".into(),
            recipient: "x".into(),
        },
        granted_at_ms: NOW,
        expires_at_ms: NOW + 1000,
    };
    assert!(
        slots
            .table
            .grant(SlotKind::Snapshot, &lost, 1)
            .await
            .unwrap()
    );
    slots.take(ask("run-a", "r1"), NOW + 10).await.unwrap();
    assert!(resumed(&slots).is_empty(), "the cap is taken");
    slots.take(ask("run-a", "r2"), NOW + 2000).await.unwrap();
    assert_eq!(resumed(&slots), [token("run-a", "r1")]);
    let leases = live_leases(&slots).await;
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].holder, holder_of("run-a", "r1"));
}

#[tokio::test]
async fn a_recipient_recorded_while_it_waited_is_never_handed_a_slot() {
    let slots = service(1);
    slots.take(ask("run-a", "r1"), NOW).await.unwrap();
    slots.take(ask("run-a", "r2"), NOW + 1).await.unwrap();
    // r2's "Take a slot" failed and its failure was recorded: it gives back
    // what it may hold, and stops waiting.
    slots
        .release(&holder_of("run-a", "r2"), NOW + 2)
        .await
        .unwrap();
    slots
        .release(&holder_of("run-a", "r1"), NOW + 3)
        .await
        .unwrap();
    assert_eq!(resumed(&slots), [token("run-a", "r1")]);
    assert!(live_leases(&slots).await.is_empty());
    assert!(
        slots
            .table
            .waiters(SlotKind::Snapshot)
            .await
            .unwrap()
            .is_empty()
    );
}
