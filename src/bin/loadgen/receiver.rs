//! A built-in status-callback receiver for the callback benchmark: verifies every
//! signature (HMAC over `"<t>.<raw body>"`), counts callbacks per offer and status (with
//! duplicates and per-offer order), and measures each delivery's delay from the event's
//! `occurredAt` to its arrival.
//!
//! Modes: `fast` (200 at once, keep-alive), `slow` (200 after a fixed delay), `failing`
//! (503 at once), `slow-accept` (a listen backlog of 5 and one connection at a time,
//! answered after the delay and closed, as Python's `http.server` does) and `hold` (no
//! answer until [`Receiver::release`], then 200: the backlog then drains at full speed,
//! which measures delivery capacity).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use hmac::{Hmac, Mac};
use issuance::clock::{Clock, SystemClock};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// 200 at once.
    Fast,
    /// 200 after the delay.
    Slow,
    /// 503 at once.
    Failing,
    /// Backlog 5, one connection at a time, answered after the delay.
    SlowAccept,
    /// Nothing until released, then 200.
    Hold,
}

#[derive(Default)]
struct Counts {
    requests: u64,
    invalid: u64,
    delivered: u64,
    duplicates: u64,
    out_of_order: u64,
    by_status: BTreeMap<String, u64>,
    deliveries: HashSet<String>,
    last_sequence: HashMap<String, u64>,
    first: Option<Instant>,
    last: Option<Instant>,
    /// Deliveries per second since the receiver started.
    per_second: BTreeMap<u64, u64>,
}

/// A running receiver and what it has seen.
pub struct Receiver {
    /// Its name in the report.
    pub name: &'static str,
    /// The callback URL to configure.
    pub url: String,
    mode: Mode,
    secret: Vec<u8>,
    delay: Duration,
    started: Instant,
    counts: Mutex<Counts>,
    delays: Mutex<Histogram<u64>>,
    released: watch::Sender<bool>,
}

impl Receiver {
    /// Starts a receiver on `address`.
    pub async fn start(
        name: &'static str,
        address: SocketAddr,
        mode: Mode,
        delay: Duration,
        secret: &str,
    ) -> anyhow::Result<Arc<Receiver>> {
        let receiver = Arc::new(Receiver {
            name,
            url: format!("http://{address}/callbacks"),
            mode,
            secret: secret.as_bytes().to_vec(),
            delay,
            started: Instant::now(),
            counts: Mutex::default(),
            delays: Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3)?),
            released: watch::channel(false).0,
        });
        if mode == Mode::SlowAccept {
            let socket = match address {
                SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
            };
            socket.set_reuseaddr(true)?;
            socket.bind(address)?;
            let listener = socket.listen(5)?;
            tokio::spawn(serve_one_at_a_time(listener, receiver.clone()));
        } else {
            let data = web::Data::from(receiver.clone());
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .app_data(web::PayloadConfig::new(1 << 20))
                    .default_service(web::to(receive))
            })
            .workers(1)
            .backlog(4096)
            .max_connections(100_000)
            .disable_signals()
            .bind(address)?
            .run();
            tokio::spawn(server);
        }
        Ok(receiver)
    }

    /// How it answers.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// `at` as time since the receiver started.
    pub fn since_start(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.started)
    }

    /// A `hold` receiver answers from now on (held requests get 200).
    pub fn release(&self) {
        self.released.send_replace(true);
    }

    /// Unique callbacks delivered (answered 2xx, validly signed).
    pub fn delivered(&self) -> u64 {
        self.counts.lock().map_or(0, |c| c.delivered)
    }

    /// Records one request; returns the status to answer.
    fn record(&self, signature: Option<&str>, body: &[u8], arrived: DateTime<Utc>) -> u16 {
        let status = match self.mode {
            Mode::Failing => 503,
            _ => 200,
        };
        let valid = signature.is_some_and(|s| verify(&self.secret, s, body));
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let Ok(mut counts) = self.counts.lock() else {
            return 500;
        };
        counts.requests += 1;
        let Some(parsed) = parsed.filter(|_| valid) else {
            counts.invalid += 1;
            return 400;
        };
        if status != 200 {
            return status;
        }
        let now = Instant::now();
        counts.first.get_or_insert(now);
        counts.last = Some(now);
        let delivery = parsed["eventId"].as_str().unwrap_or_default().to_string()
            + parsed["status"].as_str().unwrap_or_default();
        if !counts.deliveries.insert(delivery) {
            counts.duplicates += 1;
            return status;
        }
        counts.delivered += 1;
        *counts
            .by_status
            .entry(parsed["status"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        *counts
            .per_second
            .entry(self.started.elapsed().as_secs())
            .or_default() += 1;
        let offer = parsed["offerId"].as_str().unwrap_or_default().to_string();
        let sequence = parsed["sequence"].as_u64().unwrap_or_default();
        let previous = counts.last_sequence.insert(offer, sequence);
        if previous.is_some_and(|p| p > sequence) {
            counts.out_of_order += 1;
        }
        drop(counts);
        if let Some(occurred) = parsed["occurredAt"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        {
            let micros = (arrived - occurred.with_timezone(&Utc))
                .num_microseconds()
                .unwrap_or(i64::MAX)
                .clamp(1, 3_600_000_000);
            if let Ok(mut delays) = self.delays.lock() {
                let _ = delays.record(micros as u64);
            }
        }
        status
    }

    /// The deliveries per second between `from` and `to` (seconds since the start).
    pub fn rate_between(&self, from: Duration, to: Duration) -> f64 {
        let Ok(counts) = self.counts.lock() else {
            return 0.0;
        };
        let (from, to) = (from.as_secs(), to.as_secs().max(from.as_secs() + 1));
        let count: u64 = counts.per_second.range(from..to).map(|(_, n)| n).sum();
        count as f64 / (to - from) as f64
    }

    /// How long after the start the last delivery arrived.
    pub fn last_arrival(&self) -> Option<Duration> {
        self.counts
            .lock()
            .ok()
            .and_then(|c| c.last)
            .map(|last| last.duration_since(self.started))
    }

    /// The receiver's report.
    pub fn report(&self) -> Value {
        let counts = self.counts.lock();
        let delays = self.delays.lock();
        let (Ok(counts), Ok(delays)) = (counts, delays) else {
            return Value::Null;
        };
        let ms = |q: f64| delays.value_at_quantile(q) as f64 / 1000.0;
        let span = match (counts.first, counts.last) {
            (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
            _ => 0.0,
        };
        json!({
            "receiver": self.name,
            "mode": format!("{:?}", self.mode),
            "requests": counts.requests,
            "delivered": counts.delivered,
            "invalid_signatures": counts.invalid,
            "duplicates": counts.duplicates,
            "out_of_order": counts.out_of_order,
            "offers": counts.last_sequence.len(),
            "by_status": counts.by_status,
            "deliveries_per_second": if span > 0.0 { counts.delivered as f64 / span } else { 0.0 },
            "delay_ms": {"p50": ms(0.5), "p99": ms(0.99), "max": delays.max() as f64 / 1000.0},
        })
    }

    async fn wait(&self) {
        match self.mode {
            Mode::Slow | Mode::SlowAccept => tokio::time::sleep(self.delay).await,
            Mode::Hold => {
                let _ = self.released.subscribe().wait_for(|r| *r).await;
            }
            Mode::Fast | Mode::Failing => {}
        }
    }
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    receiver: web::Data<Receiver>,
) -> HttpResponse {
    receiver.wait().await;
    let signature = request
        .headers()
        .get("x-issuance-signature")
        .and_then(|v| v.to_str().ok());
    let status = receiver.record(signature, &body, SystemClock.now());
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    )
    .finish()
}

/// `slow-accept`: one connection at a time; one request each, answered after the delay,
/// then closed.
async fn serve_one_at_a_time(listener: tokio::net::TcpListener, receiver: Arc<Receiver>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let Some((signature, body)) = read_request(&mut stream).await else {
            continue;
        };
        receiver.wait().await;
        let status = receiver.record(signature.as_deref(), &body, SystemClock.now());
        let answer =
            format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

/// The signature header and body of one HTTP/1.1 request with a `Content-Length`.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<(Option<String>, Vec<u8>)> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let length: usize = header("content-length")?.parse().ok()?;
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some((header("x-issuance-signature"), body))
}

/// Whether `header` (`t=<unix>,v1=<hex>`) is the HMAC-SHA256 of `"<t>.<body>"`.
fn verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return false;
    };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let Ok(expected) = hex_decode(v1) else {
        return false;
    };
    mac.verify_slice(&expected).is_ok()
}

fn hex_decode(text: &str) -> Result<Vec<u8>, ()> {
    if text.len() % 2 != 0 {
        return Err(());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2).ok_or(())?, 16).map_err(|_| ()))
        .collect()
}
