//! Passkeys: added on the Security page, asked for after the password as a second
//! factor, each ceremony bound to its own challenge and used once, with recovery codes
//! for a lost one, and removed by their owner. (The sign-in without a password, where the
//! authenticator says who it is, is the browser tests' journey: this software
//! authenticator keeps no discoverable credentials.)

use crate::common::*;
use app::auth::api::{CompleteSignIn, FinishPasskeySignIn, SignOut, StartPasskeySignIn};
use app::security::api::{AddPasskey, GetSecurity, RemovePasskey, StartPasskey};
use sqlx::PgPool;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, Url,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

type Authenticator = SoftPasskey;

fn authenticator() -> Authenticator {
    // It "verifies the user" (its holder unlocked it), as a platform authenticator does.
    SoftPasskey::new(true)
}

/// The origin the browser would be at: passkeys are at `localhost` for a loopback server.
fn origin(app: &TestApp) -> Url {
    Url::parse(&app.base.replace("127.0.0.1", "localhost")).unwrap()
}

/// Adds a passkey made by `device` for the person signed in on `c`; the recovery codes
/// that came with it.
async fn add(
    app: &TestApp,
    c: &reqwest::Client,
    device: &mut Authenticator,
    name: &str,
) -> Vec<String> {
    let start = ok(app.call::<StartPasskey>(c, &[]).await).await;
    let options: CreationChallengeResponse =
        serde_json::from_str(start["options"].as_str().unwrap()).unwrap();
    let credential = device.do_registration(origin(app), options).unwrap();
    let codes = ok(app
        .call::<AddPasskey>(
            c,
            &[
                ("ceremony", start["ceremony"].as_str().unwrap()),
                ("credential", &serde_json::to_string(&credential).unwrap()),
                ("name", name),
            ],
        )
        .await)
    .await;
    serde_json::from_value(codes).unwrap()
}

/// A started passkey step of the sign-in on `c`: its ceremony and the browser's options.
async fn start_step(app: &TestApp, c: &reqwest::Client) -> (String, serde_json::Value) {
    let start = ok(app
        .call::<StartPasskeySignIn>(c, &[("second_factor", "true")])
        .await)
    .await;
    let options = serde_json::from_str(start["options"].as_str().unwrap()).unwrap();
    (start["ceremony"].as_str().unwrap().to_owned(), options)
}

/// What `device` answers to `options`.
fn answer(
    app: &TestApp,
    device: &mut Authenticator,
    options: serde_json::Value,
) -> impl serde::Serialize + use<> {
    let options: RequestChallengeResponse = serde_json::from_value(options).unwrap();
    device.do_authentication(origin(app), options).unwrap()
}

async fn finish_step(
    app: &TestApp,
    c: &reqwest::Client,
    ceremony: &str,
    credential: &impl serde::Serialize,
) -> Reply<serde_json::Value> {
    app.call::<FinishPasskeySignIn>(
        c,
        &[
            ("ceremony", ceremony),
            ("credential", &serde_json::to_string(credential).unwrap()),
            ("second_factor", "true"),
        ],
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn enrol_sign_in_and_recover_with_a_passkey(pool: PgPool) {
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    let mut laptop = authenticator();
    let codes = add(&app, &c, &mut laptop, " Laptop ").await;
    assert_eq!(codes.len(), 10, "a first factor comes with recovery codes");
    let page = ok(app.call::<GetSecurity>(&c, &[]).await).await;
    assert_eq!(page["view"]["passkeys"][0]["name"], "Laptop");
    assert_eq!(
        page["view"]["passkeys_at"],
        origin(&app).origin().ascii_serialization()
    );
    // The account's handle on the passkey is random, not its id.
    let handle: Vec<u8> = sqlx::query_scalar("SELECT passkey_handle FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(handle.len(), 16);
    ok(app.call::<SignOut>(&c, &[]).await).await;

    // The password alone no longer signs in: the passkey finishes it.
    let b = new_client();
    assert_eq!(
        sign_in_to(&app, &b, "ann@example.com", PASSWORD).await,
        "/signin/second-factor"
    );
    assert_eq!(signed_in_as(&app, &b).await, None);
    let (first, first_options) = start_step(&app, &b).await;
    let (second, second_options) = start_step(&app, &b).await;
    // An answer to one ceremony's challenge does not finish another's.
    let for_first = answer(&app, &mut laptop, first_options);
    let crossed = finish_step(&app, &b, &second, &for_first).await;
    assert_eq!(crossed.status, 422, "{:?}", crossed.result);
    assert_eq!(signed_in_as(&app, &b).await, None);
    // The crossed ceremony is used up; its own answer is then refused as expired.
    let for_second = answer(&app, &mut laptop, second_options);
    assert_eq!(
        finish_step(&app, &b, &second, &for_second).await.status,
        410
    );
    ok(finish_step(&app, &b, &first, &for_first).await).await;
    assert_eq!(
        signed_in_as(&app, &b).await.as_deref(),
        Some("ann@example.com")
    );
    // Replaying the same answer does nothing more.
    assert_eq!(finish_step(&app, &b, &first, &for_first).await.status, 410);
    let used: i64 =
        sqlx::query_scalar("SELECT count(*) FROM passkeys WHERE last_used_at IS NOT NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(used, 1);

    // Someone else's passkey does not finish Ann's sign-in.
    verified_user(&app, "bob@example.com").await;
    let bobs = new_client();
    sign_in_to(&app, &bobs, "bob@example.com", PASSWORD).await;
    let mut bobs_key = authenticator();
    add(&app, &bobs, &mut bobs_key, "Bob's").await;
    let bobs_step = new_client();
    sign_in_to(&app, &bobs_step, "bob@example.com", PASSWORD).await;
    let (_, bobs_options) = start_step(&app, &bobs_step).await;
    let d = new_client();
    sign_in_to(&app, &d, "ann@example.com", PASSWORD).await;
    let (ceremony, mut options) = start_step(&app, &d).await;
    // Bob's authenticator signs Ann's challenge, as if asked for Bob's passkey.
    options["publicKey"]["allowCredentials"] =
        bobs_options["publicKey"]["allowCredentials"].clone();
    let bobs_answer = answer(&app, &mut bobs_key, options);
    assert_eq!(
        finish_step(&app, &d, &ceremony, &bobs_answer).await.status,
        422
    );
    assert_eq!(signed_in_as(&app, &d).await, None);

    // A lost passkey: a recovery code signs in instead, once.
    let phone = new_client();
    sign_in_to(&app, &phone, "ann@example.com", PASSWORD).await;
    ok(app
        .call::<CompleteSignIn>(&phone, &[("code", &codes[0])])
        .await)
    .await;
    assert_eq!(
        signed_in_as(&app, &phone).await.as_deref(),
        Some("ann@example.com")
    );

    // Removing it (the last factor) takes the recovery codes too: the password signs in.
    let id = page["view"]["passkeys"][0]["id"].to_string();
    let theirs = app.call::<RemovePasskey>(&bobs, &[("id", &id)]).await;
    assert_eq!(theirs.status, 404, "only its owner removes a passkey");
    ok(app.call::<RemovePasskey>(&phone, &[("id", &id)]).await).await;
    let page = ok(app.call::<GetSecurity>(&phone, &[]).await).await;
    assert_eq!(page["view"]["passkeys"], serde_json::json!([]));
    assert_eq!(page["view"]["recovery_codes_left"], 0);
    assert_eq!(
        sign_in_to(&app, &new_client(), "ann@example.com", PASSWORD).await,
        "/"
    );
}

#[sqlx::test(migrations = false)]
async fn a_passkey_is_refused_a_bad_name_and_added_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    let mut device = authenticator();
    let start = ok(app.call::<StartPasskey>(&c, &[]).await).await;
    let options: CreationChallengeResponse =
        serde_json::from_str(start["options"].as_str().unwrap()).unwrap();
    let credential =
        serde_json::to_string(&device.do_registration(origin(&app), options).unwrap()).unwrap();
    let ceremony = start["ceremony"].as_str().unwrap();
    let long = "x".repeat(61);
    for (name, key) in [
        (long.as_str(), "errors.passkey_name_long"),
        ("Lap\ntop", "errors.passkey_name_control"),
    ] {
        let bad = app
            .call::<AddPasskey>(
                &c,
                &[
                    ("ceremony", ceremony),
                    ("credential", &credential),
                    ("name", name),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert_eq!(
            field_keys(&bad.result.unwrap_err()),
            [("name".to_owned(), key.to_owned())]
        );
    }
    // A bad name loses nothing: the ceremony still works.
    let codes = ok(app
        .call::<AddPasskey>(
            &c,
            &[
                ("ceremony", ceremony),
                ("credential", &credential),
                ("name", ""),
            ],
        )
        .await)
    .await;
    assert_eq!(codes.as_array().map(Vec::len), Some(10));
    let again = app
        .call::<AddPasskey>(
            &c,
            &[
                ("ceremony", ceremony),
                ("credential", &credential),
                ("name", ""),
            ],
        )
        .await;
    assert_eq!(again.status, 410, "a ceremony works once");
    let page = ok(app.call::<GetSecurity>(&c, &[]).await).await;
    assert_eq!(page["view"]["passkeys"][0]["name"], "Passkey");
    // A second passkey keeps the recovery codes the person has.
    let mut other = authenticator();
    assert!(add(&app, &c, &mut other, "Phone").await.is_empty());
    // A visitor gets no ceremony.
    assert_eq!(
        app.call::<StartPasskey>(&new_client(), &[]).await.status,
        401
    );
}

/// Anyone may start a sign-in without a password, and the sign-in page starts one on every
/// view: that writes nothing (the state travels sealed in the page's token), so starts
/// cannot fill the database. A token this server did not seal, or an altered one, is
/// refused as expired before any passkey is looked at.
#[sqlx::test(migrations = false)]
async fn passwordless_sign_ins_started_by_a_visitor_write_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let visitor = new_client();
    let mut started = Vec::new();
    for _ in 0..40 {
        let start = ok(app
            .call::<StartPasskeySignIn>(&visitor, &[("second_factor", "false")])
            .await)
        .await;
        started.push(start["ceremony"].as_str().unwrap().to_owned());
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM passkey_ceremonies")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0, "starting a passwordless sign-in stores nothing");

    // A real passkey's answer, carried to a token that is not this server's.
    let c = signed_in_person(&app, "ann@example.com").await;
    let mut laptop = authenticator();
    add(&app, &c, &mut laptop, "Laptop").await;
    ok(app.call::<SignOut>(&c, &[]).await).await;
    let b = new_client();
    sign_in_to(&app, &b, "ann@example.com", PASSWORD).await;
    let (_, options) = start_step(&app, &b).await;
    let credential = serde_json::to_string(&answer(&app, &mut laptop, options)).unwrap();
    let mut altered = started[0].clone().into_bytes();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for ceremony in ["not-a-sealed-token", altered.as_str()] {
        let res = app
            .call::<FinishPasskeySignIn>(
                &visitor,
                &[
                    ("ceremony", ceremony),
                    ("credential", &credential),
                    ("second_factor", "false"),
                ],
            )
            .await;
        assert_eq!(res.status, 410, "{ceremony}: {:?}", res.result);
    }
    assert_eq!(signed_in_as(&app, &visitor).await, None);
}

/// A sign-in through an organization's provider that the person finishes with a passkey
/// (their second factor) opens a session marked as coming through that provider, as one
/// finished with an app's code does.
#[sqlx::test(migrations = false)]
async fn a_passkey_that_finishes_a_single_sign_on_keeps_its_mark(pool: PgPool) {
    use crate::sso::{acme_with_sso, link_by_mail, sign_in_via, start_provider};
    let app = spawn_app(pool).await;
    let provider = start_provider(&app);
    acme_with_sso(&app, &provider).await;
    verified_user(&app, "dee@acme.test").await;
    let desk = new_client();
    sign_in_to(&app, &desk, "dee@acme.test", PASSWORD).await;
    let mut laptop = authenticator();
    add(&app, &desk, &mut laptop, "Laptop").await;
    let c = new_client();
    let to = sign_in_via(&app, &c, "dee@acme.test", "dee@acme.test", |u| u).await;
    assert_eq!(to, "/signin?sso=confirm_link");
    assert_eq!(
        link_by_mail(&app, &c, "dee@acme.test").await,
        "/signin/second-factor"
    );
    let (ceremony, options) = start_step(&app, &c).await;
    let credential = answer(&app, &mut laptop, options);
    ok(finish_step(&app, &c, &ceremony, &credential).await).await;
    assert_eq!(
        signed_in_as(&app, &c).await.as_deref(),
        Some("dee@acme.test")
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM sessions s JOIN organizations o ON o.id = s.sso_org_id
             WHERE o.short_name = 'acme'"
        )
        .await,
        1,
        "the session came through Acme's provider"
    );
}
