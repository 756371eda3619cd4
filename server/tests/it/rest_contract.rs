//! The REST contract tried as an integrator would: schemathesis (from PyPI) generates
//! requests from the served OpenAPI document and runs every check it has (no 5xx, status
//! codes, content types and bodies as documented, bad input refused, ...), with a key of
//! each role. `./muster test` installs it in `.muster/tools/venv`; `SCHEMATHESIS` may name
//! another binary.

use crate::common::*;
use app::api_keys::api::CreateApiKey;
use app::i18n::Locale;
use sqlx::PgPool;

fn schemathesis() -> String {
    std::env::var("SCHEMATHESIS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../.muster/tools/venv/bin/schemathesis"
        )
        .to_owned()
    })
}

#[sqlx::test(migrations = false)]
async fn schemathesis_passes_every_check_with_a_key_of_each_role(pool: PgPool) {
    let bin = schemathesis();
    assert!(
        std::path::Path::new(&bin).exists(),
        "schemathesis is not installed at {bin}: run ./muster setup (or set SCHEMATHESIS)"
    );
    let app = spawn_app(pool).await;
    let mut acme = spec("Acme", "olivia@acme.test", Locale::En, false);
    acme.seats = 10_000;
    let owner = org_spec(&app, &acme, &[("ann@acme.test", "EDITOR")]).await;
    for role in ["OWNER", "ADMIN", "EDITOR", "VIEWER"] {
        let form = [
            ("region", "eu-central-1"),
            ("short_name", "acme"),
            ("name", "schemathesis"),
            ("role", role),
        ];
        let key = ok(app.call::<CreateApiKey>(&owner, &form).await).await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let args = [
            "run".to_owned(),
            app.url("/api/v1/openapi.json"),
            "--checks".to_owned(),
            "all".to_owned(),
            "--max-examples".to_owned(),
            "25".to_owned(),
            "--header".to_owned(),
            format!("Authorization: Bearer {key}"),
        ];
        let bin = bin.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .args(args)
                // Its example database (.schemathesis/) goes with the build, not the checkout.
                .current_dir(env!("CARGO_TARGET_TMPDIR"))
                .env("NO_COLOR", "1")
                .output()
        })
        .await
        .unwrap()
        .expect("schemathesis runs");
        let report = String::from_utf8_lossy(&out.stdout);
        println!("schemathesis with a {role} key:\n{report}");
        assert!(
            out.status.success(),
            "schemathesis with a {role} key found problems:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
