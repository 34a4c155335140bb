//! One contract for the `ObjectStore` port, run against both adapters: the
//! in-memory fake the step tests use and the real one (`aws-sdk-s3`) on
//! moto's S3: create-only writes, reads pinned by ETag, what a missing
//! object is, and listings in key order, whole and by page.
//!
//! Needs the project's pinned moto (`scripts/setup` installs it).

use export_core::storage::memory::MemoryStore;
use export_core::storage::{ObjectStore, PutMode, S3Store, StorageError};

mod common;

use common::moto::start_moto;

const BUCKET: &str = "contract-bucket";

/// Runs `$contract` against the fake and against S3 on moto.
macro_rules! contract {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn memory() {
                super::$name(&super::MemoryStore::new()).await;
            }

            #[tokio::test]
            async fn s3_on_moto() {
                let moto = super::start_moto().await;
                let shared = super::common::shared_config();
                let config = aws_sdk_s3::config::Builder::from(&shared)
                    .endpoint_url(&moto.endpoint)
                    .force_path_style(true)
                    .build();
                aws_sdk_s3::Client::from_conf(config)
                    .create_bucket()
                    .bucket(super::BUCKET)
                    .send()
                    .await
                    .expect("the bucket is created");
                let store = super::S3Store::new(&shared, Some(moto.endpoint.as_str()));
                super::$name(&store).await;
            }
        }
    };
}

contract!(a_create_only_write_keeps_the_first_object);
contract!(a_read_pinned_by_etag_fails_once_the_object_changed);
contract!(a_missing_object_is_not_found);
contract!(listings_come_in_key_order_whole_and_by_page);

async fn a_create_only_write_keeps_the_first_object(store: &impl ObjectStore) {
    let key = "runs/r/outcomes/acme.json";
    store
        .put_json(
            BUCKET,
            key,
            br#"{"first":true}"#.to_vec(),
            PutMode::CreateOnly,
        )
        .await
        .unwrap();
    let error = store
        .put_json(
            BUCKET,
            key,
            br#"{"first":false}"#.to_vec(),
            PutMode::CreateOnly,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, StorageError::ConditionFailed { .. }),
        "{error:?}"
    );
    let kept = store.get(BUCKET, key, None).await.unwrap();
    assert_eq!(kept.body, br#"{"first":true}"#);
    // Overwrite replaces.
    store
        .put_json(
            BUCKET,
            key,
            br#"{"second":true}"#.to_vec(),
            PutMode::Overwrite,
        )
        .await
        .unwrap();
    assert_eq!(
        store.get(BUCKET, key, None).await.unwrap().body,
        br#"{"second":true}"#
    );
}

async fn a_read_pinned_by_etag_fails_once_the_object_changed(store: &impl ObjectStore) {
    let key = "requests/november.json";
    store
        .put_json(BUCKET, key, b"{\"v\":1}".to_vec(), PutMode::Overwrite)
        .await
        .unwrap();
    let first = store.get(BUCKET, key, None).await.unwrap();
    let etag = first.etag.clone().expect("an object has an ETag");
    assert_eq!(
        store.get(BUCKET, key, Some(&etag)).await.unwrap().body,
        first.body
    );
    store
        .put_json(BUCKET, key, b"{\"v\":2}".to_vec(), PutMode::Overwrite)
        .await
        .unwrap();
    let error = store.get(BUCKET, key, Some(&etag)).await.unwrap_err();
    assert!(
        matches!(error, StorageError::ConditionFailed { .. }),
        "{error:?}"
    );
}

async fn a_missing_object_is_not_found(store: &impl ObjectStore) {
    let error = store
        .get(BUCKET, "runs/r/run.json", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StorageError::NotFound { bucket, key } if bucket == BUCKET && key == "runs/r/run.json"),
        "{error:?}"
    );
}

async fn listings_come_in_key_order_whole_and_by_page(store: &impl ObjectStore) {
    for id in ["c", "a", "e", "b", "d"] {
        store
            .put_json(
                BUCKET,
                &format!("runs/r/outcomes/{id}.json"),
                b"{}".to_vec(),
                PutMode::Overwrite,
            )
            .await
            .unwrap();
    }
    store
        .put_json(
            BUCKET,
            "runs/other/x.json",
            b"{}".to_vec(),
            PutMode::Overwrite,
        )
        .await
        .unwrap();
    let all = store.list(BUCKET, "runs/r/outcomes/").await.unwrap();
    let names: Vec<&str> = all
        .iter()
        .map(|k| k.trim_start_matches("runs/r/outcomes/"))
        .collect();
    assert_eq!(names, ["a.json", "b.json", "c.json", "d.json", "e.json"]);

    let first = store
        .list_page(BUCKET, "runs/r/outcomes/", None, 2)
        .await
        .unwrap();
    assert_eq!(first.keys, all[..2]);
    assert!(first.more);
    let last = store
        .list_page(BUCKET, "runs/r/outcomes/", Some(&all[2]), 2)
        .await
        .unwrap();
    assert_eq!(last.keys, all[3..]);
    assert!(!last.more);
}
