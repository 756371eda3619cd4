//! A real SMTP server for `./muster cluster`: every mail it receives becomes one JSON line
//! (`to`, `subject`, `message_id`, `received_at`) appended to a file, which the chaos run
//! reads to count what was delivered, and twice.
//!
//! `mail_sink <address> <file>`

use std::io::Write;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: mail_sink <address> <file>");
        std::process::exit(2);
    };
    let (bound, mailbox) = server::mailsink::start(&addr)
        .await
        .expect("the sink's address");
    println!("SMTP sink on {bound}, writing to {path}");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("the sink's file");
    let mut written = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let all = mailbox.all();
        for mail in &all[written..] {
            let line = serde_json::json!({
                "to": mail.to,
                "subject": mail.subject,
                "message_id": mail.message_id,
                "received_at": mail.received_at.to_rfc3339(),
            });
            writeln!(file, "{line}").expect("the sink's file is writable");
        }
        written = all.len();
    }
}
