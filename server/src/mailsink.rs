//! A small, real SMTP server that keeps what it receives in memory. It is the
//! development default (shown at /dev/mailbox) and the sink integration tests read.
//! It speaks enough SMTP for lettre: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, and
//! refuses recipients at [`UNDELIVERABLE`].

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Mail to this domain is refused, as a mail server refuses an address it does not know
/// ("550 5.1.1"): what an invitation to a mistyped address meets, to try in development.
pub const UNDELIVERABLE: &str = "@undeliverable.test";

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// The Message-ID header (without angle brackets), if any.
    pub message_id: Option<String>,
    /// The Content-Language header, if any.
    pub content_language: Option<String>,
    pub received_at: DateTime<Utc>,
}

#[derive(Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<ReceivedMail>>>);

impl Mailbox {
    pub fn all(&self) -> Vec<ReceivedMail> {
        self.0.lock().expect("mailbox lock").clone()
    }

    pub fn to(&self, recipient: &str) -> Vec<ReceivedMail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(recipient)))
            .collect()
    }

    /// How many mails arrived (without copying them).
    pub fn len(&self) -> usize {
        self.0.lock().expect("mailbox lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&self, mail: ReceivedMail) {
        self.0.lock().expect("mailbox lock").push(mail);
    }
}

/// Binds `addr` (use port 0 for any free port) and serves until the runtime stops.
pub async fn start(addr: &str) -> std::io::Result<(std::net::SocketAddr, Mailbox)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let mailbox = Mailbox::default();
    let inbox = mailbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            // Replies are small and answer each command: do not let Nagle hold them back.
            let _ = stream.set_nodelay(true);
            let inbox = inbox.clone();
            tokio::spawn(async move {
                if let Err(err) = session(stream, inbox).await {
                    tracing::debug!(%err, "smtp sink session ended");
                }
            });
        }
    });
    Ok((local, mailbox))
}

async fn session(stream: TcpStream, inbox: Mailbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 muster-mailsink ESMTP ready\r\n")
        .await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-muster-mailsink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 muster-mailsink\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let recipient = address(&command[8..]);
            if recipient.ends_with(UNDELIVERABLE) {
                b"550 5.1.1 No such mailbox here\r\n"
            } else {
                to.push(recipient);
                b"250 OK\r\n"
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.extend_from_slice(l.as_bytes());
            }
            inbox.push(parse(&from, &to, &data));
            b"250 OK: queued\r\n"
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg
        .strip_prefix('<')
        .and_then(|a| a.split_once('>').map(|(addr, _)| addr))
        .unwrap_or(arg);
    inner.to_owned()
}

fn parse(from: &str, to: &[String], raw: &[u8]) -> ReceivedMail {
    let message = mail_parser::MessageParser::default().parse(raw);
    let (subject, text, html, message_id, content_language) = match &message {
        Some(m) => (
            m.subject().unwrap_or_default().to_owned(),
            m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            m.body_html(0).map(|h| h.into_owned()),
            m.message_id().map(str::to_owned),
            m.header_raw("Content-Language")
                .map(|v| v.trim().to_owned()),
        ),
        None => (
            String::new(),
            String::from_utf8_lossy(raw).into_owned(),
            None,
            None,
            None,
        ),
    };
    ReceivedMail {
        from: from.to_owned(),
        to: to.to_vec(),
        subject,
        text,
        html,
        message_id,
        content_language,
        received_at: Utc::now(),
    }
}
