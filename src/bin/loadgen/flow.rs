//! One complete pre-authorized issuance flow, as a wallet (and the institution's backend
//! creating the offer) would run it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use josekit::jwk::Jwk;
use josekit::jws::alg::ecdsa::EcdsaJwsVerifier;
use josekit::jws::ES256;
use reqwest::{Client, Response};
use serde_json::{json, Value};

use crate::args::Args;
use crate::holder::HolderKey;
use crate::stats::Recorder;

/// What every flow shares: the client, URLs, and the issuer's verification keys.
pub struct FlowContext {
    client: Client,
    target: String,
    management: String,
    admin_key: String,
    credential_issuer: String,
    offer_body: Value,
    /// The offer body of every other configuration the issuers' flows use, built once
    /// (a JSON body cloned per flow would cost the load generator, not the server).
    offer_bodies: HashMap<String, Value>,
    /// The offer body naming the second receiver, and every how many flows it is used.
    other_offer: Option<(Value, u64)>,
    /// Callbacks due to the default receiver and to the second one so far.
    expected: [AtomicU64; 2],
    configuration: String,
    verify_every: u64,
    issuer_keys: HashMap<String, EcdsaJwsVerifier>,
    /// The issuers managed at runtime the flows spread over (none: the default issuer).
    issuers: Vec<crate::issuers::BenchIssuer>,
    /// Scale-out: each node's wallet base URL and offers URL (none: `target` only).
    nodes: Vec<(String, String)>,
}

/// Where one flow goes: its offer's creation URL, wallet base, identifier, configuration.
struct Target<'a> {
    offers_url: std::borrow::Cow<'a, str>,
    base: &'a str,
    credential_issuer: &'a str,
    configuration: &'a str,
}

/// Example claims for the built-in configurations (10 claims for the identity credential).
fn claims_for(configuration: &str) -> anyhow::Result<Value> {
    Ok(match configuration {
        "IdentityCredential" => json!({
            "given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
            "email": "erika@example.com", "is_over_18": true, "nationalities": ["DE", "FR"],
            "address": {"street_address": "Heidestraße 17", "locality": "Köln", "postal_code": "51147", "country": "DE"},
            "customer_number": "4711",
        }),
        "AccountOwnershipCredential" => json!({
            "account_holder": "Erika Mustermann", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX", "account_type": "checking",
        }),
        "AddressCredential" => {
            json!({"address": {"street_address": "Heidestraße 17", "locality": "Köln", "country": "DE"}})
        }
        // ISO mdoc: claims grouped by namespace (portrait: a 2 KiB stand-in, base64).
        "org.iso.18013.5.1.mDL" => json!({"org.iso.18013.5.1": {
            "family_name": "Mustermann", "given_name": "Erika", "birth_date": "1971-09-01",
            "issue_date": "2024-01-15", "expiry_date": "2034-01-14", "issuing_country": "DE",
            "issuing_authority": "Kraftfahrt-Bundesamt", "document_number": "T22000129",
            "portrait": "/9j/".repeat(684),
            "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2010-03-01"}],
            "un_distinguishing_sign": "D", "age_over_18": true,
        }}),
        other => anyhow::bail!("no example claims for configuration `{other}`"),
    })
}

impl FlowContext {
    /// Fetches the issuer metadata and JWKS once.
    pub async fn prepare(args: &Args, client: Client) -> anyhow::Result<FlowContext> {
        let target = args.target.trim_end_matches('/').to_string();
        let metadata: Value = client
            .get(format!("{target}/.well-known/openid-credential-issuer"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let credential_issuer = metadata["credential_issuer"]
            .as_str()
            .unwrap_or(&target)
            .to_string();
        let jwks: Value = client
            .get(format!("{target}/.well-known/jwt-vc-issuer"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let (issuers, issuer_jwks) = crate::issuers::prepare(args, &client).await?;
        let mut issuer_keys = HashMap::new();
        let every_jwks = std::iter::once(&jwks["jwks"]).chain(&issuer_jwks);
        for key in every_jwks.flat_map(|jwks| jwks["keys"].as_array().into_iter().flatten()) {
            let jwk = Jwk::from_bytes(serde_json::to_vec(key)?)?;
            if let Some(kid) = jwk.key_id() {
                issuer_keys.insert(kid.to_string(), ES256.verifier_from_jwk(&jwk)?);
            }
        }
        let offer_body = json!({
            "credential_configuration_id": args.configuration,
            "claims": claims_for(&args.configuration)?,
            "tx_code": {"length": 6, "input_mode": "numeric"},
        });
        let mut offer_bodies = HashMap::new();
        for configuration in issuers.iter().flat_map(|issuer| &issuer.configurations) {
            let mut body = offer_body.clone();
            body["credential_configuration_id"] = json!(configuration);
            offer_bodies.entry(configuration.clone()).or_insert(body);
        }
        let other_offer = args.other_callbacks.map(|address| {
            let mut body = offer_body.clone();
            body["callback_url"] = json!(format!("http://{address}/callbacks"));
            (body, args.other_every.max(1))
        });
        Ok(FlowContext {
            other_offer,
            expected: Default::default(),
            client,
            target,
            management: args.management.trim_end_matches('/').to_string(),
            admin_key: args.admin_key.clone(),
            credential_issuer,
            offer_body,
            offer_bodies,
            configuration: args.configuration.clone(),
            verify_every: args.verify_every,
            issuer_keys,
            issuers,
            nodes: args
                .nodes
                .iter()
                .map(|(wallet, management)| (wallet.clone(), format!("{management}/offers")))
                .collect(),
        })
    }

    /// Where flow `number` goes.
    fn target(&self, number: u64) -> Target<'_> {
        if !self.nodes.is_empty() {
            let (base, offers_url) = &self.nodes[(number % self.nodes.len() as u64) as usize];
            return Target {
                offers_url: offers_url.as_str().into(),
                base,
                credential_issuer: &self.credential_issuer,
                configuration: &self.configuration,
            };
        }
        if self.issuers.is_empty() {
            return Target {
                offers_url: format!("{}/offers", self.management).into(),
                base: &self.target,
                credential_issuer: &self.credential_issuer,
                configuration: &self.configuration,
            };
        }
        let count = self.issuers.len() as u64;
        let issuer = &self.issuers[(number % count) as usize];
        let configurations = issuer.configurations.len().max(1) as u64;
        let configuration = issuer
            .configurations
            .get(((number / count) % configurations) as usize)
            .map_or(self.configuration.as_str(), String::as_str);
        Target {
            offers_url: issuer.offers_url.as_str().into(),
            base: &issuer.base,
            credential_issuer: &issuer.base,
            configuration,
        }
    }

    /// Callbacks due so far: to the default receiver (0) or the second one (1).
    pub fn expected(&self, receiver: usize) -> u64 {
        self.expected[receiver].load(Ordering::Relaxed)
    }

    fn verify(&self, credential: &str) -> bool {
        if !credential.contains('.') {
            // Not a JWS: an mdoc's base64url IssuerSigned.
            return crate::mdoc_check::issuer_auth_verifies(credential);
        }
        let Some(jwt) = credential.split('~').next() else {
            return false;
        };
        let Ok(header) = josekit::jwt::decode_header(jwt) else {
            return false;
        };
        let Some(verifier) = header
            .claim("kid")
            .and_then(Value::as_str)
            .and_then(|kid| self.issuer_keys.get(kid))
        else {
            return false;
        };
        josekit::jwt::decode_with_verifier(jwt, verifier).is_ok()
    }
}

/// One flow by one wallet.
pub struct Flow<'a> {
    pub number: u64,
    pub wallet: usize,
    pub holder: &'a HolderKey,
    pub context: &'a FlowContext,
    pub recorder: &'a Recorder,
}

type StepResult<T> = Result<T, String>;

impl Flow<'_> {
    /// Runs the flow, recording latencies and the outcome.
    pub async fn run(self) {
        match self.steps().await {
            Ok(()) => self.recorder.success(),
            Err(kind) => self.recorder.failure(kind),
        }
    }

    async fn timed(
        &self,
        step: &'static str,
        request: reqwest::RequestBuilder,
    ) -> StepResult<Response> {
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| format!("{step}: transport: {}", transport_kind(&e)))?;
        self.recorder.request(step, started.elapsed());
        Ok(response)
    }

    async fn json(step: &'static str, response: Response, expected: u16) -> StepResult<Value> {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != expected {
            return Err(format!(
                "{step}: HTTP {status} {}",
                body["error"].as_str().unwrap_or("")
            ));
        }
        Ok(body)
    }

    async fn steps(&self) -> StepResult<()> {
        let c = self.context;
        let (body, receiver) = match &c.other_offer {
            Some((body, every)) if self.number % every == 0 => (body, 1),
            _ => (&c.offer_body, 0),
        };
        let target = c.target(self.number);
        let mut body = std::borrow::Cow::Borrowed(body);
        if target.configuration != c.configuration {
            match c.offer_bodies.get(target.configuration) {
                Some(prebuilt) if receiver == 0 => body = std::borrow::Cow::Borrowed(prebuilt),
                _ => body.to_mut()["credential_configuration_id"] = json!(target.configuration),
            }
        }
        let response = self
            .timed(
                "create_offer",
                c.client
                    .post(target.offers_url.as_ref())
                    .bearer_auth(&c.admin_key)
                    .json(&*body),
            )
            .await?;
        let created = Self::json("create_offer", response, 201).await?;
        // OFFER_CREATED.
        c.expected[receiver].fetch_add(1, Ordering::Relaxed);
        let offer_uri = created["credential_offer_uri"]
            .as_str()
            .ok_or("create_offer: no credential_offer_uri")?;
        let offer_url = url::Url::parse(offer_uri)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "credential_offer_uri")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or("create_offer: malformed credential_offer_uri")?;
        // Behind the "load balancer": the offer's URL under the identifier goes to the node.
        let offer_url = match offer_url.strip_prefix(target.credential_issuer) {
            Some(path) if target.base != target.credential_issuer => {
                format!("{}{path}", target.base)
            }
            _ => offer_url,
        };
        let tx_code = created["tx_code_value"]
            .as_str()
            .ok_or("create_offer: no tx_code_value")?
            .to_string();

        let response = self
            .timed("resolve_offer", c.client.get(&offer_url))
            .await?;
        let offer = Self::json("resolve_offer", response, 200).await?;
        let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
            ["pre-authorized_code"]
            .as_str()
            .ok_or("resolve_offer: no pre-authorized code")?
            .to_string();

        let form = [
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            ),
            ("pre-authorized_code", code.as_str()),
            ("tx_code", tx_code.as_str()),
        ];
        let response = self
            .timed(
                "token",
                c.client.post(format!("{}/token", target.base)).form(&form),
            )
            .await?;
        let token = Self::json("token", response, 200).await?;
        let access_token = token["access_token"]
            .as_str()
            .ok_or("token: no access_token")?
            .to_string();

        let response = self
            .timed("nonce", c.client.post(format!("{}/nonce", target.base)))
            .await?;
        let nonce = Self::json("nonce", response, 200).await?;
        let c_nonce = nonce["c_nonce"].as_str().ok_or("nonce: no c_nonce")?;

        let proof = self
            .holder
            .proof(target.credential_issuer, c_nonce)
            .map_err(|e| format!("proof: {e}"))?;
        let request = json!({"credential_configuration_id": target.configuration, "proofs": {"jwt": [proof]}});
        let response = self
            .timed(
                "credential",
                c.client
                    .post(format!("{}/credential", target.base))
                    .bearer_auth(&access_token)
                    .json(&request),
            )
            .await?;
        let issued = Self::json("credential", response, 200).await?;
        // ISSUED (the offer is complete).
        c.expected[receiver].fetch_add(1, Ordering::Relaxed);
        let credential = issued["credentials"][0]["credential"]
            .as_str()
            .ok_or("credential: no credential")?;
        if c.verify_every > 0 && self.number % c.verify_every == 0 {
            self.recorder.verification(c.verify(credential));
        }
        let notification_id = issued["notification_id"]
            .as_str()
            .ok_or("credential: no notification_id")?;

        let response = self
            .timed(
                "notification",
                c.client
                    .post(format!("{}/notification", target.base))
                    .bearer_auth(&access_token)
                    .json(&json!({"notification_id": notification_id, "event": "credential_accepted"})),
            )
            .await?;
        let status = response.status().as_u16();
        if status != 204 {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            return Err(format!("notification: HTTP {status} {body}"));
        }
        let _ = self.wallet;
        Ok(())
    }
}

fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "other"
    }
}
