//! A loopback TCP proxy that adds a fixed latency to every byte a client sends to a Kubernetes API server:
//! it models a remote cluster for `scripts/bench-cluster`, where a tool that makes one request at a time
//! pays the round trip on every object.
//!
//! ```sh
//! cargo run --release --example delay_proxy -- --upstream 127.0.0.1:6443 --delay-ms 5
//! # prints `listening 127.0.0.1:PORT` on stdout; point a kubeconfig's `server:` at https://127.0.0.1:PORT
//! ```
//!
//! # Why at the TCP level, and why a delay line
//!
//! The test apiserver authenticates with a bearer token over TLS. An HTTP proxy would have to terminate
//! TLS and re-send every request with its own client (as the cluster tests' fault proxy does), which
//! changes what is measured: both tools would then speak plain HTTP/1.1 to the proxy, kubectl would lose
//! its single multiplexed HTTP/2 connection, and the proxy's own client would decide how many upstream
//! connections exist. Forwarding bytes keeps each tool's real TLS, HTTP version, connection reuse and
//! credentials end to end (client certificates would work too), which is what it would use against a
//! remote cluster.
//!
//! A byte proxy cannot see where one request ends and the next begins (TLS hides it, and HTTP/2
//! interleaves many requests on one connection), so "delay the first bytes of each request" cannot be
//! done reliably. Instead every chunk read from the client is stamped with its arrival time and written
//! upstream at arrival + delay, in order: a constant-latency delay line, like `tc netem delay` on a link.
//! Every request, whatever connection or stream it travels on, therefore reaches the apiserver exactly
//! `delay` later than it would without the proxy (a chunk is never held longer waiting behind another,
//! since deadlines only grow). The TLS handshake crosses the line too, as it does on a real link, so a
//! tool that opens many connections pays for that as well. Answers travel back undelayed: the delay is
//! the whole added round trip per request.
//!
//! Each connection gets three plain threads (read and stamp, write when due, copy back) and sleeps with
//! `std::thread::sleep`, which writes a chunk within about 0.1 ms of its due time; tokio's timer rounds
//! every wait up to the next millisecond, which at 5 ms is a 20% error. The tools under test open a
//! handful of connections, so the threads cost nothing here.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: delay_proxy --upstream HOST:PORT [--listen ADDR:PORT] [--delay-ms MS]

Forwards TCP connections from --listen (default 127.0.0.1:0, a free port) to --upstream, delaying every
byte sent by the client by --delay-ms (default 5; 0 forwards without delay). Prints `listening ADDR` on
stdout once it accepts connections, and one line per closed connection on stderr.";

struct Args {
    upstream: SocketAddr,
    listen: SocketAddr,
    delay: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut upstream = None;
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut delay_ms: f64 = 5.0;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value\n\n{USAGE}"));
        match a.as_str() {
            "--upstream" => upstream = Some(val()?.parse().map_err(|e| format!("--upstream: {e} (want IP:PORT)"))?),
            "--listen" => listen = val()?.parse().map_err(|e| format!("--listen: {e} (want IP:PORT)"))?,
            "--delay-ms" => {
                delay_ms = val()?.parse().map_err(|e| format!("--delay-ms: {e}"))?;
                if !(0.0..=10_000.0).contains(&delay_ms) {
                    return Err("--delay-ms must be between 0 and 10000".into());
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    Ok(Args {
        upstream: upstream.ok_or_else(|| format!("--upstream is required\n\n{USAGE}"))?,
        listen,
        delay: Duration::from_secs_f64(delay_ms / 1000.0),
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(args.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("a bound listener has an address");
    println!("listening {addr}");
    let _ = std::io::stdout().flush();
    for (n, client) in listener.incoming().enumerate() {
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                eprintln!("delay_proxy: accept failed: {e}");
                continue;
            }
        };
        let (upstream, delay) = (args.upstream, args.delay);
        std::thread::spawn(move || match relay(client, upstream, delay) {
            Ok(t) => eprintln!(
                "delay_proxy: connection {} closed: {} bytes up in {} delayed chunk(s), {} bytes down",
                n + 1,
                t.bytes_up,
                t.chunks,
                t.bytes_down
            ),
            Err(e) => eprintln!("delay_proxy: connection {} to {upstream} failed: {e}", n + 1),
        });
    }
}

/// What one connection carried.
#[derive(Default)]
struct Totals {
    chunks: u64,
    bytes_up: u64,
    bytes_down: u64,
}

/// Relays one client connection: client -> upstream through the delay line, upstream -> client as is.
/// Each direction ends on its own end of stream, which is passed on with a half-close.
fn relay(client: TcpStream, upstream: SocketAddr, delay: Duration) -> std::io::Result<Totals> {
    let server = TcpStream::connect(upstream)?;
    // Small writes (TLS records, HTTP/2 frames) must leave at once, or Nagle adds a delay of its own.
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let chunks = AtomicU64::new(0);
    let bytes_up = AtomicU64::new(0);
    let bytes_down = AtomicU64::new(0);
    std::thread::scope(|s| -> std::io::Result<()> {
        let (mut client_r, mut client_w) = (client.try_clone()?, client.try_clone()?);
        let (mut server_r, mut server_w) = (server.try_clone()?, server.try_clone()?);
        let (chunks, bytes_up, bytes_down) = (&chunks, &bytes_up, &bytes_down);
        // Read the client's bytes as they come and stamp each chunk with its arrival time.
        s.spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = client_r.read(&mut buf) {
                if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
                chunks.fetch_add(1, Ordering::Relaxed);
                bytes_up.fetch_add(n as u64, Ordering::Relaxed);
            }
        });
        // Write each chunk upstream at its arrival time plus the delay, in order. Deadlines only grow,
        // so no chunk waits longer than the delay because of the one before it.
        s.spawn(move || {
            for (at, data) in rx {
                let due = at + delay;
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if server_w.write_all(&data).is_err() {
                    break;
                }
            }
            let _ = server_w.shutdown(Shutdown::Write);
        });
        // Answers go back undelayed.
        s.spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = server_r.read(&mut buf) {
                if n == 0 || client_w.write_all(&buf[..n]).is_err() {
                    break;
                }
                bytes_down.fetch_add(n as u64, Ordering::Relaxed);
            }
            // The server is done: end both directions, so the reader above stops too.
            let _ = client_w.shutdown(Shutdown::Both);
        });
        Ok(())
    })?;
    Ok(Totals {
        chunks: chunks.load(Ordering::Relaxed),
        bytes_up: bytes_up.load(Ordering::Relaxed),
        bytes_down: bytes_down.load(Ordering::Relaxed),
    })
}
