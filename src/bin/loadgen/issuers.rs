//! `--issuers N --configurations-per-issuer M`: before the load, creates N issuers managed
//! at runtime (`bench-000`, …), each with a generated signing key and M copies of the
//! default issuer's configuration (same claims, its own `vct`), and fetches their JWKS. The
//! flows then spread over them: flow n uses issuer n mod N and its configuration
//! (n / N) mod M, at the issuer's own identifier. An issuer that already exists (a rerun
//! against the same server) is taken as ready.

use reqwest::Client;
use serde_json::{json, Value};

use crate::args::Args;

/// One issuer the flows use.
pub struct BenchIssuer {
    /// Where offers are created: `{management}/issuers/{id}/offers`.
    pub offers_url: String,
    /// Its Credential Issuer Identifier (the wallet endpoints' base).
    pub base: String,
    /// Its configuration ids.
    pub configurations: Vec<String>,
}

async fn call(
    client: &Client,
    args: &Args,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let management = args.management.trim_end_matches('/');
    let mut request = client
        .request(method, format!("{management}{path}"))
        .bearer_auth(&args.admin_key);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

/// Creates (or finds) the issuers; returns them with the JWKS of each.
pub async fn prepare(
    args: &Args,
    client: &Client,
) -> anyhow::Result<(Vec<BenchIssuer>, Vec<Value>)> {
    let get = reqwest::Method::GET;
    let template_path = format!(
        "/issuers/default/credential-configurations/{}",
        args.configuration
    );
    let (status, template) = call(client, args, get.clone(), &template_path, None).await?;
    anyhow::ensure!(
        status == 200,
        "cannot read {template_path}: HTTP {status} {template}"
    );
    let template = template["configuration"].clone();
    let target = args.target.trim_end_matches('/');
    let mut issuers = Vec::new();
    let mut jwks = Vec::new();
    for i in 0..args.issuers {
        let id = format!("bench-{i:03}");
        let base = format!("{target}/{id}");
        let jwks_url = format!("{base}/.well-known/jwt-vc-issuer");
        // An issuer an earlier run prepared (served, so it has its key and configurations)
        // costs the measured run only this one read.
        let served = client.get(&jwks_url).send().await?;
        let (status, created) = if served.status().is_success() {
            (409, Value::Null)
        } else {
            let body = json!({"id": id, "display": [{"name": format!("Bench {i}")}]});
            call(client, args, reqwest::Method::POST, "/issuers", Some(&body)).await?
        };
        let configurations: Vec<String> = (0..args.configurations_per_issuer)
            .map(|j| format!("Cfg{j:02}"))
            .collect();
        match status {
            201 => {
                let keys = format!("/issuers/{id}/keys");
                let (status, key) =
                    call(client, args, reqwest::Method::POST, &keys, Some(&json!({}))).await?;
                anyhow::ensure!(status == 201, "key of {id}: HTTP {status} {key}");
                for configuration in &configurations {
                    let mut table = template.clone();
                    table["id"] = json!(configuration);
                    table["vct"] = json!(format!("https://bench.example/{id}/{configuration}"));
                    if let Some(members) = table.as_object_mut() {
                        members.remove("scope");
                    }
                    let path = format!("/issuers/{id}/credential-configurations/{configuration}");
                    let (status, answer) =
                        call(client, args, reqwest::Method::PUT, &path, Some(&table)).await?;
                    anyhow::ensure!(status == 201, "{path}: HTTP {status} {answer}");
                }
            }
            409 => {}
            _ => anyhow::bail!("create issuer {id}: HTTP {status} {created}"),
        }
        let document: Value = if status == 409 {
            served.json().await?
        } else {
            client
                .get(&jwks_url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?
        };
        jwks.push(document["jwks"].clone());
        issuers.push(BenchIssuer {
            offers_url: format!(
                "{}/issuers/{id}/offers",
                args.management.trim_end_matches('/')
            ),
            base,
            configurations,
        });
    }
    Ok((issuers, jwks))
}
