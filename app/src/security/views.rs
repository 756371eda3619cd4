//! The Security page (`/account/security`) and the second step of signing in.

use leptos::prelude::*;

use super::api::{
    ConfirmItsYou, ConfirmTotp, NewRecoveryCodes, RemovePasskey, SecurityPage, StartTotp,
    TurnOffTotp, add_passkey, get_security, start_passkey,
};
use crate::auth::api::CompleteSignIn;
use crate::auth::types::PasskeyView;
use crate::auth::views::PasskeySignIn;
use crate::error::AppError;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{Field, FormAlert, Submit, field_errors, follow_success};
use crate::ui::prompt::SignInPrompt;

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

/// Reads the page again once `action` succeeds (what it changed is shown in place).
fn refetch_after<A>(
    action: ServerAction<A>,
    page: Resource<Result<SecurityPage, AppError>, crate::wire::PackedCodec>,
) where
    A: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            page.refetch();
        }
    });
}

#[component]
pub fn SecurityPageView() -> impl IntoView {
    let i18n = use_i18n();
    let page = crate::wire::resource(|| (), |_| get_security());
    let start = ServerAction::<StartTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let off = ServerAction::<TurnOffTotp>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let prove = ServerAction::<ConfirmItsYou>::new();
    refetch_after(prove, page);
    // Codes made with a first passkey (with JavaScript: passkeys need it).
    let passkey_codes = RwSignal::new(None::<Vec<String>>);
    // The app's QR code is on this page: read it again rather than load the page anew.
    refetch_after(start, page);
    refetch_after(confirm, page);
    follow_success(off);
    refetch_after(remove, page);
    // With JavaScript, the codes come back in the answer.
    let fresh = move || {
        confirm
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| renew.value().get().and_then(Result::ok))
            .or_else(|| passkey_codes.get())
    };
    let added = Callback::new(move |codes: Vec<String>| {
        if !codes.is_empty() {
            passkey_codes.set(Some(codes));
        }
        page.refetch();
    });
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
                    let proof = match (view.proven, view.has_password) {
                        (true, _) => None,
                        (false, true) => Some(view! {
                            <section class="proof" id="proof" aria-labelledby="proof-title">
                                <h2 id="proof-title">{i18n.t("security.proof_title")}</h2>
                                <p class="muted">{i18n.t("security.proof_hint")}</p>
                                <FormAlert action=prove />
                                <ActionForm action=prove>
                                    <Field name="password" label="auth.password" kind="password" autocomplete="current-password" id="proof-password" errors=field_errors(prove, "password") />
                                    <Submit action=prove label="security.proof_confirm" />
                                </ActionForm>
                            </section>
                        }.into_any()),
                        (false, false) => Some(view! {
                            <section class="proof" id="proof">
                                <h2>{i18n.t("security.proof_title")}</h2>
                                <p class="muted">{i18n.t("security.proof_no_password")}</p>
                            </section>
                        }.into_any()),
                    };
                    let body = if view.totp {
                        let left = view.recovery_codes_left.to_string();
                        view! {
                            <h2 id="totp">{i18n.t("security.app_title")}</h2>
                            <p class="status-on" data-testid="totp-on">{i18n.t("security.app_on")}</p>
                            <p>{move || tr_args(i18n.locale(), "security.codes_left", &[("count", &left)])}</p>
                            <h3>{i18n.t("security.new_codes_title")}</h3>
                            <FormAlert action=renew />
                            <ActionForm action=renew>
                                <Field name="code" label="security.renew_code" autocomplete="one-time-code" hint="security.code_hint" errors=field_errors(renew, "code") />
                                <Submit action=renew label="security.new_codes" />
                            </ActionForm>
                            <h3>{i18n.t("security.off_title")}</h3>
                            <p class="muted">{i18n.t("security.off_hint")}</p>
                            <FormAlert action=off />
                            <ActionForm action=off>
                                <Field name="code" id="field-off-code" label="security.off_code" autocomplete="one-time-code" errors=field_errors(off, "code") />
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
                        <Passkeys list=view.passkeys at=view.passkeys_at remove=remove added=added />
                    };
                    view! {
                        {proof}
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

/// The person's passkeys: each with "Remove" (a plain form), and "Add a passkey", which
/// needs JavaScript and a browser that has passkeys (the page says so otherwise).
#[component]
fn Passkeys(
    list: Vec<PasskeyView>,
    at: Option<String>,
    remove: ServerAction<RemovePasskey>,
    added: Callback<Vec<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let supported = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let checked = RwSignal::new(false);
    Effect::new(move |_| {
        supported.set(crate::ui::passkey::supported());
        checked.set(true);
    });
    let add = move |_| {
        busy.set(true);
        error.set(None);
        let locale = i18n.locale();
        let failed = move |message: Option<String>| {
            busy.set(false);
            error.set(message);
        };
        leptos::task::spawn_local(async move {
            let ceremony = match start_passkey().await {
                Ok(ceremony) => ceremony,
                Err(e) => return failed(e.form_message(locale)),
            };
            let token = ceremony.ceremony;
            crate::ui::passkey::create(ceremony.options, move |answer| {
                let credential = match answer {
                    Ok(credential) => credential,
                    Err(key) => return failed(Some(tr(locale, key))),
                };
                leptos::task::spawn_local(async move {
                    match add_passkey(token, credential, name.get_untracked()).await {
                        Ok(codes) => {
                            busy.set(false);
                            name.set(String::new());
                            added.run(codes);
                        }
                        Err(e) => failed(
                            e.for_field("name")
                                .first()
                                .map(|f| f.message(locale))
                                .or_else(|| e.form_message(locale)),
                        ),
                    }
                });
            });
        });
    };
    let items = list
        .into_iter()
        .map(|p| {
            let added_on = p.created.chars().take(10).collect::<String>();
            let used = p.last_used.map(|t| t.chars().take(10).collect::<String>());
            view! {
                <li data-testid="passkey">
                    <strong>{p.name}</strong>
                    <span class="muted">
                        {move || tr_args(i18n.locale(), "security.passkey_added", &[("date", &added_on)])}
                        {used.clone().map(|d| view! { " · " {move || tr_args(i18n.locale(), "security.passkey_used", &[("date", &d)])} })}
                    </span>
                    <ActionForm action=remove>
                        <input type="hidden" name="id" value=p.id.to_string() />
                        <button type="submit" class="btn btn-danger">{i18n.t("security.passkey_remove")}</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let elsewhere = at.map(|at| format!("{at}/account/security"));
    view! {
        <h2 id="passkeys">{i18n.t("security.passkeys_title")}</h2>
        <p class="muted">{i18n.t("security.passkeys_intro")}</p>
        <FormAlert action=remove />
        <ul class="passkeys">{items}</ul>
        <Show when=move || supported.get() fallback=move || {
            let elsewhere = elsewhere.clone();
            // Drawn on the server (and so without JavaScript): they need it.
            match checked.get() {
                false => view! { <p class="muted">{i18n.t("security.passkeys_need_js")}</p> }.into_any(),
                true => view! {
                    <p class="muted">
                        {i18n.t("security.passkeys_unavailable")}
                        {elsewhere.map(|href| view! { " " <a href=href.clone() rel="external">{href.clone()}</a> })}
                    </p>
                }
                .into_any(),
            }
        }>
            {move || error.get().map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })}
            <div class="field">
                <label for="field-passkey-name">{i18n.t("security.passkey_name")}</label>
                <input id="field-passkey-name" type="text" maxlength="60" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </div>
            <button type="button" class="btn btn-primary" disabled=move || busy.get() on:click=add>
                {i18n.t("security.passkey_add")}
            </button>
        </Show>
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
            <PasskeySignIn second_factor=true />
            <p class="switch"><a href="/signin">{i18n.t("auth.back_to_sign_in")}</a></p>
        </section>
    }
}
