//! Pages as a browser without JavaScript sees them: server-rendered HTML and plain
//! form posts answered with redirects.

use crate::common::*;
use app::auth::api::{SignIn, SignUp};
use app::i18n::Locale;
use leptos::server_fn::ServerFn;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn pages_are_server_rendered_in_the_browsers_language(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (lang, html_lang, label) in [
        ("en-US,en", "en", "Sign in to Muster"),
        ("fr", "fr", "Se connecter à Muster"),
        ("de-DE", "de", "Bei Muster anmelden"),
    ] {
        let res = app
            .client
            .get(app.url("/signin"))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("<html lang=\"{html_lang}\"")),
            "{lang}"
        );
        assert!(html.contains(label), "{lang}: {label}");
        // The address first (to its organization's provider, or on to the password), by
        // plain forms that work without JavaScript.
        assert!(
            html.contains("action=\"/sso/start\""),
            "the address form works without JavaScript"
        );
        let (_, html) = app.get(&app.client, "/signin?email=jo%40example.com").await;
        assert!(
            html.contains(&format!("action=\"{}\"", SignIn::PATH))
                && html.contains("value=\"jo@example.com\""),
            "the password form posts without JavaScript"
        );
    }
}

/// The browser's bundle carries no texts: each page names its language's texts file
/// (and the others', for a switch), which the server answers for good.
#[sqlx::test(migrations = false)]
async fn a_page_names_its_languages_texts_which_browsers_keep(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app
        .client
        .get(app.url("/signin"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    let href = |lang: &str| {
        let attr = format!("data-{lang}=\"");
        let start = html
            .find(&attr)
            .unwrap_or_else(|| panic!("{attr} in {html}"))
            + attr.len();
        html[start..].split('"').next().unwrap().to_owned()
    };
    assert!(
        html.contains(&format!(
            "rel=\"preload\" id=\"muster-texts\" href=\"{}\"",
            href("fr")
        )),
        "the page's own language is preloaded"
    );
    for (lang, locale) in [("en", Locale::En), ("fr", Locale::Fr), ("de", Locale::De)] {
        let path = href(lang);
        assert!(path.starts_with(&format!("/texts/{lang}.")), "{path}");
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let texts: std::collections::HashMap<String, String> = res.json().await.unwrap();
        assert_eq!(texts["auth.sign_in"], app::i18n::tr(locale, "auth.sign_in"));
        assert!(
            !texts.keys().any(|k| k.starts_with("email.")),
            "mail stays on the server"
        );
    }
    // A stale or made-up name is not found (a new build names new files).
    let (status, _) = app.get(&app.client, "/texts/fr.000000000000.json").await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = false)]
async fn a_plain_form_post_signs_in_and_redirects(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.call::<SignUp>(
        &app.client,
        &[
            ("name", "Jo"),
            ("email", "jo@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await
    .result
    .unwrap();
    let token = token_of(&link_in(&app.wait_for_mail("jo@example.com", 1).await[0]));
    let verify = app
        .client
        .post(app.url(app::auth::api::VerifyEmail::PATH))
        .header("accept", "text/html")
        .header("referer", app.url(&format!("/verify-email?token={token}")))
        .form(&[("token", token.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status(), 302);
    assert_eq!(verify.headers()["location"], "/?verified=1");

    let wrong = app
        .client
        .post(app.url(SignIn::PATH))
        .header("accept", "text/html")
        .header("referer", app.url("/signin?email=jo%40example.com"))
        .form(&[("email", "jo@example.com"), ("password", "wrong password!")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 302);
    let back = wrong.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&app.url("/signin?")) && back.contains("__err="),
        "{back}"
    );
    let (_, html) = app
        .get(&app.client, back.trim_start_matches(&app.base))
        .await;
    assert!(
        html.contains("The email or password is incorrect."),
        "the error shows on the re-rendered page"
    );

    let ok = app
        .client
        .post(app.url(SignIn::PATH))
        .header("accept", "text/html")
        .header("referer", app.url("/signin?email=jo%40example.com"))
        .form(&[("email", "jo@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 302);
    assert_eq!(ok.headers()["location"], "/");
    let (_, home) = app.get(&app.client, "/").await;
    assert!(home.contains("Welcome, Jo"));
    assert!(
        home.contains("Your organizations will be listed here once you activate or join one."),
        "{home}"
    );
}

#[sqlx::test(migrations = false)]
async fn the_dev_mailbox_lists_sent_mail_with_clickable_links(pool: PgPool) {
    let app = spawn_app_with_mailbox_page(pool).await;
    app.call::<SignUp>(
        &app.client,
        &[
            ("name", "Kim"),
            ("email", "kim@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await
    .result
    .unwrap();
    app.wait_for_mail("kim@example.com", 1).await;
    let (status, html) = app.get(&app.client, "/dev/mailbox").await;
    assert_eq!(status, 200);
    assert!(html.contains("Confirm your email for Muster") && html.contains("kim@example.com"));
    assert!(html.contains(&format!("<a href=\"{}/verify-email?token=", app.base)));
}

#[sqlx::test(migrations = false)]
async fn there_is_no_dev_mailbox_when_real_smtp_is_configured(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, _) = app.get(&app.client, "/dev/mailbox").await;
    assert_eq!(status, 404);
}

/// Pages rendered side by side must not disturb one another. Leptos reads the page title
/// after the page's reactive sandbox has been left, and under load that read landed in
/// another request's arena: "reactive value already disposed", a panic that dropped the
/// connection (1.8% of People pages at 64 connections).
#[sqlx::test(migrations = false)]
async fn many_pages_at_once_all_answer(pool: PgPool) {
    let app = spawn_app(pool).await;
    let url = app.url("/signin");
    let workers = (0..48).map(|i| {
        let url = url.clone();
        let lang = ["en", "fr", "de"][i % 3];
        tokio::spawn(async move {
            let client = new_client();
            let mut failures = Vec::new();
            for _ in 0..20 {
                match client
                    .get(&url)
                    .header("accept-language", lang)
                    .send()
                    .await
                {
                    Ok(res) if res.status() == 200 => {
                        let html = res.text().await.unwrap_or_default();
                        if !html.contains("<title>Muster</title>")
                            || !html.contains(&format!("<html lang=\"{lang}\""))
                        {
                            failures.push(format!("{lang}: wrong page"));
                        }
                    }
                    Ok(res) => failures.push(format!("{lang}: status {}", res.status())),
                    Err(err) => failures.push(format!("{lang}: {err}")),
                }
            }
            failures
        })
    });
    let mut failures = Vec::new();
    for worker in futures::future::join_all(workers).await {
        failures.extend(worker.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} of 960 failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

/// The public pages a signed-out visitor sees are rendered once per language and then
/// served from memory. Each copy must still carry a nonce of its own (the one its CSP
/// names), speak the visitor's language, and never stand in for a signed-in page.
#[sqlx::test(migrations = false)]
async fn kept_public_pages_get_their_own_nonce_and_never_stand_in_for_a_signed_in_page(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let visitor = new_client();
    let mut seen = Vec::new();
    for path in ["/", "/", "/signin", "/signin", "/signup"] {
        let res = visitor.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let nonce = csp_nonce(res.headers());
        let html = res.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path}");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: every script carries the nonce its CSP names"
        );
        assert!(!seen.contains(&nonce), "{path}: a nonce was served twice");
        seen.push(nonce);
        assert!(!html.contains("Welcome,"), "{path}");
    }
    let fr = app
        .get_with_cookie(&visitor, "/signin", "muster_lang=fr")
        .await;
    assert!(fr.contains("Se connecter à Muster"), "the chosen language");

    verified_user(&app, "ada@example.com").await;
    let (status, home) = app.get(&app.client, "/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("Welcome, Ada Lovelace"),
        "the signed-in home, not the kept copy"
    );
    let (_, signin) = app.get(&app.client, "/signin").await;
    assert!(
        !signin.contains("Se connecter"),
        "{}",
        &signin[..200.min(signin.len())]
    );
}

/// Bundle files are answered as files while 404 pages render beside them. leptos_axum's
/// file handler applied the response options of whatever page the thread had rendered
/// last, and a wasm chunk went out with that page's 404 (the browser then failed to
/// hydrate).
#[sqlx::test(migrations = false)]
async fn bundle_files_are_never_answered_with_another_pages_status(pool: PgPool) {
    let root = std::env::temp_dir().join(format!(
        "muster-site-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(root.join("pkg/part.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let app = spawn_app_with(
        pool,
        Options {
            site_root: Some(root.to_string_lossy().into_owned()),
            ..Default::default()
        },
    )
    .await;
    let workers = (0..32).map(|i| {
        let (page, file) = (app.url("/no-such-page"), app.url("/pkg/part.wasm"));
        tokio::spawn(async move {
            let client = new_client();
            let mut wrong = Vec::new();
            for _ in 0..30 {
                let (url, want) = if i % 2 == 0 {
                    (&page, 404)
                } else {
                    (&file, 200)
                };
                match client.get(url).send().await {
                    Ok(res) if res.status() == want => {}
                    Ok(res) => wrong.push(format!("{url}: {}", res.status())),
                    Err(err) => wrong.push(format!("{url}: {err}")),
                }
            }
            wrong
        })
    });
    let mut wrong = Vec::new();
    for worker in futures::future::join_all(workers).await {
        wrong.extend(worker.unwrap());
    }
    std::fs::remove_dir_all(&root).ok();
    assert!(
        wrong.is_empty(),
        "{} of 960 wrong: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}

/// A member's People page is kept between changes (`server::page_cache::people`): each
/// view still shows what is there now, however it was changed, in the viewer's
/// language, and one person's copy never stands in for another's page.
#[sqlx::test(migrations = false)]
async fn a_kept_people_page_always_shows_what_is_there_now(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let owner = org(&app, "Acme", "it@acme.test", &[("vic@acme.test", "VIEWER")]).await;
    let viewer = accept(&app, "vic@acme.test").await;
    let path = "/o/eu-central-1/acme/people";
    let mut nonces = Vec::new();
    for _ in 0..3 {
        let res = owner.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let nonce = csp_nonce(res.headers());
        let html = res.text().await.unwrap();
        assert!(html.contains("Vic Viewer") && html.contains("Invite All"));
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            html.matches("<script").count(),
            "every script carries the nonce its CSP names"
        );
        assert!(!nonces.contains(&nonce), "a nonce was served twice");
        nonces.push(nonce);
    }
    // Changed behind this server's back (another server, psql): the next view shows it.
    let change = async |sql: &str| {
        sqlx::query(sql).execute(&pool).await.unwrap();
        app.get(&owner, path).await.1
    };
    let html =
        change("UPDATE people SET name = 'Victoria Viewer' WHERE email = 'vic@acme.test'").await;
    assert!(html.contains("Victoria Viewer") && !html.contains("Vic Viewer"));
    // What the shell shows is part of the read: the person's own name.
    let html = change("UPDATE users SET name = 'Ida Owner' WHERE email = 'it@acme.test'").await;
    assert!(html.contains("Ida Owner"));
    // And the admin bar: the day's invitation quota.
    let html =
        change("UPDATE organizations SET invite_daily_quota = 77 WHERE short_name = 'acme'").await;
    assert!(html.contains("77"), "the new quota");
    // Someone else at the same address gets their own page: a viewer has no admin bar.
    let (status, html) = app.get(&viewer, path).await;
    assert_eq!(status, 200);
    assert!(html.contains("Victoria Viewer") && !html.contains("Invite All"));
    // The language one chooses: the page follows it, there and back.
    for (code, lang, invite_all) in [("fr", "fr", "Inviter tous"), ("en", "en", "Invite All")] {
        ok(app
            .call::<app::auth::api::SetLocale>(&owner, &[("locale", code)])
            .await)
        .await;
        let (_, html) = app.get(&owner, path).await;
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{code}");
        assert!(html.contains(invite_all), "{code}");
    }
    // A member who left is not shown the copy of when they were one.
    sqlx::query("UPDATE people SET status = 'inactive' WHERE email = 'vic@acme.test'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, html) = app.get(&viewer, path).await;
    assert_ne!(status, 200, "{}", &html[..300.min(html.len())]);
}
