//! The People page written by hand, for `./muster bench load`: axum and sqlx over Muster's
//! own tables, without Leptos. One statement finds the session's member of the
//! organization, one reads the page (the same 50 rows and each one's latest invitation),
//! and the HTML is written into one string. It measures, in the same run and on the same
//! database as Muster's People page, what that page costs with no framework (issue 15's
//! "side by side"). It serves only `GET /o/{region}/{short_name}/people`, the first page
//! sorted by name, and with `?q=` the first page of a search written the same way (every
//! word must begin a word of the name or address, over the same index as Muster's
//! search); it is not part of Muster.

use std::fmt::Write;

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, postgres::PgPoolOptions};

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3902".into());
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    // The same pool settings as Muster's server (see server::connect).
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .test_before_acquire(false)
        .connect(&url)
        .await
        .expect("database");
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/o/{region}/{short_name}/people", get(people))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    email: String,
    role: String,
    status: String,
    welcome_sent_at: Option<DateTime<Utc>>,
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    undelivered_at: Option<DateTime<Utc>>,
    member: bool,
}

#[derive(serde::Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
}

async fn people(
    State(pool): State<PgPool>,
    Path((region, short_name)): Path<(String, String)>,
    Query(search): Query<Search>,
    headers: HeaderMap,
) -> Response {
    match page(&pool, &region, &short_name, &search.q, &headers).await {
        Ok(Some(html)) => Html(html).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn page(
    pool: &PgPool,
    region: &str,
    short_name: &str,
    q: &str,
    headers: &HeaderMap,
) -> Result<Option<String>, sqlx::Error> {
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    let member: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT o.id, o.name, u.name, me.role
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         JOIN organizations o ON o.region = $2 AND o.short_name = $3
         JOIN memberships m ON m.org_id = o.id AND m.user_id = u.id
         JOIN people me ON me.org_id = o.id AND me.user_id = u.id
         WHERE s.token_hash = sha256(convert_to($1, 'UTF8')) AND s.expires_at > now()",
    )
    .bind(token)
    .bind(region)
    .bind(short_name)
    .fetch_optional(pool)
    .await?;
    let Some((org_id, org_name, my_name, my_role)) = member else {
        return Ok(None);
    };
    // A search: each word as a prefix of the organization's words (`42:anna`:*), the
    // same full-text index Muster's search reads, planned for its own words.
    let words: Vec<String> = q
        .to_lowercase()
        .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("'{org_id}:{w}':*"))
        .collect();
    let filter = if words.is_empty() {
        ""
    } else {
        " AND search_words @@ $2::tsquery"
    };
    let sql = format!(
        "SELECT p.id, p.name, p.email, p.role, p.status, p.welcome_sent_at,
                i.accepted_at, i.revoked_at, i.expires_at, i.undelivered_at,
                EXISTS (SELECT 1 FROM memberships m
                        WHERE m.org_id = p.org_id AND m.user_id = p.user_id) AS member
         FROM (SELECT * FROM people WHERE org_id = $1{filter}
               ORDER BY lower(name), email LIMIT 51) p
         LEFT JOIN LATERAL (
             SELECT accepted_at, revoked_at, expires_at, undelivered_at FROM invitations
             WHERE org_id = p.org_id AND email = p.email ORDER BY created_at DESC LIMIT 1
         ) i ON true
         ORDER BY lower(p.name), p.email"
    );
    let mut query = sqlx::query_as(&sql).bind(org_id);
    if !words.is_empty() {
        query = query.bind(words.join(" & "));
    }
    let rows: Vec<Row> = query.persistent(words.is_empty()).fetch_all(pool).await?;
    Ok(Some(render(&org_name, &my_name, &my_role, &rows)))
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("muster_session="))
}

fn render(org_name: &str, my_name: &str, my_role: &str, rows: &[Row]) -> String {
    let now = Utc::now();
    let mut html = String::with_capacity(16 * 1024);
    html.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = write!(
        html,
        "<title>People · {}</title><link rel=\"stylesheet\" href=\"/pkg/muster.css\"></head>\
         <body><header><a href=\"/\">Muster</a><span>{}</span></header><main><h1>People</h1>\
         <p>{} ({})</p><table><thead><tr><th>Name</th><th>Email</th><th>Role</th>\
         <th>Status</th><th>Welcome Sent</th><th>Invitation</th><th></th></tr></thead><tbody>",
        Esc(org_name),
        Esc(my_name),
        Esc(org_name),
        Esc(my_role)
    );
    for p in rows.iter().take(50) {
        let invitation = match (p.accepted_at, p.revoked_at, p.expires_at) {
            _ if p.member => "Accepted",
            (Some(_), _, _) => "Accepted",
            _ if p.undelivered_at.is_some() => "Not delivered",
            (_, Some(_), _) => "Revoked",
            (_, _, Some(e)) if e <= now => "Expired",
            (_, _, Some(_)) => "Pending",
            _ => "Not invited",
        };
        let welcome = p.welcome_sent_at.map(|t| t.format("%Y-%m-%d").to_string());
        let _ = write!(
            html,
            "<tr data-id=\"{}\" data-email=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td><a class=\"btn btn-small\" href=\"?menu={}\">More Options</a></td></tr>",
            p.id,
            Esc(&p.email),
            Esc(&p.name),
            Esc(&p.email),
            Esc(&p.role),
            Esc(&p.status),
            welcome.as_deref().unwrap_or("Not yet"),
            invitation,
            p.id
        );
    }
    html.push_str("</tbody></table>");
    if let Some(last) = rows.get(50).and(rows.get(49)) {
        let _ = write!(html, "<a href=\"?after={}\">Next</a>", last.id);
    }
    html.push_str("</main></body></html>");
    html
}

/// HTML-escapes text and attribute values.
struct Esc<'a>(&'a str);

impl std::fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['<', '>', '&', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'&' => "&amp;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}
