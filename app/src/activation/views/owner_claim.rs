//! The page where the holder of an account named as owner agrees (from the mailed
//! link).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::LinkProblem;
use crate::activation::api::{AcceptOwnerClaim, get_owner_claim, get_wizard};
use crate::error::AppError;
use crate::i18n::{tr, tr_args, use_i18n};
use crate::ui::form::{FormAlert, Submit, follow_success};

/// The page of the owner-claim mail: the account's holder agrees to own the
/// organization being activated (one click, works without JavaScript). Afterwards
/// (`?done=1`) it says so, read back from the wizard itself.
#[component]
pub(super) fn OwnerClaimPage(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let key = query.with_untracked(|q| q.get("key").unwrap_or_default());
    let done = query.with_untracked(|q| q.get("done").is_some());
    let action = ServerAction::<AcceptOwnerClaim>::new();
    follow_success(action);
    let claim_token = token.clone();
    let claim = crate::wire::resource(
        move || (),
        move |()| {
            let (token, key) = (claim_token.clone(), key.clone());
            async move {
                if done {
                    get_wizard(token).await.map(Err)
                } else {
                    get_owner_claim(token, key).await.map(Ok)
                }
            }
        },
    );
    let key = query.with_untracked(|q| q.get("key").unwrap_or_default());
    view! {
        <section class="card auth-card" data-page="owner-claim">
            <Suspense fallback=|| ()>
                {move || {
                    let (token, key) = (token.clone(), key.clone());
                    Suspend::new(async move {
                        match claim.await {
                            Ok(Ok(view)) => {
                                let args = [("org", view.company.as_str()), ("claimant", view.claimant.as_str()), ("email", view.email.as_str())];
                                let title = tr_args(i18n.locale(), "activation.owner_claim_title", &args);
                                let intro = tr_args(i18n.locale(), "activation.owner_claim_intro", &args);
                                let invites = if view.invites.is_empty() {
                                    view! { <p>{i18n.t("activation.owner_claim_no_invites")}</p> }.into_any()
                                } else {
                                    let rows = view
                                        .invites
                                        .iter()
                                        .map(|inv| {
                                            let role = inv.role;
                                            view! {
                                                <li class="invite-row">
                                                    <span class="invite-email">{inv.email.clone()}</span>
                                                    <span class="badge-role">{move || tr(i18n.locale(), role.label_key())}</span>
                                                </li>
                                            }
                                        })
                                        .collect_view();
                                    view! {
                                        <p>{tr_args(i18n.locale(), "activation.owner_claim_invites", &args)}</p>
                                        <ul class="invite-list">{rows}</ul>
                                    }
                                    .into_any()
                                };
                                let note = tr_args(i18n.locale(), "activation.owner_claim_invites_note", &args);
                                view! {
                                    <h1>{title}</h1>
                                    <p>{intro}</p>
                                    {invites}
                                    <p class="hint">{note}</p>
                                    <FormAlert action=action />
                                    <ActionForm action=action>
                                        <input type="hidden" name="token" value=token />
                                        <input type="hidden" name="key" value=key />
                                        <Submit action=action label="activation.owner_claim_confirm" />
                                    </ActionForm>
                                }
                                .into_any()
                            }
                            Ok(Err(wizard)) if wizard.owner.as_ref().is_some_and(|o| o.verified) => {
                                let org = wizard.company_name.clone();
                                view! {
                                    <div class="alert alert-success" role="status">
                                        {move || tr_args(i18n.locale(), "activation.owner_claim_done", &[("org", &org)])}
                                    </div>
                                    <p><a href="/signin">{i18n.t("auth.back_to_sign_in")}</a></p>
                                }
                                .into_any()
                            }
                            Ok(Err(_)) => view! { <LinkProblem err=AppError::Gone("errors.owner_claim_unknown".into()) /> }.into_any(),
                            Err(err) => view! { <LinkProblem err=err /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}
