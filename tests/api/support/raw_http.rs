//! A bare HTTP/1.1 client over a TCP socket, for requests no well-behaved client library
//! would send: invalid UTF-8, wrong or lying `Content-Length`, oversized heads, odd methods.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed response.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first value of header `name` (lower case), as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// One raw request: method, target (path and query, raw bytes), headers and body. `Host`
/// and `Connection: close` are added; `Content-Length` is added from the body unless a
/// header of that name is given.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The method token (sent as is).
    pub method: Vec<u8>,
    /// The request target (sent as is).
    pub target: Vec<u8>,
    /// Extra headers (sent as is).
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawRequest {
    /// A request without headers or body.
    pub fn new(method: impl Into<Vec<u8>>, target: impl Into<Vec<u8>>) -> RawRequest {
        RawRequest {
            method: method.into(),
            target: target.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> RawRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> RawRequest {
        self.body = body.into();
        self
    }

    /// The bytes on the wire.
    pub fn encode(&self, host: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(&self.method);
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\nConnection: close\r\n");
        let mut has_length = false;
        for (name, value) in &self.headers {
            has_length |= name.eq_ignore_ascii_case(b"content-length")
                || name.eq_ignore_ascii_case(b"transfer-encoding");
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if !has_length && (!self.body.is_empty() || self.method != b"GET") {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// Sends `request` to `base` (`http://host:port`) on a fresh connection and reads the
/// response until the server closes the connection.
pub async fn send(base: &str, request: &RawRequest) -> RawResponse {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let bytes = request.encode(host);
    let stream = TcpStream::connect(host).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    // The server may answer (and stop reading) before the whole body is sent.
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&bytes).await;
        let _ = writer.flush().await;
        writer
    });
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) => break,
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    if complete(&received) {
                        break;
                    }
                }
                // A reset after the response (the server closed with unread input).
                Err(_) => break,
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no complete response within 30 s");
    drop(writing.await);
    parse(&received).unwrap_or_else(|| {
        panic!(
            "unparseable response to {:?} {:?}: {:?}",
            String::from_utf8_lossy(&request.method),
            String::from_utf8_lossy(&request.target[..request.target.len().min(80)]),
            String::from_utf8_lossy(&received)
        )
    })
}

/// Whether `data` holds a whole response (head and a body of known length).
fn complete(data: &[u8]) -> bool {
    let Some(response) = parse(data) else {
        return false;
    };
    match response.header("content-length") {
        Some(length) => length.trim().parse::<usize>().ok() == Some(response.body.len()),
        None => {
            response.header("transfer-encoding").is_some()
                && data.windows(5).any(|w| w == b"0\r\n\r\n")
        }
    }
}

fn parse(data: &[u8]) -> Option<RawResponse> {
    let end = data.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, Vec<u8>)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().as_bytes().to_vec()))
        .collect();
    let raw_body = &data[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case(b"chunked"));
    let body = if chunked {
        dechunk(raw_body)
    } else {
        raw_body.to_vec()
    };
    Some(RawResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let Ok(size) = usize::from_str_radix(size_text.trim(), 16) else {
            break;
        };
        let start = line_end + 2;
        if size == 0 || data.len() < start + size {
            break;
        }
        body.extend_from_slice(&data[start..start + size]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    body
}

/// Sends `request` to `base` in two parts: everything up to `split_at` bytes of the body at
/// once, the rest once `release` resolves; then reads the response. A request the server
/// is still receiving: what a graceful shutdown must let finish. Errors are returned (a
/// connection cut by the server), not panicked on.
pub async fn send_held(
    base: &str,
    request: &RawRequest,
    split_at: usize,
    release: impl std::future::Future<Output = ()>,
) -> std::io::Result<RawResponse> {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let bytes = request.encode(host);
    let split = bytes.len() - request.body.len() + split_at.min(request.body.len());
    let mut stream = TcpStream::connect(host).await?;
    stream.write_all(&bytes[..split]).await?;
    stream.flush().await?;
    release.await;
    stream.write_all(&bytes[split..]).await?;
    stream.flush().await?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(120), stream.read(&mut buffer))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no response"))??;
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..n]);
        if complete(&received) {
            break;
        }
    }
    parse(&received).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!(
                "connection closed without a response: {:?}",
                String::from_utf8_lossy(&received)
            ),
        )
    })
}
