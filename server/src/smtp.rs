//! The outbox's SMTP connections: lettre speaks SMTP, Muster owns the sockets and the pool.
//!
//! Why not lettre's own pool: it opens sockets without `TCP_NODELAY`, and lettre writes a
//! mail's body and its closing `.` in two writes, so Nagle's algorithm holds the `.` back
//! until the mail server's delayed ACK: about 28 ms per mail, measured. Its pool also sends
//! a NOOP before every reuse, one more round trip per mail. Here a socket sends at once,
//! and only a connection that sat idle is checked before it is used again.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::Error;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long one connect, or one mail, may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// A connection idle longer than this is checked with NOOP before it is used again.
const CHECK_AFTER: Duration = Duration::from_secs(2);
/// A connection idle longer than this is closed: mail servers hang up idle clients.
const CLOSE_AFTER: Duration = Duration::from_secs(60);

/// How the connection is secured, from the `SMTP_URL` (the same forms lettre reads).
#[derive(Clone, Debug, PartialEq)]
pub enum Security {
    /// `smtp://host`: plain text, for a relay on the same machine or network.
    Plain,
    /// `smtp://host?tls=required`: STARTTLS, or no mail.
    StartTls,
    /// `smtp://host?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtps://host`: TLS from the first byte.
    Implicit,
}

/// Where and how to reach the mail server: the parsed `SMTP_URL`.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub hello: ClientId,
    credentials: Option<Credentials>,
}

impl Endpoint {
    /// Reads `smtp://[user:password@]host[:port][/ehlo-name][?tls=required|opportunistic]`
    /// or `smtps://...`; ports default to 25, 587 (STARTTLS) and 465 (smtps).
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url::Url::parse(url).map_err(|e| e.to_string())?;
        let host = url.host_str().ok_or("it names no host")?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (security, port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTls, 587),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic, 587),
            ("smtps", None) => (Security::Implicit, 465),
            (scheme, tls) => {
                return Err(format!(
                    "use smtp:// (with ?tls=required or ?tls=opportunistic) or smtps://, \
                     not {scheme}:// with tls={tls:?}"
                ));
            }
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| e.to_string())
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        Ok(Endpoint {
            port: url.port().unwrap_or(port),
            host,
            security,
            hello,
            credentials,
        })
    }

    fn tls(&self) -> Result<TlsParameters, Failure> {
        Ok(TlsParameters::new(self.host.clone())?)
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, Failure> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                Failure::Transient(format!(
                    "cannot connect to {}:{}: {e}",
                    self.host, self.port
                ))
            })?;
        // The whole point: the closing "." of a mail leaves at once.
        tcp.set_nodelay(true)
            .map_err(|e| Failure::Transient(e.to_string()))?;
        let mut conn = if self.security == Security::Implicit {
            #[allow(deprecated)]
            let mut stream =
                lettre::transport::smtp::client::AsyncNetworkStream::use_existing_tokio1(Box::new(
                    tcp,
                ));
            stream.upgrade_tls(self.tls()?).await?;
            AsyncSmtpConnection::connect_with_transport(Box::new(Tls(stream)), &self.hello).await?
        } else {
            AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?
        };
        match self.security {
            Security::StartTls => conn.starttls(self.tls()?, &self.hello).await?,
            Security::Opportunistic if conn.can_starttls() => {
                conn.starttls(self.tls()?, &self.hello).await?
            }
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(conn)
    }
}

/// Why a mail did not go out.
#[derive(Debug)]
pub enum Failure {
    /// Worth another try later: the server is down, busy, or said 4xx.
    Transient(String),
    /// Never worth another try: the server said 5xx (no such mailbox, rejected).
    Permanent(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        if e.is_permanent() {
            Failure::Permanent(e.to_string())
        } else {
            Failure::Transient(e.to_string())
        }
    }
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// Connections to one mail server, kept open between mails.
pub struct Pool {
    endpoint: Endpoint,
    idle: Mutex<Vec<Idle>>,
}

impl Pool {
    pub fn new(endpoint: Endpoint) -> Pool {
        Pool {
            endpoint,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one mail. A kept connection the server has since closed is replaced by a new
    /// one, and the mail goes out on that.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), Failure> {
        if let Some(mut conn) = self.reusable().await {
            match timed(conn.send(envelope, message)).await {
                Ok(_) => {
                    self.keep(conn);
                    return Ok(());
                }
                Err(e @ Failure::Permanent(_)) => return Err(e),
                // The server hung up, or did not answer: once more on a fresh connection.
                Err(_) => {}
            }
        }
        let mut conn = timed(self.endpoint.connect()).await?;
        timed(conn.send(envelope, message)).await?;
        self.keep(conn);
        Ok(())
    }

    /// An idle connection, checked with NOOP when it sat long enough to be stale.
    async fn reusable(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let idle = self.idle.lock().expect("smtp pool").pop()?;
            let waited = idle.since.elapsed();
            let mut conn = idle.conn;
            if waited > CLOSE_AFTER {
                tokio::spawn(async move { conn.abort().await });
                continue;
            }
            if waited <= CHECK_AFTER
                || tokio::time::timeout(TIMEOUT, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                return Some(conn);
            }
        }
    }

    /// Keeps a connection that just sent a mail, for the next one.
    fn keep(&self, conn: AsyncSmtpConnection) {
        if !conn.has_broken() {
            self.idle.lock().expect("smtp pool").push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }
}

/// `work`, given up (as worth another try) after [`TIMEOUT`].
async fn timed<T, E: Into<Failure>>(
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(TIMEOUT, work).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(Failure::Transient(format!(
            "no answer within {} s",
            TIMEOUT.as_secs()
        ))),
    }
}

/// A TLS stream (lettre's) as the stream lettre's connection reads: `smtps://`.
#[allow(deprecated)]
#[derive(Debug)]
struct Tls(lettre::transport::smtp::client::AsyncNetworkStream);

impl AsyncRead for Tls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        match futures::AsyncRead::poll_read(Pin::new(&mut self.0), cx, unfilled) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Tls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

impl AsyncTokioStream for Tls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_the_security_the_port_and_the_login() {
        let plain = Endpoint::parse("smtp://mail.example.com").unwrap();
        assert_eq!(
            (
                plain.host.as_str(),
                plain.port,
                plain.security,
                plain.credentials
            ),
            ("mail.example.com", 25, Security::Plain, None)
        );
        let submission =
            Endpoint::parse("smtp://me%40example.com:p%3Ass@mail.example.com?tls=required")
                .unwrap();
        assert_eq!(
            (submission.port, submission.security),
            (587, Security::StartTls)
        );
        assert_eq!(
            submission.credentials,
            Some(Credentials::new("me@example.com".into(), "p:ss".into()))
        );
        let opportunistic = Endpoint::parse("smtp://[::1]:2525?tls=opportunistic").unwrap();
        assert_eq!(
            (
                opportunistic.host.as_str(),
                opportunistic.port,
                opportunistic.security
            ),
            ("::1", 2525, Security::Opportunistic)
        );
        let implicit = Endpoint::parse("smtps://mail.example.com/muster.example").unwrap();
        assert_eq!(
            (implicit.port, implicit.security),
            (465, Security::Implicit)
        );
        assert_eq!(implicit.hello, ClientId::Domain("muster.example".into()));
    }

    #[test]
    fn a_url_that_is_no_smtp_url_says_which_forms_work() {
        for bad in [
            "http://mail.example.com",
            "smtp://mail.example.com?tls=always",
            "smtp:",
        ] {
            let error = Endpoint::parse(bad).unwrap_err();
            assert!(!error.is_empty(), "{bad}");
        }
        let error = Endpoint::parse("http://mail.example.com").unwrap_err();
        assert!(error.contains("smtps://"), "{error}");
    }
}
