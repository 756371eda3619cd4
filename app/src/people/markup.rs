//! The People page's rows reach the browser once: as the table's markup.
//!
//! A resource's value normally travels twice, rendered into the page and again as JSON in
//! the hydration payload. [`RowsInMarkup`] is the People page resource's codec: the server
//! writes the page without its rows (and how many there are), and the browser reads the
//! rows back from the table it is about to hydrate. Every fact a row needs is in its
//! markup: the name is the first cell's text, the rest are the `data-*` attributes that
//! [`RowAttrs`] names. `views::PersonLine` writes them (the view macro wants literal
//! names); `people_actions::the_people_page_sends_its_rows_once` reads a rendered page
//! by these names, so writer and reader cannot drift apart unnoticed.
//! Client-side navigation fetches pages through the server function, in full.

use leptos::server::codee::{Decoder, Encoder};

use super::types::PeoplePage;
use crate::error::AppError;

/// The People page resource's value.
pub type Loaded = Result<PeoplePage, AppError>;

/// The `data-*` attributes of a person's `<tr>`, and of the Welcome Sent cell.
pub struct RowAttrs;

impl RowAttrs {
    pub const ID: &'static str = "data-id";
    pub const EMAIL: &'static str = "data-email";
    pub const ROLE: &'static str = "data-role";
    pub const STATUS: &'static str = "data-status";
    pub const INVITATION: &'static str = "data-invitation";
    /// On the Welcome Sent cell, when the mail went out (YYYY-MM-DD).
    pub const WELCOME: &'static str = "data-date";
    /// On the invitation cell's `.delivery` line: the latest mail's state, since when,
    /// and the mail server's reason.
    pub const DELIVERY: &'static str = "data-delivery";
    pub const DELIVERY_AT: &'static str = "data-at";
    pub const DELIVERY_REASON: &'static str = "data-reason";
}

/// The codec of the People page resource: rows in the markup, the rest as postcard (see [`crate::wire`]).
pub struct RowsInMarkup;

impl Encoder<Loaded> for RowsInMarkup {
    type Error = postcard::Error;
    type Encoded = Vec<u8>;

    fn encode(val: &Loaded) -> Result<Vec<u8>, postcard::Error> {
        let frame = val.as_ref().map(|page| PeoplePage {
            org_name: page.org_name.clone(),
            org_home: page.org_home.clone(),
            my_role: page.my_role,
            can_invite: page.can_invite,
            contacts: page.contacts.clone(),
            people: Vec::new(),
            query: page.query.clone(),
            next: page.next,
            prev: page.prev,
            admin: page.admin.clone(),
        });
        let rows = val.as_ref().map_or(0, |page| page.people.len());
        postcard::to_allocvec(&(rows, frame))
    }
}

impl Decoder<Loaded> for RowsInMarkup {
    type Error = String;
    type Encoded = [u8];

    fn decode(val: &[u8]) -> Result<Loaded, String> {
        let (rows, frame): (usize, Result<PeoplePage, AppError>) =
            postcard::from_bytes(val).map_err(|e| e.to_string())?;
        let mut page = match frame {
            Ok(page) => page,
            Err(err) => return Ok(Err(err)),
        };
        page.people = read::rows()?;
        if page.people.len() != rows {
            // Not the table the server wrote: the resource fetches the page instead.
            return Err(format!(
                "{} rows in the table, {rows} sent",
                page.people.len()
            ));
        }
        Ok(Ok(page))
    }
}

#[cfg(feature = "hydrate")]
mod read {
    use wasm_bindgen::JsCast;
    use web_sys::Element;

    use super::RowAttrs;
    use crate::people::types::{
        Delivery, DeliveryState, InvitationStatus, PersonRow, PersonStatus,
    };
    use crate::roles::Role;

    /// The rows of the People table in the document, as the server rendered them.
    pub fn rows() -> Result<Vec<PersonRow>, String> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let selector = format!("table.people > tbody > tr[{}]", RowAttrs::ID);
        let list = document
            .query_selector_all(&selector)
            .map_err(|_| "bad selector")?;
        (0..list.length())
            .map(|i| {
                list.item(i)
                    .and_then(|node| node.dyn_into::<Element>().ok())
                    .and_then(|tr| row(&tr))
                    .ok_or_else(|| format!("row {i} of the table is incomplete"))
            })
            .collect()
    }

    fn row(tr: &Element) -> Option<PersonRow> {
        let welcome = tr
            .query_selector(&format!("td[{}]", RowAttrs::WELCOME))
            .ok()
            .flatten()
            .and_then(|td| td.get_attribute(RowAttrs::WELCOME));
        Some(PersonRow {
            id: tr.get_attribute(RowAttrs::ID)?.parse().ok()?,
            name: tr.first_element_child()?.text_content()?,
            email: tr.get_attribute(RowAttrs::EMAIL)?,
            role: Role::from_code(&tr.get_attribute(RowAttrs::ROLE)?)?,
            active: tr.get_attribute(RowAttrs::STATUS)? == PersonStatus::Active.code(),
            welcome_sent: welcome,
            invitation: InvitationStatus::from_code(&tr.get_attribute(RowAttrs::INVITATION)?)?,
            delivery: delivery(tr),
        })
    }

    fn delivery(tr: &Element) -> Option<Delivery> {
        let line = tr
            .query_selector(&format!("[{}]", RowAttrs::DELIVERY))
            .ok()
            .flatten()?;
        Some(Delivery {
            state: DeliveryState::from_code(&line.get_attribute(RowAttrs::DELIVERY)?)?,
            at: line.get_attribute(RowAttrs::DELIVERY_AT)?,
            reason: line.get_attribute(RowAttrs::DELIVERY_REASON)?,
        })
    }
}

/// On the server the codec only encodes; a server never hydrates.
#[cfg(not(feature = "hydrate"))]
mod read {
    use crate::people::types::PersonRow;

    pub fn rows() -> Result<Vec<PersonRow>, String> {
        Err("rows are read from the document in the browser".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::types::{InvitationStatus, ListQuery, PersonRow};
    use crate::roles::Role;

    #[test]
    fn the_payload_carries_the_page_without_its_rows() {
        let page = PeoplePage {
            org_name: "Acme".into(),
            org_home: "/o/eu/acme".into(),
            my_role: Role::Owner,
            can_invite: true,
            contacts: vec![],
            people: vec![PersonRow {
                id: 7,
                name: "Zoé Quill".into(),
                email: "zoe.quill@acme.test".into(),
                role: Role::Editor,
                active: true,
                welcome_sent: None,
                invitation: InvitationStatus::Pending,
                delivery: None,
            }],
            query: ListQuery::default(),
            next: None,
            prev: None,
            admin: None,
        };
        let encoded = RowsInMarkup::encode(&Ok(page)).unwrap();
        // postcard keeps text as UTF-8, so what travels can be searched for names.
        let sent = String::from_utf8_lossy(&encoded);
        assert!(sent.contains("Acme"), "{sent}");
        assert!(
            !sent.contains("Quill"),
            "the row's name travels in the hydration data: {sent}"
        );
        assert!(!sent.contains("zoe.quill@acme.test"), "{sent}");
        let (rows, _): (usize, Loaded) = postcard::from_bytes(&encoded).unwrap();
        assert_eq!(rows, 1, "the row count is sent");
        let err = RowsInMarkup::encode(&Err(AppError::Unauthenticated)).unwrap();
        assert_eq!(
            RowsInMarkup::decode(&err).unwrap(),
            Err(AppError::Unauthenticated)
        );
    }
}
