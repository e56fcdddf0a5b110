// SPDX-License-Identifier: MIT
//! echo_tokio - the tokio echo peer: a current-thread runtime per
//! thread, a task per connection reading into its own buffer and
//! writing it back with write_all. Flags as the C peers
//! (bench/peers/peer_util.h): --port P, --buffer B, --threads N
//! (N runtimes, each with its own SO_REUSEPORT listener).
use std::io::Write;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};

fn listener(port: u16, reuseport: bool) -> std::net::TcpListener {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let s = TcpSocket::new_v4().expect("socket");
    s.set_reuseaddr(true).expect("SO_REUSEADDR");
    if reuseport {
        s.set_reuseport(true).expect("SO_REUSEPORT");
    }
    s.bind(addr).expect("bind");
    // TcpSocket::listen needs a runtime; go through std instead.
    let l = s.listen(4096);
    match l {
        Ok(l) => l.into_std().expect("into_std"),
        Err(e) => panic!("listen: {e}"),
    }
}

async fn serve(l: std::net::TcpListener, cap: usize) {
    let l = TcpListener::from_std(l).expect("from_std");
    loop {
        let (mut s, _) = match l.accept().await {
            Ok(c) => c,
            Err(_) => continue,
        };
        let _ = s.set_nodelay(true);
        tokio::spawn(async move {
            let mut buf = vec![0u8; cap];
            loop {
                let n = match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if s.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}

fn run(l: std::net::TcpListener, cap: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    rt.block_on(serve(l, cap));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mut port, mut cap, mut threads) = (0u16, 16384usize, 1usize);
    let usage = || -> ! {
        eprintln!("usage: echo_tokio [--port P] [--buffer B] [--threads N]");
        std::process::exit(2);
    };
    if args.len() % 2 == 0 {
        usage();
    }
    let mut i = 1;
    while i + 1 < args.len() {
        let v = &args[i + 1];
        match args[i].as_str() {
            "--port" => port = v.parse().unwrap_or_else(|_| usage()),
            "--buffer" => cap = v.parse().unwrap_or_else(|_| usage()),
            "--threads" => threads = v.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
        i += 2;
    }
    // listen() on a TcpSocket needs a reactor: make the listeners
    // inside a throwaway runtime, then hand each to its own thread.
    let setup = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let mut ls = Vec::new();
    setup.block_on(async {
        for _ in 0..threads {
            let l = listener(port, threads > 1);
            port = l.local_addr().expect("local_addr").port();
            ls.push(l);
        }
    });
    drop(setup);
    println!("listening on 127.0.0.1:{port} (tokio, {threads} thread{})",
             if threads == 1 { "" } else { "s" });
    std::io::stdout().flush().unwrap();
    let mut hs = Vec::new();
    let first = ls.remove(0);
    for l in ls {
        hs.push(std::thread::spawn(move || run(l, cap)));
    }
    run(first, cap);
}
