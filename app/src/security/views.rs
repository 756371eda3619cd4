//! The Security page (`/account/security`) and the second step of signing in.

use leptos::prelude::*;

use super::api::{
    ConfirmTotp, NewRecoveryCodes, SecurityPage, StartTotp, TurnOffTotp, get_security,
};
use crate::auth::api::CompleteSignIn;
use crate::auth::views::SignInPrompt;
use crate::error::AppError;
use crate::i18n::{tr_args, use_i18n};
use crate::ui::form::{Field, FormAlert, Submit, field_errors, follow_success};

/// Recovery codes, shown once.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    let items = codes
        .into_iter()
        .map(|c| view! { <li><code>{c}</code></li> })
        .collect_view();
    view! {
        <div class="alert alert-success" role="status" id="recovery-codes" data-testid="recovery-codes">
            <h2>{i18n.t("security.codes_title")}</h2>
            <p>{i18n.t("security.codes_once")}</p>
            <ul class="recovery-codes">{items}</ul>
            // A full load: the page then shows the codes no more.
            <p><a href="/account/security" rel="external">{i18n.t("security.codes_saved")}</a></p>
        </div>
    }
}

#[component]
pub fn SecurityPageView() -> impl IntoView {
    let i18n = use_i18n();
    let page = Resource::new(|| (), |_| get_security());
    let start = ServerAction::<StartTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let off = ServerAction::<TurnOffTotp>::new();
    // The app's QR code is on this page: read it again rather than load the page anew.
    Effect::new(move |_| {
        if let Some(Ok(_)) = start.value().get() {
            page.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = confirm.value().get() {
            page.refetch();
        }
    });
    follow_success(off);
    // With JavaScript, the codes come back in the answer.
    let fresh = move || {
        confirm
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| renew.value().get().and_then(Result::ok))
    };
    view! {
        <section class="card security" data-page="security">
            <h1>{i18n.t("security.title")}</h1>
            <p class="muted">{i18n.t("security.intro")}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let SecurityPage { view, new_codes } = match page.await {
                        Ok(page) => page,
                        Err(AppError::Unauthenticated) => return view! { <SignInPrompt /> }.into_any(),
                        Err(err) => {
                            let message = err.form_message(i18n.locale());
                            return view! { <div class="alert alert-error" role="alert">{message}</div> }.into_any();
                        }
                    };
                    let shown = (!new_codes.is_empty()).then(|| view! { <RecoveryCodes codes=new_codes /> });
                    let body = if view.totp {
                        let left = view.recovery_codes_left.to_string();
                        view! {
                            <h2 id="totp">{i18n.t("security.app_title")}</h2>
                            <p class="status-on" data-testid="totp-on">{i18n.t("security.app_on")}</p>
                            <p>{move || tr_args(i18n.locale(), "security.codes_left", &[("count", &left)])}</p>
                            <h3>{i18n.t("security.new_codes_title")}</h3>
                            <FormAlert action=renew />
                            <ActionForm action=renew>
                                <Field name="code" label="security.code" autocomplete="one-time-code" hint="security.code_hint" errors=field_errors(renew, "code") />
                                <Submit action=renew label="security.new_codes" />
                            </ActionForm>
                            <h3>{i18n.t("security.off_title")}</h3>
                            <p class="muted">{i18n.t("security.off_hint")}</p>
                            <FormAlert action=off />
                            <ActionForm action=off>
                                <Field name="code" id="field-off-code" label="security.code" autocomplete="one-time-code" errors=field_errors(off, "code") />
                                <button type="submit" class="btn btn-danger">{i18n.t("security.turn_off")}</button>
                            </ActionForm>
                        }
                        .into_any()
                    } else if let Some(enrolment) = view.enrolment {
                        let qr = format!("data:image/svg+xml;base64,{}", enrolment.qr_svg_base64);
                        view! {
                            <h2 id="totp">{i18n.t("security.app_title")}</h2>
                            <ol class="steps">
                                <li>{i18n.t("security.step_scan")}</li>
                                <li>{i18n.t("security.step_code")}</li>
                            </ol>
                            <img class="qr" src=qr width="200" height="200" alt=i18n.t("security.qr_alt") />
                            <p>{i18n.t("security.secret_label")} " " <code data-testid="totp-secret">{enrolment.secret}</code></p>
                            <p><a href=enrolment.uri>{i18n.t("security.open_app")}</a></p>
                            <FormAlert action=confirm />
                            <ActionForm action=confirm>
                                <Field name="code" label="security.code" autocomplete="one-time-code" errors=field_errors(confirm, "code") />
                                <Submit action=confirm label="security.turn_on" />
                            </ActionForm>
                        }
                        .into_any()
                    } else {
                        view! {
                            <h2 id="totp">{i18n.t("security.app_title")}</h2>
                            <p>{i18n.t("security.app_off")}</p>
                            <FormAlert action=start />
                            <ActionForm action=start>
                                <Submit action=start label="security.set_up" />
                            </ActionForm>
                        }
                        .into_any()
                    };
                    let passkeys = view! {
                        <h2>{i18n.t("security.passkeys_title")}</h2>
                        <p class="muted">{i18n.t("security.passkeys_soon")}</p>
                    };
                    view! {
                        {shown}
                        {move || fresh().map(|codes| view! { <RecoveryCodes codes=codes /> })}
                        {body}
                        {passkeys}
                    }
                    .into_any()
                })}
            </Suspense>
        </section>
    }
}

/// The second step of signing in.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<CompleteSignIn>::new();
    follow_success(action);
    view! {
        <section class="card auth-card" data-page="second-factor">
            <h1>{i18n.t("security.sign_in_title")}</h1>
            <p>{i18n.t("security.sign_in_intro")}</p>
            <FormAlert action=action />
            <ActionForm action=action>
                <Field name="code" label="security.code" autocomplete="one-time-code" hint="security.code_hint" errors=field_errors(action, "code") />
                <Submit action=action label="auth.sign_in" />
            </ActionForm>
            <p class="switch"><a href="/signin">{i18n.t("auth.back_to_sign_in")}</a></p>
        </section>
    }
}
