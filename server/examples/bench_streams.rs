//! Server memory with many open bell streams, for `./muster bench load`.
//!
//! `bench_streams <host:port> <session token> <count> <server pid>` opens `count` event
//! streams (`GET /events`, as the notification bell does) with the session cookie, checks
//! that each one is answered `200 text/event-stream`, keeps them all open, and prints the
//! server's resident memory before and with them, read from /proc.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn open(addr: &str, session: &str) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let request = format!(
        "GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
         Cookie: muster_session={session}\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .map_err(|_| "no answer in 30 s".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed".into());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    if !head.starts_with("http/1.1 200") || !head.contains("text/event-stream") {
        return Err(head.lines().next().unwrap_or_default().to_owned());
    }
    Ok(stream)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, session, count, pid] = &args[..] else {
        eprintln!("usage: bench_streams <host:port> <session token> <count> <server pid>");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("count");
    let before = rss_kib(pid);
    let started = Instant::now();
    let mut open_streams = Vec::with_capacity(count);
    let mut failed = 0;
    // A few hundred at a time, as browsers arriving would.
    for chunk in (0..count).collect::<Vec<_>>().chunks(250) {
        let opening = chunk.iter().map(|_| open(addr, session));
        for result in futures::future::join_all(opening).await {
            match result {
                Ok(stream) => open_streams.push(stream),
                Err(err) => {
                    failed += 1;
                    if failed <= 3 {
                        eprintln!("a stream failed: {err}");
                    }
                }
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let with = rss_kib(pid);
    println!(
        "| {:>6} open bell streams | {:>7.1} MB before | {:>7.1} MB with them | {:>6.1} KB each | {} failed | opened in {:.1} s |",
        open_streams.len(),
        before as f64 / 1024.0,
        with as f64 / 1024.0,
        with.saturating_sub(before) as f64 / open_streams.len().max(1) as f64,
        failed,
        started.elapsed().as_secs_f64()
    );
    drop(open_streams);
    // The target for 5,000 streams (BENCH_STREAMS_MAX_MB): the server's whole memory.
    let max_mb: f64 = std::env::var("BENCH_STREAMS_MAX_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150.0);
    if with as f64 / 1024.0 >= max_mb {
        println!(
            "  MISSED: {:.1} MB with the streams, target under {max_mb} MB",
            with as f64 / 1024.0
        );
        std::process::exit(1);
    }
    if failed > 0 {
        std::process::exit(1);
    }
}
