//! SCIM 2.0 provisioning (`/scim/v2`) as an identity provider drives it: the shapes Okta
//! and Entra ID send, filters, paging, role groups, seats, and deactivation that ends a
//! person's access at once. (The conformance tester covers the RFC's general checks.)

use crate::common::*;
use app::api_keys::api::CreateApiKey;
use app::orgs::api::GetOrgOverview;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const ACME: [(&str, &str); 2] = [("region", "eu-central-1"), ("short_name", "acme")];
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A key made on the settings page: a SCIM token, or a REST key.
async fn make_key(app: &TestApp, c: &reqwest::Client, purpose: &str, role: &str) -> Reply<Value> {
    let mut form = ACME.to_vec();
    form.extend([("name", "Okta"), ("role", role), ("purpose", purpose)]);
    app.call::<CreateApiKey>(c, &form).await
}

async fn scim_token(app: &TestApp, owner: &reqwest::Client) -> String {
    let made = ok(make_key(app, owner, "scim", "OWNER").await).await;
    made["key"].as_str().unwrap().to_owned()
}

/// `POST /scim/v2/Users` as Okta sends it.
fn okta_user(email: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": email, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "externalId": format!("00u-{given}"),
        "active": true
    })
}

async fn create(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    rest(app, Some(token), Method::POST, "/scim/v2/Users", Some(body)).await
}

async fn patch(app: &TestApp, token: &str, path: &str, ops: Value) -> (u16, Value) {
    rest(
        app,
        Some(token),
        Method::PATCH,
        path,
        Some(json!({"schemas": [PATCH], "Operations": ops})),
    )
    .await
}

fn user_path(user: &Value) -> String {
    format!("/scim/v2/Users/{}", user["id"].as_str().unwrap())
}

#[sqlx::test(migrations = false)]
async fn a_scim_token_opens_scim_only_and_only_owners_make_one(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[("ann@acme.test", "ADMIN")]).await;
    let token = scim_token(&app, &owner).await;
    let rest_key = ok(make_key(&app, &owner, "rest", "OWNER").await).await["key"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, body) = rest(&app, Some(&token), Method::GET, "/scim/v2/Users", None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = rest(&app, Some(&rest_key), Method::GET, "/scim/v2/Users", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["schemas"], json!([ERROR]));
    assert_eq!(body["status"], "401");
    let (status, _) = rest(
        &app,
        None,
        Method::GET,
        "/scim/v2/ServiceProviderConfig",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = rest(&app, Some(&token), Method::GET, "/api/v1/members", None).await;
    assert_eq!(status, 401, "a SCIM token is not a REST key");

    // An ADMIN manages REST keys, not SCIM tokens.
    let admin = accept(&app, "ann@acme.test").await;
    assert_eq!(make_key(&app, &admin, "scim", "ADMIN").await.status, 403);
    let settings = ok(app
        .call::<app::orgs::api::GetOrgSettings>(&admin, &ACME)
        .await)
    .await;
    assert_eq!(settings["scim_tokens"], Value::Null);
    let settings = ok(app
        .call::<app::orgs::api::GetOrgSettings>(&owner, &ACME)
        .await)
    .await;
    assert_eq!(settings["scim_tokens"].as_array().unwrap().len(), 1);
    assert_eq!(
        settings["api_keys"].as_array().unwrap().len(),
        1,
        "each in its own list"
    );
    assert!(settings["scim_url"].as_str().unwrap().ends_with("/scim/v2"));

    // Discovery.
    let (_, config) = rest(
        &app,
        Some(&token),
        Method::GET,
        "/scim/v2/ServiceProviderConfig",
        None,
    )
    .await;
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    let (_, types) = rest(
        &app,
        Some(&token),
        Method::GET,
        "/scim/v2/ResourceTypes",
        None,
    )
    .await;
    assert_eq!(types["totalResults"], 2);
    let (_, schemas) = rest(&app, Some(&token), Method::GET, "/scim/v2/Schemas", None).await;
    assert_eq!(schemas["Resources"][0]["id"], USER);
    let (status, _) = rest(
        &app,
        Some(&token),
        Method::GET,
        &format!("/scim/v2/Schemas/{USER}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[sqlx::test(migrations = false)]
async fn people_are_created_invited_filtered_and_paged(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let token = scim_token(&app, &owner).await;
    let mut ids = Vec::new();
    for (email, given) in [
        ("bo@acme.test", "Bo"),
        ("cy@acme.test", "Cy"),
        ("di@acme.test", "Di"),
    ] {
        let mut body = okta_user(email, given, "Ng");
        // Entra ID's user name is the sign-in name, not always the address.
        if given == "Cy" {
            body["userName"] = json!("CY.NG@corp.acme.test");
        }
        let (status, user) = create(&app, &token, body.clone()).await;
        assert_eq!(status, 201, "{user}");
        assert_eq!(user["userName"], body["userName"]);
        assert_eq!(user["emails"][0]["value"], email);
        assert_eq!(user["active"], true);
        assert_eq!(
            user["name"],
            json!({"givenName": given, "familyName": "Ng"}),
            "as sent"
        );
        assert_eq!(user["displayName"], format!("{given} Ng"));
        assert_eq!(user["groups"][0]["value"], "viewer", "the least role");
        ids.push(user["id"].as_str().unwrap().to_owned());
        // The invitation is the welcome, as for a person added by hand.
        let mail = &app.wait_for_mail(email, 1).await[0];
        assert!(mail.subject.contains("Acme"), "{}", mail.subject);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE name = 'Cy Ng'")
            .await,
        1,
        "the People page shows the display name"
    );
    let (status, dup) = create(&app, &token, okta_user("BO@acme.test", "Bo", "Ng")).await;
    assert_eq!(status, 409);
    assert_eq!(dup["scimType"], "uniqueness");
    let mut same_user_name = okta_user("cy2@acme.test", "Cy", "Two");
    same_user_name["userName"] = json!("cy.ng@corp.acme.test");
    let (status, dup) = create(&app, &token, same_user_name).await;
    assert_eq!(
        (status, dup["scimType"].as_str()),
        (409, Some("uniqueness")),
        "{dup}"
    );
    let (status, bad) = create(&app, &token, okta_user("not-an-address", "X", "Y")).await;
    assert_eq!(status, 400);
    assert_eq!(bad["scimType"], "invalidValue");
    assert!(bad["detail"].as_str().unwrap().contains("mail"), "{bad}");

    let list = |q: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            rest(
                app,
                Some(&token),
                Method::GET,
                &format!("/scim/v2/Users{q}"),
                None,
            )
            .await
            .1
        }
    };
    // The owner and the three.
    assert_eq!(list("").await["totalResults"], 4);
    let found = list("?filter=userName%20eq%20%22cy.ng%40corp.acme.test%22").await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], ids[1].as_str());
    let by_address = list("?filter=emails.value%20eq%20%22cy%40acme.test%22").await;
    assert_eq!(by_address["Resources"][0]["id"], ids[1].as_str());
    assert_eq!(
        list("?filter=userName%20eq%20%22cy%40acme.test%22").await["totalResults"],
        0
    );
    let found =
        list("?filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22DI%40acme.test%22").await;
    assert_eq!(found["Resources"][0]["id"], ids[2].as_str());
    let found = list("?filter=externalId%20eq%20%2200u-Bo%22").await;
    assert_eq!(found["Resources"][0]["userName"], "bo@acme.test");
    // Only the attributes asked for, or all but those excluded (id always).
    let some =
        list("?filter=userName%20eq%20%22bo%40acme.test%22&attributes=userName,name.givenName")
            .await;
    let keys: Vec<&String> = some["Resources"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", "schemas", "userName"]);
    let (_, one) = rest(
        &app,
        Some(&token),
        Method::GET,
        &format!(
            "/scim/v2/Users/{}?excludedAttributes=emails,groups,meta",
            ids[1]
        ),
        None,
    )
    .await;
    assert!(
        one.get("emails").is_none() && one.get("groups").is_none() && one.get("meta").is_none(),
        "{one}"
    );
    assert_eq!(one["id"], ids[1].as_str());
    let none = list("?filter=userName%20eq%20%22zed%40acme.test%22").await;
    assert_eq!(none["totalResults"], 0);
    assert_eq!(none["Resources"], json!([]));
    let page = list("?startIndex=2&count=2").await;
    assert_eq!(page["totalResults"], 4);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["Resources"][0]["id"], ids[0].as_str());
    assert_eq!(page["Resources"][1]["id"], ids[1].as_str());
    let past = list("?startIndex=10").await;
    assert_eq!(
        (past["totalResults"].clone(), past["itemsPerPage"].clone()),
        (json!(4), json!(0))
    );
    let (status, bad) = rest(
        &app,
        Some(&token),
        Method::GET,
        "/scim/v2/Users?filter=title%20co%20%22x%22",
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(bad["scimType"], "invalidFilter");

    // Another organization's people are not found with this token.
    let globex = org(&app, "Globex", "it@globex.test", &[]).await;
    let theirs = scim_token_for(&app, &globex, "globex").await;
    let (status, _) = rest(
        &app,
        Some(&theirs),
        Method::GET,
        &format!("/scim/v2/Users/{}", ids[0]),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, seen) = rest(&app, Some(&theirs), Method::GET, "/scim/v2/Users", None).await;
    assert_eq!(seen["totalResults"], 1, "only Globex's owner");
}

async fn scim_token_for(app: &TestApp, owner: &reqwest::Client, short: &str) -> String {
    let form = [
        ("region", "eu-central-1"),
        ("short_name", short),
        ("name", "Entra"),
        ("role", "OWNER"),
        ("purpose", "scim"),
    ];
    ok(app.call::<CreateApiKey>(owner, &form).await).await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrations = false)]
async fn the_patch_shapes_of_okta_and_entra_id_update_people(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let token = scim_token(&app, &owner).await;
    let (_, user) = create(&app, &token, okta_user("bo@acme.test", "Bo", "Ng")).await;
    let path = user_path(&user);

    // Okta: replace without a path, with an object value.
    let (status, after) = patch(
        &app,
        &token,
        &path,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["active"], false);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM people WHERE email = 'bo@acme.test' AND status = 'inactive'"
        )
        .await,
        1
    );

    // Entra ID: capitalised ops, paths, and booleans as strings.
    let (status, after) = patch(
        &app,
        &token,
        &path,
        json!([
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "Add", "path": "displayName", "value": "Bo Nguyen"},
            {"op": "Replace", "path": "name.familyName", "value": "Tran"},
            {"op": "Add", "path": "externalId", "value": "entra-7"}
        ]),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["active"], true);
    assert_eq!(after["name"]["familyName"], "Tran");
    assert_eq!(after["name"]["givenName"], "Bo", "the other part stays");
    assert_eq!(after["displayName"], "Bo Nguyen");
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE name = 'Bo Nguyen'")
            .await,
        1
    );
    assert_eq!(after["externalId"], "entra-7");
    let (status, after) = patch(
        &app,
        &token,
        &path,
        json!([{"op": "Remove", "path": "externalId"}]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(after.get("externalId"), None);

    // A path Muster does not keep is refused.
    let (status, bad) = patch(
        &app,
        &token,
        &path,
        json!([{"op": "replace", "path": "title", "value": "CTO"}]),
    )
    .await;
    assert_eq!(
        (status, bad["scimType"].as_str()),
        (400, Some("invalidPath"))
    );
    // The user name changes on its own; the address stays.
    let (status, renamed) = patch(
        &app,
        &token,
        &path,
        json!([{"op": "replace", "path": "userName", "value": "bo.tran@corp.acme.test"}]),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["userName"], "bo.tran@corp.acme.test");
    assert_eq!(renamed["emails"][0]["value"], "bo@acme.test");
    // A new address: the invitation to the old one ends, and the new one is invited.
    let first = mail_with_subject(&app, "bo@acme.test", "invited you").await;
    let (status, moved) = patch(
        &app,
        &token,
        &path,
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bo.tran@acme.test"}]),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["emails"][0]["value"], "bo.tran@acme.test");
    let again = mail_with_subject(&app, "bo.tran@acme.test", "invited you").await;
    let old_link = app
        .call::<app::invitations::api::AcceptInvitation>(
            &new_client(),
            &[
                ("token", &token_of(&link_in(&first))),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(
        matches!(old_link.status, 404 | 410),
        "the old address's link no longer works: {:?}",
        old_link.result
    );
    assert!(
        link_in(&again).contains("/invitations/"),
        "{}",
        link_in(&again)
    );
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'bo@acme.test'")
            .await,
        0
    );
    let (status, bad) = rest(
        &app,
        Some(&token),
        Method::PATCH,
        &path,
        Some(json!({"Operations": []})),
    )
    .await;
    assert_eq!(
        (status, bad["scimType"].as_str()),
        (400, Some("invalidSyntax"))
    );

    // PUT replaces what it sends.
    let mut put = okta_user("bo.tran@acme.test", "Bo", "Ng");
    put["displayName"] = json!("Robert Ng");
    let (status, after) = rest(&app, Some(&token), Method::PUT, &path, Some(put)).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["displayName"], "Robert Ng");
    let audit = audit_actions(&app, &owner).await;
    assert!(
        audit.contains(&"person_deactivated".to_owned()),
        "{audit:?}"
    );
    assert!(audit.contains(&"person_activated".to_owned()), "{audit:?}");
    for changed in ["email_changed", "person_updated"] {
        assert!(audit.contains(&changed.to_owned()), "{changed}: {audit:?}");
    }
}

#[sqlx::test(migrations = false)]
async fn deleting_a_person_ends_their_access_and_keys_at_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let token = scim_token(&app, &owner).await;
    let (_, user) = create(&app, &token, okta_user("bo@acme.test", "Bo", "Ng")).await;
    let bo = accept(&app, "bo@acme.test").await;
    assert_eq!(app.call::<GetOrgOverview>(&bo, &ACME).await.status, 200);
    // Bo becomes an ADMIN through the admin group, and makes a key.
    let (status, group) = patch(
        &app,
        &token,
        "/scim/v2/Groups/admin",
        json!([{"op": "add", "path": "members", "value": [{"value": user["id"]}]}]),
    )
    .await;
    assert_eq!(status, 200, "{group}");
    let bo_key = ok(make_key(&app, &bo, "rest", "VIEWER").await).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        rest(&app, Some(&bo_key), Method::GET, "/api/v1/members", None)
            .await
            .0,
        200
    );

    let (status, _) = rest(&app, Some(&token), Method::DELETE, &user_path(&user), None).await;
    assert_eq!(status, 204);
    // At once: the open session no longer reaches the organization, the key is revoked.
    assert_ne!(app.call::<GetOrgOverview>(&bo, &ACME).await.status, 200);
    assert_eq!(
        rest(&app, Some(&bo_key), Method::GET, "/api/v1/members", None)
            .await
            .0,
        401
    );
    assert_eq!(app.count("SELECT count(*) FROM api_keys WHERE name = 'Okta' AND purpose = 'rest' AND revoked_at IS NOT NULL").await, 1);
    // Gone from SCIM, kept (deactivated) on the People page.
    let (status, _) = rest(&app, Some(&token), Method::GET, &user_path(&user), None).await;
    assert_eq!(status, 404);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM people WHERE email = 'bo@acme.test' AND status = 'inactive'"
        )
        .await,
        1
    );
    // Created again, they come back active (no second invitation needed).
    let (status, back) = create(&app, &token, okta_user("bo@acme.test", "Bo", "Ng")).await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(back["id"], user["id"]);
    assert_eq!(back["active"], true);
    assert_eq!(app.call::<GetOrgOverview>(&bo, &ACME).await.status, 200);
}

#[sqlx::test(migrations = false)]
async fn groups_are_the_roles_and_membership_sets_the_role(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let token = scim_token(&app, &owner).await;
    let (_, user) = create(&app, &token, okta_user("bo@acme.test", "Bo", "Ng")).await;
    let id = user["id"].as_str().unwrap();
    let (_, groups) = rest(&app, Some(&token), Method::GET, "/scim/v2/Groups", None).await;
    assert_eq!(groups["totalResults"], 4);
    let (_, admins) = rest(
        &app,
        Some(&token),
        Method::GET,
        "/scim/v2/Groups?filter=displayName%20eq%20%22ADMIN%22",
        None,
    )
    .await;
    assert_eq!(admins["Resources"][0]["id"], "admin");
    assert_eq!(admins["Resources"][0]["members"], json!([]));

    patch(
        &app,
        &token,
        "/scim/v2/Groups/editor",
        json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
    )
    .await;
    let (_, bo) = rest(&app, Some(&token), Method::GET, &user_path(&user), None).await;
    assert_eq!(bo["groups"][0]["value"], "editor");
    // Entra ID removes by a filtered path.
    let (status, editors) = patch(
        &app,
        &token,
        "/scim/v2/Groups/editor",
        json!([{"op": "Remove", "path": format!("members[value eq \"{id}\"]")}]),
    )
    .await;
    assert_eq!(status, 200, "{editors}");
    assert_eq!(editors["members"], json!([]));
    let (_, bo) = rest(&app, Some(&token), Method::GET, &user_path(&user), None).await;
    assert_eq!(bo["groups"][0]["value"], "viewer", "the least role");
    // The provider's own groups are kept, with their members, and grant nothing.
    let (status, sales) = rest(
        &app,
        Some(&token),
        Method::POST,
        "/scim/v2/Groups",
        Some(json!({"displayName": "Sales", "members": [{"value": id}]})),
    )
    .await;
    assert_eq!(status, 201, "{sales}");
    assert_eq!(sales["members"][0]["value"], id);
    let (_, bo) = rest(&app, Some(&token), Method::GET, &user_path(&user), None).await;
    assert_eq!(bo["groups"][0]["value"], "viewer", "still the least role");
    assert_eq!(bo["groups"][1]["display"], "Sales");
    let (_, all) = rest(&app, Some(&token), Method::GET, "/scim/v2/Groups", None).await;
    assert_eq!(all["totalResults"], 5);
    let sales_path = format!("/scim/v2/Groups/{}", sales["id"].as_str().unwrap());
    let (status, renamed) = patch(
        &app,
        &token,
        &sales_path,
        json!([{"op": "replace", "path": "displayName", "value": "Sales EMEA"},
               {"op": "remove", "path": "members"}]),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["displayName"], "Sales EMEA");
    assert_eq!(renamed.get("members"), None);
    // Names are the organization's own: a role's name, or a taken one, is refused.
    for name in ["admin", "sales emea"] {
        let (status, taken) = rest(
            &app,
            Some(&token),
            Method::POST,
            "/scim/v2/Groups",
            Some(json!({"displayName": name})),
        )
        .await;
        assert_eq!(
            (status, taken["scimType"].as_str()),
            (409, Some("uniqueness")),
            "{taken}"
        );
    }
    // The role groups are not renamed or deleted.
    let (status, refused) = patch(
        &app,
        &token,
        "/scim/v2/Groups/editor",
        json!([{"op": "replace", "path": "displayName", "value": "Writers"}]),
    )
    .await;
    assert_eq!(
        (status, refused["scimType"].as_str()),
        (400, Some("mutability"))
    );
    let (status, _) = rest(
        &app,
        Some(&token),
        Method::DELETE,
        "/scim/v2/Groups/editor",
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = rest(&app, Some(&token), Method::DELETE, &sales_path, None).await;
    assert_eq!(status, 204);
    let audit = audit_actions(&app, &owner).await;
    assert_eq!(
        audit.iter().filter(|a| *a == "group_changed").count(),
        3,
        "created, changed, deleted: {audit:?}"
    );
    // The last OWNER cannot be taken out of the owner group.
    let (_, owners) = rest(
        &app,
        Some(&token),
        Method::GET,
        "/scim/v2/Groups/owner",
        None,
    )
    .await;
    let owner_id = owners["members"][0]["value"].as_str().unwrap().to_owned();
    let (status, refused) = patch(
        &app,
        &token,
        "/scim/v2/Groups/owner",
        json!([{"op": "remove", "path": "members", "value": [{"value": owner_id}]}]),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
}

#[sqlx::test(migrations = false)]
async fn provisioning_respects_the_plans_seats(pool: PgPool) {
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let token = scim_token(&app, &owner).await;
    sqlx::query("UPDATE organizations SET seats = 2")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, _) = create(&app, &token, okta_user("bo@acme.test", "Bo", "Ng")).await;
    assert_eq!(status, 201);
    let (status, full) = create(&app, &token, okta_user("cy@acme.test", "Cy", "Ng")).await;
    assert!(status == 403 || status == 409, "{status} {full}");
    assert_eq!(full["schemas"], json!([ERROR]));
    assert!(full["detail"].as_str().unwrap().contains("seat"), "{full}");
    assert_eq!(
        app.count("SELECT count(*) FROM people WHERE email = 'cy@acme.test'")
            .await,
        0,
        "nothing half-written"
    );
}

/// scim2-tester, the python-scim conformance checker, against a server of this suite:
/// discovery, Users and Groups, with no failed check. `./muster test` installs it and
/// names its Python in MUSTER_SCIM_TESTER.
#[sqlx::test(migrations = false)]
async fn the_scim_conformance_tester_finds_no_failure(pool: PgPool) {
    let python = std::env::var("MUSTER_SCIM_TESTER").expect(
        "MUSTER_SCIM_TESTER names the Python that has scim2-tester (./muster test installs it)",
    );
    let app = spawn_app(pool).await;
    let owner = org(&app, "Acme", "it@acme.test", &[]).await;
    let token = scim_token(&app, &owner).await;
    // The tester creates a person for nearly every check: a plan with room for them.
    sqlx::query("UPDATE organizations SET seats = 500")
        .execute(&app.pool)
        .await
        .unwrap();
    let base = app.local.clone();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/scim/check.py");
    // On a thread of its own: this test's runtime serves the server meanwhile.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args([script, &base, &token])
            .output()
    })
    .await
    .unwrap()
    .expect("the tester runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(out.status.success(), "scim2-tester failed:\n{report}");
    assert!(report.contains(" checks, 0 failed"), "{report}");
}
