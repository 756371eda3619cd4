//! Organization server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::service;
use super::types::OrgOverview;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

#[server]
pub async fn get_org_overview(region: String, short_name: String) -> Result<OrgOverview, AppError> {
    let state = AppState::current();
    let result = async {
        let user = request::require_user(&state).await?;
        service::overview(&state, &user, &region, &short_name).await
    }
    .await;
    if let Err(err) = &result {
        request::set_page_status(err.status());
    }
    result
}
