//! Subscriptions: what an operator sells (`server subscription create`), and the demo one
//! a development server offers.

use super::queries::{self, NewSubscription};
use crate::activation::types::{PREMIUM_PRODUCTS, PRODUCTS, WizardStep, parse_company_name};
use crate::auth::types::EmailAddress;
use crate::error::{AppError, FieldError};
use crate::i18n::Locale;
use crate::mail::{outbox, templates};
use crate::state::SecretKey;
use crate::tokens;

/// An activation link works for 30 days (until the organization is active).
pub const ACTIVATION_LINK_DAYS: i32 = 30;

pub const TRIAL_DAYS: i32 = 30;

/// What an operator sold.
#[derive(Debug, Clone)]
pub struct SubscriptionSpec {
    pub company_name: String,
    pub contact_email: String,
    pub locale: Locale,
    pub plan: String,
    pub products: Vec<String>,
    pub trial: bool,
    pub seats: i32,
    pub is_demo: bool,
}

pub(super) fn validate_spec(spec: &SubscriptionSpec) -> Result<(String, Vec<String>), AppError> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&spec.contact_email).map_err(|e| errors.push(e));
    if let Err(e) = parse_company_name(&spec.company_name) {
        errors.push(e);
    }
    if !matches!(spec.plan.as_str(), "free" | "premium") {
        errors.push(FieldError::new("plan", "errors.plan_unknown"));
    }
    let mut products: Vec<String> = Vec::new();
    for p in &spec.products {
        let p = p.trim().to_lowercase();
        if !PRODUCTS.contains(&p.as_str()) {
            errors.push(
                FieldError::new("products", "errors.product_unknown").with_arg("product", &p),
            );
        } else if spec.plan == "free" && PREMIUM_PRODUCTS.contains(&p.as_str()) {
            errors.push(
                FieldError::new("products", "errors.product_premium").with_arg("product", &p),
            );
        } else if !products.contains(&p) {
            products.push(p);
        }
    }
    if products.is_empty() && errors.is_empty() {
        errors.push(FieldError::new("products", "errors.products_required"));
    }
    if spec.seats < 1 {
        errors.push(FieldError::new("seats", "errors.seats_positive"));
    }
    match (email, errors.is_empty()) {
        (Ok(email), true) => Ok((email.into_inner(), products)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Creates a pending subscription and queues "Activate Your Features" to its contact.
/// Operators only (the `server subscription create` command). Returns the link.
pub async fn create_subscription(
    pool: &sqlx::PgPool,
    key: &SecretKey,
    base_url: &str,
    spec: &SubscriptionSpec,
) -> Result<String, AppError> {
    let (email, products) = validate_spec(spec)?;
    let token = tokens::generate();
    let mut tx = pool.begin().await?;
    queries::insert_subscription(
        &mut *tx,
        &NewSubscription {
            company_name: spec.company_name.trim(),
            contact_email: &email,
            contact_locale: spec.locale.code(),
            plan: &spec.plan,
            products: &products,
            trial: spec.trial,
            seats: spec.seats,
            is_demo: spec.is_demo,
        },
        &token.hash,
        ACTIVATION_LINK_DAYS,
    )
    .await?;
    let link = format!("{base_url}/activate/{}", token.plain);
    let mail = templates::activate_features(spec.locale, spec.company_name.trim(), &link);
    outbox::enqueue(&mut *tx, key, &email, &mail).await?;
    tx.commit().await?;
    Ok(link)
}

pub enum Demo {
    /// A link to the demo wizard (new, or renewed because the old one was only printed).
    Link(String),
    AlreadyActive,
}

/// Development mode: one demo subscription, so a newcomer can try the wizard at once.
/// While it is not yet activated, each start prints a fresh link to it.
pub async fn ensure_demo(
    pool: &sqlx::PgPool,
    key: &SecretKey,
    base_url: &str,
) -> Result<Demo, AppError> {
    match queries::find_demo(pool).await? {
        None => {
            let spec = SubscriptionSpec {
                company_name: "Demo Company".into(),
                contact_email: "owner@demo.muster.localhost".into(),
                locale: Locale::En,
                plan: "premium".into(),
                products: PRODUCTS.iter().map(|p| p.to_string()).collect(),
                trial: true,
                seats: 25,
                is_demo: true,
            };
            Ok(Demo::Link(
                create_subscription(pool, key, base_url, &spec).await?,
            ))
        }
        Some((_, step)) if step >= WizardStep::Activating => Ok(Demo::AlreadyActive),
        Some((id, _)) => {
            let token = tokens::generate();
            queries::replace_token(pool, id, &token.hash, ACTIVATION_LINK_DAYS).await?;
            Ok(Demo::Link(format!("{base_url}/activate/{}", token.plain)))
        }
    }
}
