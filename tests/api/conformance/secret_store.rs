//! The secret store contract: per-offer data keys and the used-nonce ledger.

use chrono::{Duration, TimeZone, Utc};
use issuance::store::DataKey;
use uuid::Uuid;

use super::subjects::Subject;

fn random_key() -> DataKey {
    DataKey(rand::random())
}

/// The first key stored for an offer stays in force until it is destroyed; destroying
/// removes it for good (a second destroy finds nothing).
pub async fn a_data_key_is_created_once_and_destroyed_for_good(subject: &Subject) {
    let secrets = subject.secrets.as_ref();
    let offer = Uuid::new_v4();
    let (first, second) = (random_key(), random_key());
    assert_eq!(secrets.data_key(offer).await.unwrap(), None);
    assert_eq!(
        secrets
            .data_key_get_or_insert(offer, first.clone())
            .await
            .unwrap(),
        first
    );
    assert_eq!(
        secrets.data_key_get_or_insert(offer, second).await.unwrap(),
        first,
        "an existing key is never replaced"
    );
    assert_eq!(secrets.data_key(offer).await.unwrap(), Some(first.clone()));

    let other = Uuid::new_v4();
    let other_key = random_key();
    secrets
        .data_key_get_or_insert(other, other_key.clone())
        .await
        .unwrap();

    assert!(secrets.destroy_data_key(offer).await.unwrap());
    assert_eq!(secrets.data_key(offer).await.unwrap(), None);
    assert!(!secrets.destroy_data_key(offer).await.unwrap());
    assert_eq!(
        secrets.data_key(other).await.unwrap(),
        Some(other_key),
        "only the named offer's key is destroyed"
    );
}

/// Concurrent first uses of an offer's key all end up with the same key.
pub async fn racing_key_creation_agrees_on_one_key(subject: &Subject) {
    let offer = Uuid::new_v4();
    let mut racers = Vec::new();
    for _ in 0..16 {
        let secrets = subject.secrets.clone();
        racers.push(tokio::spawn(async move {
            secrets
                .data_key_get_or_insert(offer, random_key())
                .await
                .unwrap()
        }));
    }
    let mut keys = Vec::new();
    for racer in racers {
        keys.push(racer.await.unwrap());
    }
    assert!(keys.iter().all(|k| *k == keys[0]));
    assert_eq!(
        subject.secrets.data_key(offer).await.unwrap(),
        Some(keys[0].clone())
    );
}

/// A nonce is fresh once; purging forgets only nonces that expired.
pub async fn a_nonce_is_accepted_once_until_purged(subject: &Subject) {
    let secrets = subject.secrets.as_ref();
    let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let (early, late): ([u8; 32], [u8; 32]) = (rand::random(), rand::random());
    assert!(secrets
        .consume_nonce(early, now + Duration::seconds(60))
        .await
        .unwrap());
    assert!(secrets
        .consume_nonce(late, now + Duration::seconds(600))
        .await
        .unwrap());
    assert!(!secrets
        .consume_nonce(early, now + Duration::seconds(60))
        .await
        .unwrap());

    assert_eq!(secrets.purge_nonces(now).await.unwrap(), 0);
    assert!(!secrets
        .consume_nonce(early, now + Duration::seconds(60))
        .await
        .unwrap());
    assert_eq!(
        secrets
            .purge_nonces(now + Duration::seconds(120))
            .await
            .unwrap(),
        1
    );
    assert!(!secrets
        .consume_nonce(late, now + Duration::seconds(600))
        .await
        .unwrap());
    assert!(
        secrets
            .consume_nonce(early, now + Duration::seconds(60))
            .await
            .unwrap(),
        "a purged nonce is forgotten"
    );
}

/// Of many concurrent presentations of one nonce, exactly one is accepted.
pub async fn racing_nonce_consumption_has_one_winner(subject: &Subject) {
    let nonce: [u8; 32] = rand::random();
    let expires = Utc.timestamp_opt(1_900_000_000, 0).unwrap();
    let mut racers = Vec::new();
    for _ in 0..16 {
        let secrets = subject.secrets.clone();
        racers.push(tokio::spawn(async move {
            secrets.consume_nonce(nonce, expires).await.unwrap()
        }));
    }
    let mut accepted = 0;
    for racer in racers {
        accepted += usize::from(racer.await.unwrap());
    }
    assert_eq!(accepted, 1);
}

/// A vault entry reads back as stored; its name is taken for good; an unknown name reads
/// as none.
pub async fn a_vault_entry_is_stored_once_and_read_back(subject: &Subject) {
    use issuance::store::VaultEntry;
    let secrets = subject.secrets.as_ref();
    let entry = VaultEntry {
        key_ref: Uuid::new_v4().to_string(),
        issuer_id: "acme".into(),
        kid: "k1".into(),
        sealed: issuance_domain::Sealed {
            alg: "A256GCM".into(),
            nonce: "bm9uY2U".into(),
            ciphertext: "Y2lwaGVydGV4dA".into(),
        },
    };
    assert_eq!(secrets.vault_entry(&entry.key_ref).await.unwrap(), None);
    secrets.vault_insert(entry.clone()).await.unwrap();
    assert_eq!(
        secrets.vault_entry(&entry.key_ref).await.unwrap(),
        Some(entry.clone())
    );
    let mut again = entry.clone();
    again.kid = "k2".into();
    assert!(
        secrets.vault_insert(again).await.is_err(),
        "an entry is never replaced"
    );
    assert_eq!(
        secrets.vault_entry(&entry.key_ref).await.unwrap(),
        Some(entry)
    );
}
