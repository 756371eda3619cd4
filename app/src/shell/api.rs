//! The app frame's one server function: what the top bar shows.

use leptos::prelude::*;

use crate::auth::types::ShellData;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{request, state::AppState};

/// What the app shell shows the signed-in person (nothing for visitors): the one place
/// that loads their organizations for the switcher and the invitations for the bell.
#[server(output = crate::wire::Packed)]
pub async fn get_shell() -> Result<Option<ShellData>, AppError> {
    let state = AppState::current();
    let result = async {
        let Some(caller) = request::caller(&state).await? else {
            return Ok(None);
        };
        // A page load read them with the identity; a call asks the bell's own query.
        let pending = match caller.shell_pending {
            Some(pending) => pending,
            None => {
                crate::notifications::server::service::list(&state, caller.identity.principal())
                    .await?
                    .invitations
            }
        };
        let (principal, orgs) = caller.identity.into_parts();
        let last_org = crate::exchange::parts()
            .and_then(|p| crate::cookies::read_cookie(&p.headers, super::LAST_ORG_COOKIE))
            .map(|value| format!("/o/{value}"))
            .filter(|home| orgs.iter().any(|m| &m.home() == home));
        Ok(Some(ShellData {
            principal,
            orgs,
            pending,
            last_org,
        }))
    }
    .await;
    request::respond(result)
}
