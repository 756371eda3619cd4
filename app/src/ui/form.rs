use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::{AppError, FieldError};
use crate::i18n::use_i18n;

/// A labelled input with its error message underneath.
///
/// Server errors come from the form's last submission; `check`, when given, runs in the
/// browser after the field loses focus (and on every keystroke once it has shown a
/// problem), using the same rules the server applies.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(default = "")] hint: &'static str,
    #[prop(into)] errors: Signal<Vec<FieldError>>,
    #[prop(optional)] check: Option<fn(&str) -> Option<FieldError>>,
    #[prop(optional, into)] value: Option<String>,
    /// Called with the value on every keystroke (e.g. for a live preview).
    #[prop(optional)]
    on_input: Option<Callback<String>>,
    /// The input's id, when two forms of a page have a field of the same name.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = id.map_or_else(|| format!("field-{name}"), str::to_owned);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let live_error = RwSignal::new(None::<FieldError>);
    let touched = RwSignal::new(false);
    let run_check = move |value: &str| {
        if let Some(check) = check {
            live_error.set(check(value));
        }
    };
    let message = move || {
        live_error
            .get()
            .or_else(|| errors.get().into_iter().next())
            .map(|e| e.message(i18n.locale()))
    };
    let invalid = move || message().is_some().to_string();
    let described_by = if hint.is_empty() {
        error_id.clone()
    } else {
        format!("{hint_id} {error_id}")
    };
    view! {
        <div class="field">
            <label for=id.clone()>{i18n.t(label)}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                aria-invalid=invalid
                aria-describedby=described_by
                on:blur=move |ev| {
                    touched.set(true);
                    run_check(&event_target_value(&ev));
                }
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    if touched.get_untracked() {
                        run_check(&value);
                    }
                    if let Some(on_input) = on_input {
                        on_input.run(value);
                    }
                }
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint" id=hint_id>{i18n.t(hint)}</p> })}
            <p class="field-error" id=error_id aria-live="polite">{message}</p>
        </div>
    }
}

/// The role picker (`name="role"`), VIEWER first chosen: least privilege by default.
#[component]
pub fn RoleSelect(#[prop(into)] errors: Signal<Vec<FieldError>>) -> impl IntoView {
    use crate::roles::Role;
    let i18n = use_i18n();
    view! {
        <div class="field">
            <label for="field-role">{i18n.t("activation.role")}</label>
            <select id="field-role" name="role">
                {Role::ALL
                    .into_iter()
                    .map(|r| {
                        view! {
                            <option value=r.code() selected=r == Role::Viewer>
                                {move || crate::i18n::tr(i18n.locale(), r.label_key())}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" aria-live="polite">
                {move || errors.get().first().map(|e| e.message(i18n.locale()))}
            </p>
        </div>
    }
}

/// The field errors of an action's last result, for one field.
pub fn field_errors<S>(action: ServerAction<S>, field: &'static str) -> Signal<Vec<FieldError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.for_field(field))
            .unwrap_or_default()
    })
}

/// The message at the top of a form after a failed submission.
#[component]
pub fn FormAlert<S>(action: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.form_message(i18n.locale()))
            .map(|msg| view! { <div class="alert alert-error" role="alert">{msg}</div> })
    }
}

/// A submit button that shows it is working while the request is in flight.
#[component]
pub fn Submit<S>(action: ServerAction<S>, label: &'static str) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    view! {
        <button type="submit" class="btn btn-primary" aria-busy=move || action.pending().get().to_string()>
            {i18n.t(label)}
        </button>
    }
}

/// After a successful submission in the hydrated app, load the page the server named
/// (a full load, so every part of the page sees the new session or language).
pub fn follow_success<S>(action: ServerAction<S>)
where
    S: ServerFn<Error = AppError, Output = String> + Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(path)) = action.value().get() {
            navigate_hard(&path);
        }
    });
}

pub fn navigate_hard(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let location = window.location();
        // The page the browser is on, at a `#section`: going there would only scroll,
        // so the page is loaded again at that section.
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        match path.split_once('#') {
            Some((target, _)) if target == here => {
                let _ = location.replace(path);
                let _ = location.reload();
            }
            _ => {
                let _ = location.assign(path);
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Hidden inputs naming the organization, for every form on an organization page.
#[component]
pub fn OrgInputs(region: String, short_name: String) -> impl IntoView {
    view! {
        <input type="hidden" name="region" value=region />
        <input type="hidden" name="short_name" value=short_name />
    }
}

/// Copies `text` (a link, a key) with the Clipboard API; without it the field stays
/// selectable by hand.
#[allow(unused_variables)]
pub fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}
