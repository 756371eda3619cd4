//! Account pages. Every form is a server-rendered `ActionForm`: it works without
//! JavaScript, and once hydrated it validates as you type and submits in place.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{
    RequestPasswordReset, ResetPassword, SignIn, SignUp, VerifyEmail, check_link,
    dev_mailbox_enabled, finish_passkey_sign_in, start_passkey_sign_in,
};
use super::types::{LinkState, check_email, check_name};
use crate::auth::language::LanguageSelect;
use crate::error::FieldError;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{Field, FormAlert, Submit, field_errors, follow_success};

fn query(key: &'static str) -> Memo<Option<String>> {
    let q = use_query_map();
    Memo::new(move |_| q.with(|q| q.get(key)))
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignUp>::new();
    follow_success(action);
    // Invitees get `/signup?email=<invited address>`: their invitation then waits for them.
    let invited = query("email").get_untracked().unwrap_or_default();
    view! {
        <section class="card auth-card">
            <h1>{i18n.t("auth.sign_up_title")}</h1>
            <p class="muted">{i18n.t("auth.sign_up_intro")}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <Field name="name" label="auth.name" autocomplete="name" errors=field_errors(action, "name") check=check_name />
                <Field name="email" label="auth.email" kind="email" autocomplete="email" errors=field_errors(action, "email") check=check_email value=invited />
                <NewPasswordField label="auth.password" hint="auth.password_hint" errors=field_errors(action, "password") />
                <Submit action=action label="auth.create_account" />
            </ActionForm>
            <p class="switch">
                {i18n.t("auth.have_account")} " " <a href="/signin">{i18n.t("auth.sign_in")}</a>
            </p>
        </section>
    }
}

#[component]
pub fn CheckEmailPage() -> impl IntoView {
    let i18n = use_i18n();
    let email = query("email");
    let dev = crate::wire::resource(|| (), |_| dev_mailbox_enabled());
    view! {
        <section class="card auth-card">
            <h1>{i18n.t("auth.check_email_title")}</h1>
            <p>
                {move || tr_args(i18n.locale(), "auth.check_email_body", &[("email", &email.get().unwrap_or_default())])}
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    dev.await.ok().filter(|on| *on).map(|_| view! {
                        <p class="alert alert-info">
                            {i18n.t("auth.dev_mailbox_hint")} " " <a href="/dev/mailbox">"/dev/mailbox"</a>
                        </p>
                    })
                })}
            </Suspense>
            <p><a href="/signin">{i18n.t("auth.back_to_sign_in")}</a></p>
        </section>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    follow_success(action);
    let verified = query("verified");
    let reset = query("reset");
    // The address, once given: the password step (an address whose organization signs in
    // through its own provider went there instead, from /sso/start).
    let email = query("email");
    // What went wrong on the way back from an organization's provider.
    let sso_problem = query("sso");
    // Where to go afterwards (a page that asked the visitor to sign in), if it is ours.
    let next = query("next")
        .get_untracked()
        .filter(|n| super::types::is_local_path(n));
    let next_again = next.clone();
    view! {
        <section class="card auth-card">
            <LanguageSelect id="signin-language" />
            <h1>{i18n.t("auth.sign_in_title")}</h1>
            {move || verified.get().map(|_| view! { <div class="alert alert-success" role="status">{i18n.t("auth.verified_notice")}</div> })}
            {move || reset.get().map(|_| view! { <div class="alert alert-success" role="status">{i18n.t("auth.reset_notice")}</div> })}
            {move || sso_problem.get().and_then(|code| super::types::SsoProblem::from_code(&code)).map(|p| {
                // "Check your mail" is news, not a failure.
                let (class, role) = if p == super::types::SsoProblem::ConfirmLink {
                    ("alert alert-info", "status")
                } else {
                    ("alert alert-error", "alert")
                };
                view! {
                    <div class=class role=role data-testid="sso-problem">{move || tr(i18n.locale(), p.message_key())}</div>
                }
            })}
            {move || match email.get() {
                // First the address: /sso/start sends it to its organization's provider, or
                // back here for the password.
                None => view! {
                    <form method="get" action="/sso/start">
                        {next.clone().map(|next| view! { <input type="hidden" name="next" value=next /> })}
                        <Field name="email" label="auth.email" kind="email" autocomplete="username webauthn" errors=Signal::derive(Vec::new) check=check_email />
                        <div class="row-actions">
                            <button type="submit" class="btn btn-primary">{i18n.t("auth.continue")}</button>
                            <button type="submit" class="btn" name="password" value="1">{i18n.t("auth.use_password")}</button>
                        </div>
                    </form>
                }.into_any(),
                Some(address) => {
                    let next = next_again.clone();
                    view! {
                    <FormAlert action=action />
                    <ActionForm action=action>
                        {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                        <Field name="email" label="auth.email" kind="email" autocomplete="username" value=address errors=field_errors(action, "email") check=check_email />
                        <Field name="password" label="auth.password" kind="password" autocomplete="current-password" errors=field_errors(action, "password") />
                        <Submit action=action label="auth.sign_in" />
                    </ActionForm>
                    <p class="switch"><a href="/signin">{i18n.t("auth.other_address")}</a></p>
                }.into_any()
                }
            }}
            <PasskeySignIn second_factor=false />
            <p class="switch"><a href="/forgot-password">{i18n.t("auth.forgot_link")}</a></p>
            <p class="switch">
                {i18n.t("auth.no_account")} " " <a href="/signup">{i18n.t("auth.sign_up")}</a>
            </p>
        </section>
    }
}

/// Signing in with a passkey, where the browser can (JavaScript only). On the sign-in
/// page (`second_factor` false) the browser also offers the person's passkeys among the
/// email field's suggestions; after a right password, the button is there only for a
/// person who has a passkey.
#[component]
pub fn PasskeySignIn(second_factor: bool) -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // A ceremony begun before the click (the second step's, to learn whether to show the
    // button), used by the first click.
    let ready = StoredValue::new(None::<crate::auth::types::PasskeyCeremony>);
    let run = move |conditional: bool| {
        leptos::task::spawn_local(async move {
            let locale = i18n.locale();
            let ceremony = match ready.try_update_value(Option::take).flatten() {
                Some(ceremony) => ceremony,
                None => match start_passkey_sign_in(second_factor).await {
                    Ok(ceremony) => ceremony,
                    Err(err) => return error.set(err.form_message(locale)),
                },
            };
            let token = ceremony.ceremony;
            crate::ui::passkey::get(ceremony.options, conditional, move |answer| {
                let credential = match answer {
                    Ok(Some(credential)) => credential,
                    Ok(None) => return,
                    // A waiting offer ends when the button asks instead: nothing to say.
                    Err(_) if conditional => return,
                    Err(key) => return error.set(Some(tr(locale, key))),
                };
                busy.set(true);
                error.set(None);
                leptos::task::spawn_local(async move {
                    match finish_passkey_sign_in(token, credential, second_factor).await {
                        Ok(to) => crate::ui::passkey::go(&to),
                        Err(err) => {
                            busy.set(false);
                            error.set(err.form_message(locale));
                        }
                    }
                });
            });
        });
    };
    Effect::new(move |_| {
        if !crate::ui::passkey::supported() {
            return;
        }
        if !second_factor {
            shown.set(true);
            run(true);
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(ceremony) = start_passkey_sign_in(true).await {
                ready.set_value(Some(ceremony));
                shown.set(true);
            }
        });
    });
    let label = if second_factor {
        "security.use_passkey"
    } else {
        "auth.passkey_sign_in"
    };
    view! {
        <Show when=move || shown.get()>
            <div class="passkey-sign-in">
                {move || error.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
                <button type="button" class="btn" disabled=move || busy.get() on:click=move |_| {
                    error.set(None);
                    run(false);
                }>{i18n.t(label)}</button>
            </div>
        </Show>
    }
}

/// Shows what a link is worth before anyone acts on it, with the right HTTP status.
#[component]
fn LinkGate(purpose: &'static str, children: ChildrenFn) -> impl IntoView {
    let i18n = use_i18n();
    let token = query("token");
    let state = crate::wire::resource(
        move || token.get().unwrap_or_default(),
        move |token| check_link(token, purpose.to_owned()),
    );
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(LinkState::Valid) => children.with_value(|c| c()).into_any(),
                    other => {
                        let key = match other {
                            Ok(LinkState::Used) => "errors.link_used",
                            Ok(LinkState::Expired) => "errors.link_expired",
                            _ => "errors.link_unknown",
                        };
                        let next = if purpose == "reset" { "/forgot-password" } else { "/signin" };
                        let next_label = if purpose == "reset" { "auth.forgot_again" } else { "auth.back_to_sign_in" };
                        view! {
                            <div class="alert alert-error" role="alert">{i18n.t(key)}</div>
                            <p><a href=next>{i18n.t(next_label)}</a></p>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<VerifyEmail>::new();
    follow_success(action);
    let token = query("token");
    view! {
        <section class="card auth-card">
            <h1>{i18n.t("auth.verify_title")}</h1>
            <LinkGate purpose="verify">
                <p>{i18n.t("auth.verify_body")}</p>
                <FormAlert action=action />
                <ActionForm action=action>
                    <input type="hidden" name="token" value=move || token.get().unwrap_or_default() />
                    <Field name="password" label="auth.verify_password" kind="password" autocomplete="current-password" errors=field_errors(action, "password") />
                    <Submit action=action label="auth.verify_button" />
                </ActionForm>
                <p class="switch muted">{i18n.t("auth.verify_not_you")} " " <a href="/forgot-password">{i18n.t("auth.forgot_link")}</a></p>
            </LinkGate>
        </section>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<RequestPasswordReset>::new();
    follow_success(action);
    let sent = query("sent");
    view! {
        <section class="card auth-card">
            <h1>{i18n.t("auth.forgot_title")}</h1>
            {move || sent.get().map(|_| view! { <div class="alert alert-success" role="status">{i18n.t("auth.forgot_sent")}</div> })}
            <p class="muted">{i18n.t("auth.forgot_intro")}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <Field name="email" label="auth.email" kind="email" autocomplete="email" errors=field_errors(action, "email") check=check_email />
                <Submit action=action label="auth.forgot_button" />
            </ActionForm>
            <p class="switch"><a href="/signin">{i18n.t("auth.back_to_sign_in")}</a></p>
        </section>
    }
}

/// The factors added since the last sign-in with the password, with a box to remove
/// them along with the reset (someone who got in may have added one to keep a way back).
#[component]
fn NewFactors() -> impl IntoView {
    let i18n = use_i18n();
    let token = query("token");
    let factors = crate::wire::resource(
        move || token.get().unwrap_or_default(),
        super::api::factors_to_review,
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let factors = factors.await.unwrap_or_default();
                (!factors.is_empty()).then(|| {
                    let items = factors
                        .into_iter()
                        .map(|f| {
                            let added = f.added.get(..10).unwrap_or_default().to_owned();
                            let what = if f.passkey {
                                tr_args(i18n.locale(), "auth.new_factor_passkey", &[("name", &f.name), ("added", &added)])
                            } else {
                                tr_args(i18n.locale(), "auth.new_factor_app", &[("added", &added)])
                            };
                            view! { <li class="long-value">{what}</li> }
                        })
                        .collect_view();
                    view! {
                        <fieldset class="new-factors" data-testid="new-factors">
                            <legend>{i18n.t("auth.new_factors_title")}</legend>
                            <ul>{items}</ul>
                            <div class="checkbox">
                                <input type="checkbox" id="remove-new-factors" name="remove_new_factors" value="on" />
                                <label for="remove-new-factors">{i18n.t("auth.remove_new_factors")}</label>
                            </div>
                        </fieldset>
                    }
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ResetPassword>::new();
    follow_success(action);
    let token = query("token");
    view! {
        <section class="card auth-card">
            <h1>{i18n.t("auth.reset_title")}</h1>
            <LinkGate purpose="reset">
                <FormAlert action=action />
                <ActionForm action=action>
                    <input type="hidden" name="token" value=move || token.get().unwrap_or_default() />
                    <NewPasswordField label="auth.new_password" hint="auth.password_hint" errors=field_errors(action, "password") />
                    <NewFactors />
                    <Submit action=action label="auth.reset_button" />
                </ActionForm>
            </LinkGate>
        </section>
    }
}

/// A "choose a password" field (`name="password"`), checked live with the server's rules.
#[component]
pub fn NewPasswordField(
    #[prop(into)] errors: Signal<Vec<FieldError>>,
    #[prop(default = "auth.password")] label: &'static str,
    #[prop(default = "auth.password_hint")] hint: &'static str,
) -> impl IntoView {
    view! {
        <Field
            name="password"
            label=label
            kind="password"
            autocomplete="new-password"
            hint=hint
            errors=errors
            check=super::types::check_new_password
        />
    }
}
