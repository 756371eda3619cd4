//! A second factor: an authenticator app and recovery codes, set up, used at sign-in,
//! kept across a password reset, limited like passwords, required by an organization,
//! and removed by the operator for someone who lost everything.

use crate::common::*;
use app::auth::api::{CompleteSignIn, RequestPasswordReset, ResetPassword, SignOut};
use app::invitations::api::AcceptInvitation;
use app::orgs::api::{GetOrgOverview, SaveSecondFactorPolicy};
use app::security::api::{ConfirmTotp, GetSecurity, NewRecoveryCodes, StartTotp, TurnOffTotp};
use sqlx::PgPool;
use totp_rs::{Algorithm, Secret, TOTP};

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];

/// An authenticator app holding the secret the Security page showed, and the moment it
/// was set up: steps count from there, so a test that runs across a 30-second boundary
/// still names the step it means (the one used to set it up is step 0).
struct App(TOTP, i64);

impl App {
    fn code_at(&self, offset_steps: i64) -> String {
        self.0.generate((self.1 + offset_steps * 30) as u64)
    }
}

/// Sets up an authenticator app for the person signed in on `c`; the app and the
/// recovery codes.
async fn enrol(app: &TestApp, c: &reqwest::Client) -> (App, Vec<String>) {
    ok(app.call::<StartTotp>(c, &[]).await).await;
    let page = ok(app.call::<GetSecurity>(c, &[]).await).await;
    let secret = page["view"]["enrolment"]["secret"]
        .as_str()
        .expect("the secret to type in")
        .replace(' ', "");
    let uri = page["view"]["enrolment"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Muster:"), "{uri}");
    assert!(
        page["view"]["enrolment"]["qr_svg_base64"]
            .as_str()
            .is_some_and(|qr| qr.len() > 100),
        "a QR code"
    );
    let totp = TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        Secret::Encoded(secret).to_bytes().unwrap(),
    )
    .unwrap();
    let app_ = App(totp, chrono::Utc::now().timestamp());
    // A wrong code does not turn it on.
    let wrong = app.call::<ConfirmTotp>(c, &[("code", "000000")]).await;
    assert_eq!(
        field_keys(&wrong.result.unwrap_err()),
        [("code".to_owned(), "errors.second_factor_wrong".to_owned())]
    );
    let codes = ok(app
        .call::<ConfirmTotp>(c, &[("code", &app_.code_at(0))])
        .await)
    .await;
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);
    (app_, codes)
}

#[sqlx::test(migrations = false)]
async fn enrol_sign_in_and_recover_with_an_authenticator_app(pool: PgPool) {
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    let (authenticator, codes) = enrol(&app, &c).await;
    let page = ok(app.call::<GetSecurity>(&c, &[]).await).await;
    assert_eq!(page["view"]["totp"], true);
    assert_eq!(page["view"]["recovery_codes_left"], 10);
    // The secret is sealed at rest: the database does not hold it in the clear.
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret_sealed FROM totp_factors")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(sealed.len() > 20 + 24, "nonce and ciphertext");
    ok(app.call::<SignOut>(&c, &[]).await).await;

    // The password alone no longer signs in: it leads to the second step.
    let laptop = new_client();
    assert_eq!(
        sign_in_to(&app, &laptop, "ann@example.com", PASSWORD).await,
        "/signin/second-factor"
    );
    assert_eq!(signed_in_as(&app, &laptop).await, None);
    // The code used to turn the app on was used once; the next step's code works.
    let used = app
        .call::<CompleteSignIn>(&laptop, &[("code", &authenticator.code_at(0))])
        .await;
    assert_eq!(used.status, 422, "{:?}", used.result);
    let next = authenticator.code_at(1);
    ok(app
        .call::<CompleteSignIn>(&laptop, &[("code", &next)])
        .await)
    .await;
    assert_eq!(
        signed_in_as(&app, &laptop).await.as_deref(),
        Some("ann@example.com")
    );
    // The step works once.
    let again = app
        .call::<CompleteSignIn>(&laptop, &[("code", &next)])
        .await;
    assert_eq!(again.status, 410);

    // A recovery code signs in once, typed as people type them.
    let phone = new_client();
    sign_in_to(&app, &phone, "ann@example.com", PASSWORD).await;
    let typed = format!(" {} ", codes[3].to_uppercase());
    ok(app
        .call::<CompleteSignIn>(&phone, &[("code", &typed)])
        .await)
    .await;
    assert_eq!(
        signed_in_as(&app, &phone).await.as_deref(),
        Some("ann@example.com")
    );
    let tablet = new_client();
    sign_in_to(&app, &tablet, "ann@example.com", PASSWORD).await;
    let reused = app
        .call::<CompleteSignIn>(&tablet, &[("code", &codes[3])])
        .await;
    assert_eq!(reused.status, 422);
    let page = ok(app.call::<GetSecurity>(&phone, &[]).await).await;
    assert_eq!(page["view"]["recovery_codes_left"], 9);

    // New codes replace the old ones; turning the app off needs a code too.
    let fresh = ok(app
        .call::<NewRecoveryCodes>(&phone, &[("code", &codes[4])])
        .await)
    .await;
    let fresh: Vec<String> = serde_json::from_value(fresh).unwrap();
    let old = app
        .call::<TurnOffTotp>(&phone, &[("code", &codes[5])])
        .await;
    assert_eq!(old.status, 422, "old codes stopped working");
    ok(app
        .call::<TurnOffTotp>(&phone, &[("code", &fresh[0])])
        .await)
    .await;
    let after = new_client();
    assert_eq!(
        sign_in_to(&app, &after, "ann@example.com", PASSWORD).await,
        "/"
    );
}

#[sqlx::test(migrations = false)]
async fn a_password_reset_keeps_the_second_factor(pool: PgPool) {
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    let (_, codes) = enrol(&app, &c).await;
    let other = new_client();
    ok(app
        .call::<RequestPasswordReset>(&other, &[("email", "ann@example.com")])
        .await)
    .await;
    let mail = mail_with_subject(&app, "ann@example.com", "Reset your Muster password").await;
    let to = ok(app
        .call::<ResetPassword>(
            &other,
            &[
                ("token", &token_of(&link_in(&mail))),
                ("password", "a brand new password"),
            ],
        )
        .await)
    .await;
    assert_eq!(to, "/signin/second-factor");
    assert_eq!(
        signed_in_as(&app, &other).await,
        None,
        "not without the factor"
    );
    assert_eq!(signed_in_as(&app, &c).await, None, "other sessions ended");
    ok(app
        .call::<CompleteSignIn>(&other, &[("code", &codes[0])])
        .await)
    .await;
    assert_eq!(
        signed_in_as(&app, &other).await.as_deref(),
        Some("ann@example.com")
    );
}

#[sqlx::test(migrations = false)]
async fn parallel_code_guesses_evaluate_at_most_the_limit(pool: PgPool) {
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    let (authenticator, _) = enrol(&app, &c).await;
    let attacker = new_client();
    sign_in_to(&app, &attacker, "ann@example.com", PASSWORD).await;
    let guesses = (0..40).map(|i| {
        let (app, attacker) = (&app, &attacker);
        async move {
            let guess = format!("{:06}", 100_000 + i * 7);
            app.call::<CompleteSignIn>(attacker, &[("code", &guess)])
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let evaluated = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    println!("40 parallel code guesses: {evaluated} evaluated, {refused} refused");
    assert!(evaluated <= 5, "{statuses:?}");
    assert_eq!(evaluated + refused, 40, "{statuses:?}");
    // Even the right code now waits: the limit is the account's.
    let right = app
        .call::<CompleteSignIn>(&attacker, &[("code", &authenticator.code_at(1))])
        .await;
    assert_eq!(right.status, 429);
}

async fn overview_status(app: &TestApp, c: &reqwest::Client) -> u16 {
    app.call::<GetOrgOverview>(c, &ACME).await.status
}

async fn set_policy(app: &TestApp, c: &reqwest::Client, policy: &str) -> u16 {
    let mut form = ACME.to_vec();
    form.push(("policy", policy));
    app.call::<SaveSecondFactorPolicy>(c, &form).await.status
}

#[sqlx::test(migrations = false)]
async fn an_organization_can_require_a_second_factor_of_admins_or_of_everyone(pool: PgPool) {
    use app::api_keys::api::CreateApiKey;
    let app = spawn_app(pool).await;
    let owner = org(
        &app,
        "Acme",
        "olga@acme.test",
        &[("adam@acme.test", "ADMIN"), ("vic@acme.test", "VIEWER")],
    )
    .await;
    let adam = accept(&app, "adam@acme.test").await;
    let vic = accept(&app, "vic@acme.test").await;
    let mut form = ACME.to_vec();
    form.extend([("name", "adam's robot"), ("role", "ADMIN")]);
    let key = ok(app.call::<CreateApiKey>(&adam, &form).await).await["key"]
        .as_str()
        .unwrap()
        .to_owned();

    // Only an OWNER decides, and only one who has a second factor.
    assert_eq!(set_policy(&app, &adam, "admins").await, 403);
    assert_eq!(set_policy(&app, &owner, "admins").await, 409);
    let (_, _) = enrol(&app, &owner).await;
    assert_eq!(set_policy(&app, &owner, "admins").await, 200);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'second_factor_policy_changed'"
        )
        .await,
        1
    );

    // OWNERs and ADMINs: Adam is led to set one up; Vic and the owner carry on.
    let refused = app.call::<GetOrgOverview>(&adam, &ACME).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused
            .result
            .unwrap_err()
            .form_message(app::i18n::Locale::En)
            .unwrap(),
        "Acme requires a second factor. Set up an authenticator app on your Security page (or sign in again with yours) to use Acme. Your other organizations are not affected."
    );
    let (_, page) = app.get(&adam, "/o/eu-central-1/acme/people").await;
    assert!(page.contains("href=\"/account/security\""), "{page}");
    assert_eq!(overview_status(&app, &vic).await, 200);
    assert_eq!(overview_status(&app, &owner).await, 200);
    // API keys are not affected.
    let (status, _) = rest(
        &app,
        Some(&key),
        reqwest::Method::GET,
        "/api/v1/members",
        None,
    )
    .await;
    assert_eq!(status, 200);
    // Adam sets one up and is in at once (this session passed it).
    enrol(&app, &adam).await;
    assert_eq!(overview_status(&app, &adam).await, 200);

    // Everyone: Vic too.
    assert_eq!(set_policy(&app, &owner, "everyone").await, 200);
    assert_eq!(overview_status(&app, &vic).await, 403);
    enrol(&app, &vic).await;
    assert_eq!(overview_status(&app, &vic).await, 200);
    assert_eq!(set_policy(&app, &owner, "sometimes").await, 422);
}

#[sqlx::test(migrations = false)]
async fn the_operator_removes_a_lost_second_factor_audited_and_mailed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "olga@acme.test", &[]).await;
    let mut form = vec![("region", "eu-central-1"), ("short_name", "acme")];
    form.extend([("name", "robot"), ("role", "VIEWER")]);
    let key = ok(app
        .call::<app::api_keys::api::CreateApiKey>(&owner, &form)
        .await)
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    enrol(&app, &owner).await;
    // Someone half-way in with Olga's password, at the step that asks for the factor.
    let thief = new_client();
    sign_in_to(&app, &thief, "olga@acme.test", PASSWORD).await;
    assert_eq!(
        app.count("SELECT count(*) FROM sign_in_challenges").await,
        1
    );
    // The operator types the address as the person said it.
    let removed = app::auth::server::second_factor::operator_reset(
        &app.pool,
        &test_key(),
        &app.base,
        " Olga@ACME.test ",
    )
    .await
    .unwrap();
    assert!(removed);
    assert_eq!(
        signed_in_as(&app, &owner).await,
        None,
        "signed out everywhere"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sign_in_challenges").await,
        0,
        "the step waiting for the lost factor ends"
    );
    let (status, _) = rest(
        &app,
        Some(&key),
        reqwest::Method::GET,
        "/api/v1/members",
        None,
    )
    .await;
    assert_eq!(status, 401, "keys made with the lost factor end");
    let mail = mail_with_subject(&app, "olga@acme.test", "second factor was removed").await;
    assert!(mail.text.contains("/signin"), "{}", mail.text);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'second_factor_reset'")
            .await,
        1
    );
    let c = new_client();
    assert_eq!(sign_in_to(&app, &c, "olga@acme.test", PASSWORD).await, "/");
    assert!(
        !app::auth::server::second_factor::operator_reset(
            &app.pool,
            &test_key(),
            &app.base,
            "nobody@acme.test"
        )
        .await
        .unwrap()
    );
}

/// A person with a second factor who accepts an invitation passes it before they are in:
/// the mailed link proves the address and the password the account, not the factor.
#[sqlx::test(migrations = false)]
async fn accepting_an_invitation_asks_for_the_second_factor_first(pool: PgPool) {
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    let (authenticator, _) = enrol(&app, &c).await;
    org(
        &app,
        "Acme",
        "it@acme.test",
        &[("ann@example.com", "EDITOR")],
    )
    .await;
    let mail = mail_with_subject(&app, "ann@example.com", "invited you").await;
    let other = new_client();
    let to = ok(app
        .call::<AcceptInvitation>(
            &other,
            &[
                ("token", &token_of(&link_in(&mail))),
                ("password", PASSWORD),
            ],
        )
        .await)
    .await;
    assert_eq!(to, "/signin/second-factor");
    assert_eq!(
        signed_in_as(&app, &other).await,
        None,
        "not without the factor"
    );
    let home = ok(app
        .call::<CompleteSignIn>(&other, &[("code", &authenticator.code_at(1))])
        .await)
    .await;
    assert_eq!(home, "/o/eu-central-1/acme");
    assert_eq!(
        signed_in_as(&app, &other).await.as_deref(),
        Some("ann@example.com")
    );
    assert_eq!(
        ok(app.call::<GetOrgOverview>(&other, &ACME).await).await["my_role"],
        "EDITOR"
    );
}

/// A session left open (its last proof long ago) cannot add a way in, nor remove one;
/// "Confirm it's you" with the password allows it for ten minutes; every change is mailed.
#[sqlx::test(migrations = false)]
async fn m7_adding_a_factor_needs_a_recent_proof_and_every_change_is_mailed(pool: PgPool) {
    use app::security::api::ConfirmItsYou;
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    // Someone finds Ann's session open, an hour after she signed in.
    sqlx::query("UPDATE sessions SET proven_at = now() - interval '1 hour'")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = ok(app.call::<GetSecurity>(&c, &[]).await).await;
    assert_eq!(page["view"]["proven"], false);
    let refused = app.call::<StartTotp>(&c, &[]).await;
    assert_eq!(
        field_keys(&refused.result.unwrap_err()),
        [("form".to_owned(), "errors.proof_needed".to_owned())]
    );
    assert_eq!(app.count("SELECT count(*) FROM totp_factors").await, 0);
    let wrong = app
        .call::<ConfirmItsYou>(&c, &[("password", "not her password")])
        .await;
    assert_eq!(
        field_keys(&wrong.result.unwrap_err()),
        [(
            "password".to_owned(),
            "errors.proof_wrong_password".to_owned()
        )]
    );
    assert_eq!(app.call::<StartTotp>(&c, &[]).await.status, 422);
    // Ann herself confirms with her password: she may change her factors now.
    ok(app
        .call::<ConfirmItsYou>(&c, &[("password", PASSWORD)])
        .await)
    .await;
    let page = ok(app.call::<GetSecurity>(&c, &[]).await).await;
    assert_eq!(page["view"]["proven"], true);
    let (_, codes) = enrol(&app, &c).await;
    let mail =
        mail_with_subject(&app, "ann@example.com", "How you sign in to Muster changed").await;
    assert!(
        mail.text.contains("authenticator app was set up"),
        "{}",
        mail.text
    );
    // Turning it off needs a current code (an existing factor), and is mailed too.
    ok(app.call::<TurnOffTotp>(&c, &[("code", &codes[0])]).await).await;
    for _ in 0..100 {
        if app
            .mailbox
            .to("ann@example.com")
            .iter()
            .any(|m| m.text.contains("authenticator app was turned off"))
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail about the app turned off");
}

/// Someone who got in adds an authenticator app to keep a way back; the holder resets
/// the password, sees the app listed as added since their last password sign-in, and
/// removes it with the reset.
#[sqlx::test(migrations = false)]
async fn m7_a_reset_removes_the_factors_added_since_the_last_password_sign_in(pool: PgPool) {
    use app::auth::api::FactorsToReview;
    let app = spawn_app(pool).await;
    signed_in_person(&app, "ann@example.com").await;
    // Ann signs in with her password; later someone with her session adds an app.
    let thief = new_client();
    sign_in_to(&app, &thief, "ann@example.com", PASSWORD).await;
    sqlx::query("UPDATE users SET password_signed_in_at = now() - interval '1 day'")
        .execute(&app.pool)
        .await
        .unwrap();
    enrol(&app, &thief).await;
    let ann = new_client();
    ok(app
        .call::<RequestPasswordReset>(&ann, &[("email", "ann@example.com")])
        .await)
    .await;
    let mail = mail_with_subject(&app, "ann@example.com", "Reset your Muster password").await;
    let token = token_of(&link_in(&mail));
    let listed = ok(app
        .call::<FactorsToReview>(&ann, &[("token", &token)])
        .await)
    .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["passkey"], false);
    // A link that does not work lists nothing.
    let none = ok(app
        .call::<FactorsToReview>(&ann, &[("token", "forged")])
        .await)
    .await;
    assert_eq!(none, serde_json::json!([]));
    let to = ok(app
        .call::<ResetPassword>(
            &ann,
            &[
                ("token", token.as_str()),
                ("password", "a brand new password"),
                ("remove_new_factors", "on"),
            ],
        )
        .await)
    .await;
    assert_eq!(to, "/?reset=1", "no factor left to ask for");
    assert_eq!(app.count("SELECT count(*) FROM totp_factors").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 0);
    assert_eq!(signed_in_as(&app, &thief).await, None);
}

/// Someone guessing codes on the Security page of a session left open cannot use up the
/// wrong codes the person has for signing in.
#[sqlx::test(migrations = false)]
async fn wrong_codes_on_the_security_page_leave_the_sign_in_budget_alone(pool: PgPool) {
    let app = spawn_app(pool).await;
    let c = signed_in_person(&app, "ann@example.com").await;
    let (_, codes) = enrol(&app, &c).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            app.call::<TurnOffTotp>(&c, &[("code", "000000")])
                .await
                .status,
        );
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let b = new_client();
    assert_eq!(
        sign_in_to(&app, &b, "ann@example.com", PASSWORD).await,
        "/signin/second-factor"
    );
    ok(app.call::<CompleteSignIn>(&b, &[("code", &codes[1])]).await).await;
    assert_eq!(
        signed_in_as(&app, &b).await.as_deref(),
        Some("ann@example.com")
    );
}
