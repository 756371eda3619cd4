//! The release bundle (`./muster dist`), as an operator meets it: unpacked in an empty
//! directory, started with nothing but its settings (no Rust, no checkout, no cargo on the
//! PATH), in production mode, against a real PostgreSQL and a real SMTP server.
//!
//! `./muster test` packs the bundle after the release build and names it in
//! `MUSTER_BUNDLE`; the main test run leaves this test out.

use std::process::Command;
use std::time::Duration;

use crate::common::*;
use sqlx::PgPool;

/// The unpacked bundle's one top-level folder.
fn unpack(tarball: &str, into: &std::path::Path) -> std::path::PathBuf {
    let status = Command::new("tar")
        .args(["-xzf", tarball, "-C"])
        .arg(into)
        .status()
        .unwrap();
    assert!(status.success(), "tar -xzf {tarball}");
    let mut entries = std::fs::read_dir(into).unwrap();
    let top = entries.next().unwrap().unwrap().path();
    assert!(
        entries.next().is_none(),
        "one folder at the top of the bundle"
    );
    top
}

#[sqlx::test(migrations = false)]
async fn the_bundle_serves_muster_without_rust_or_a_checkout(pool: PgPool) {
    let tarball = std::env::var("MUSTER_BUNDLE")
        .expect("MUSTER_BUNDLE names the bundle to try (./muster test sets it)");
    let empty = std::env::temp_dir().join(format!("muster-bundle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&empty);
    std::fs::create_dir_all(&empty).unwrap();
    let root = unpack(&tarball, &empty);
    for file in [
        "bin/muster-server",
        "bin/hash.txt",
        "INSTALL.md",
        "muster.service",
        "muster.env.example",
    ] {
        assert!(root.join(file).is_file(), "{file} is in the bundle");
    }
    // The unit file is one systemd accepts.
    if let Ok(out) = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(root.join("muster.service"))
        .output()
    {
        let said = String::from_utf8_lossy(&out.stderr);
        // Its paths (/opt/muster, the muster user) exist only once installed.
        let problems: Vec<&str> = said
            .lines()
            .filter(|l| !l.contains("/opt/muster") && !l.contains("User=") && !l.trim().is_empty())
            .collect();
        assert!(problems.is_empty(), "systemd-analyze verify: {said}");
    }

    let (smtp, mailbox) = server::mailsink::start("127.0.0.1:0").await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = [
        ("PATH", "/usr/bin:/bin".to_owned()),
        ("DATABASE_URL", database_url(&pool)),
        ("SMTP_URL", format!("smtp://{smtp}")),
        ("BASE_URL", "https://muster.example".to_owned()),
        ("MUSTER_SECRET_KEY", TEST_SECRET_KEY.to_owned()),
        ("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}")),
        ("MUSTER_METRICS_TOKEN", "bundle-metrics".to_owned()),
    ];
    let server = root.join("bin/muster-server");
    let log = empty.join("server.log");
    let mut child = Command::new(&server)
        .env_clear()
        .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(&empty)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(empty.join("server.err")).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = None;
    for _ in 0..150 {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await {
            ready = Some(res.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let output = || {
        std::fs::read_to_string(&log).unwrap_or_default()
            + &std::fs::read_to_string(empty.join("server.err")).unwrap_or_default()
    };
    assert_eq!(
        ready,
        Some(200),
        "the bundled server is ready:\n{}",
        output()
    );

    // Production: a page with HSTS, no mailbox page, JSON logs.
    let page = client.get(format!("{base}/signin")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("strict-transport-security"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in to Muster"), "{html}");
    assert_eq!(
        client
            .get(format!("{base}/dev/mailbox"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Its browser files are served from the bundle, precompressed.
    let stylesheet = html
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.starts_with("/pkg/") && href.ends_with(".css"))
        .unwrap_or_else(|| panic!("a stylesheet in {html}"));
    let css = client
        .get(format!("{base}{stylesheet}"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200, "{stylesheet}");
    assert_eq!(css.headers()["content-encoding"], "br");
    let wasm = std::fs::read_dir(root.join("site/pkg"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".wasm"))
        .expect("the browser bundle");
    let res = client
        .get(format!("{base}/pkg/{wasm}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{wasm}");
    // Only this build's files: every page part is named by the loader, and the main wasm
    // by hash.txt (no leftovers of earlier builds or of a development build).
    let pkg = root.join("site/pkg");
    let names: Vec<String> = std::fs::read_dir(&pkg)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let loaders: String = names
        .iter()
        .filter(|n| n.ends_with(".js"))
        .map(|n| std::fs::read_to_string(pkg.join(n)).unwrap())
        .collect();
    let hashes = std::fs::read_to_string(root.join("bin/hash.txt")).unwrap();
    let main_wasm = hashes
        .lines()
        .find_map(|l| l.strip_prefix("wasm: "))
        .map(|hash| format!("muster.{hash}.wasm"))
        .expect("hash.txt names the main wasm");
    let stray: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with(".wasm") && **n != main_wasm && !loaders.contains(n.as_str()))
        .collect();
    assert!(
        stray.is_empty(),
        "files of another build in the bundle: {stray:?}"
    );

    // A first visit downloads the shell, not every page: each page's own markup travels
    // in that page's part. (When the splitter cannot place constant data, all of it
    // stays in the main wasm, a third more for every first visit.)
    let holds = |name: &str, text: &str| {
        let bytes = std::fs::read(pkg.join(name)).unwrap();
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    };
    for page_only in ["people-search", "short-name-problem"] {
        assert!(
            !holds(&main_wasm, page_only),
            "{page_only} (one page's markup) is in the main wasm {main_wasm}"
        );
        assert!(
            names
                .iter()
                .any(|n| n.ends_with(".wasm") && *n != main_wasm && holds(n, page_only)),
            "{page_only} is in a page's part"
        );
    }

    // Nor does it carry the texts of any language: the page fetches its own.
    for locale in app::i18n::Locale::ALL {
        let text = app::i18n::tr(locale, "people.allowed_domains_hint");
        assert!(
            !names
                .iter()
                .any(|n| n.ends_with(".wasm") && holds(n, &text)),
            "{locale:?} texts are in the bundle"
        );
    }

    // The operator command of the same binary: a subscription, whose activation mail
    // reaches the SMTP server with a link to the public address.
    let out = Command::new(&server)
        .env_clear()
        .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
        .args([
            "subscription",
            "create",
            "--company",
            "Bundle Corp",
            "--email",
            "it@bundle.test",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut mails = Vec::new();
    for _ in 0..100 {
        mails = mailbox.to("it@bundle.test");
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "the activation mail arrived");
    assert!(
        mails[0].text.contains("https://muster.example/activate/"),
        "{}",
        mails[0].text
    );
    // The activation page it links to is served.
    let link = mails[0]
        .text
        .split_whitespace()
        .find(|w| w.starts_with("https://muster.example/activate/"))
        .unwrap()
        .trim_start_matches("https://muster.example")
        .to_owned();
    let wizard = client.get(format!("{base}{link}")).send().await.unwrap();
    assert_eq!(wizard.status(), 200);

    // Metrics with the token; JSON log lines.
    let metrics = client
        .get(format!("{base}/metrics"))
        .bearer_auth("bundle-metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("muster_http_requests_total")
    );
    let logged = output();
    let first = logged
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_default();
    assert!(
        serde_json::from_str::<serde_json::Value>(first).is_ok(),
        "JSON log lines:\n{logged}"
    );

    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&empty);
}
