//! Ferry for teams, black-box: personal API tokens (made on `/tokens`, sent as
//! `Authorization: Bearer`, revoked on every web process at once, never logged) and
//! members-only uploads (`UPLOADS=members`: the upload page, the curl API and tus
//! need an account; share links and file requests stay open to anyone).

mod harness;

use harness::{
    Kind, Process, TestApp,
    browser::{self, browser, csrf_of, draft_token_of, page, send_fields, sent_token},
    count,
    data::b64,
    http::Exchange,
    requests::put_into,
    tokens::{bearer, make_token},
    tus,
};
use reqwest::{Client, StatusCode, header};

/// A signed-up, signed-in browser on `web`.
async fn member(web: &Process, email: &str) -> Client {
    let client = browser();
    browser::register(&client, web, email).await;
    client
}

/// Transfers owned by the account `email`.
async fn owned_by(app: &TestApp, email: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT count(*) FROM transfers t JOIN users u ON u.id = t.owner_id
             WHERE u.email = '{email}' AND t.deleted_at IS NULL"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_uploads_as_its_owner_through_curl_and_tus_and_stops_on_every_process_once_revoked()
{
    let mut app = TestApp::new("tokens_lifecycle").await;
    let webs = [
        app.start(Kind::Web, &[]).await,
        app.start(Kind::Web, &[]).await,
    ];
    let owner = member(&webs[0], "ci@example.com").await;
    let secret = make_token(&owner, &webs[0], "nightly build", &["upload", "read"]).await;

    // Shown once: the list names it and shows its first characters, never all of it;
    // the database holds a hash.
    let (_, list) = page(&owner, webs[0].url("/tokens")).await;
    assert!(list.contains("nightly build"), "{list}");
    assert!(list.contains(&secret[..12]), "{list}");
    assert!(!list.contains(&secret), "the secret is shown again: {list}");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM api_tokens WHERE secret_hash = sha256('{secret}'::bytea)"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM api_tokens WHERE prefix = '{secret}' OR name = '{secret}'"
            )
        )
        .await,
        0
    );

    // The other web process takes it: a curl PUT, with a lifetime only members get,
    // and a tus upload, both the owner's.
    let script = bearer(&secret);
    let put = script
        .put(webs[1].url("/report.txt"))
        .header("Max-Days", "30")
        .body(b"nightly report".to_vec())
        .answer()
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    let metadata = format!("filename {}", b64(b"build.log"));
    let created = tus::create_with_upload(
        &script,
        &webs[1].url(""),
        9,
        Some(&metadata),
        b"log lines".to_vec(),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(owned_by(&app, "ci@example.com").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM transfers WHERE expires_at > now() + interval '29 days'"
        )
        .await,
        1
    );

    // Its owner sees them on /me, the script through the JSON API.
    let (_, me) = page(&owner, webs[0].url("/me")).await;
    assert!(
        me.contains("report.txt") && me.contains("build.log"),
        "{me}"
    );
    let listed = script
        .get(webs[0].url("/api/transfers"))
        .answer_json()
        .await;
    let names: Vec<&str> = listed["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["files"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{listed}");
    assert!(names.contains(&"report.txt") && names.contains(&"build.log"));
    // Its use is noted (to the minute).
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL"
        )
        .await,
        1
    );

    // A tus upload begun with it, to be continued after it is revoked.
    let begun = tus::create(&script, &webs[1].url(""), 8, &metadata).await;
    assert_eq!(begun.status(), StatusCode::CREATED);

    // Revoked on one process, refused by the other at its next request.
    let (_, list) = page(&owner, webs[0].url("/tokens")).await;
    let revoke = browser::attribute(&list, r#"action="/tokens/"#);
    let revoked = owner
        .post(webs[0].url(&format!("/tokens/{revoke}")))
        .form(&[("_csrf", csrf_of(&list).as_str())])
        .answer()
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let after = script
        .put(webs[1].url("/late.txt"))
        .body(b"too late".to_vec())
        .answer()
        .await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert!(
        after.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(
        tus::create(&script, &webs[1].url(""), 5, &metadata)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // An upload it began before goes no further with it.
    let begun = tus::path_of(&begun);
    let patch = tus::patch(&script, webs[0].url(&begun), 0, b"half".to_vec()).await;
    assert_eq!(patch.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(owned_by(&app, "ci@example.com").await, 2);

    // Never in a log line.
    for web in &webs {
        assert!(!web.log().contains(&secret), "the token is in a log");
        assert!(!web.log().contains(&secret[12..]), "the token is in a log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_expired_and_unscoped_tokens_are_refused_and_never_taken_for_anonymous() {
    let (app, web) = TestApp::with_web("tokens_refused", &[]).await;
    let owner = member(&web, "scoped@example.com").await;
    let reader = make_token(&owner, &web, "reader", &["read"]).await;

    // A token that reads may not upload, nor manage file requests.
    let put = bearer(&reader)
        .put(web.url("/a.txt"))
        .body(b"a".to_vec())
        .answer_json()
        .await;
    assert_eq!(put["error"], "insufficient_scope", "{put}");
    let requests = bearer(&reader).get(web.url("/api/requests")).answer().await;
    assert_eq!(requests.status(), StatusCode::FORBIDDEN);

    // A wrong token, an unknown one and an expired one: 401, nothing stored.
    let expiring = make_token(&owner, &web, "expiring", &["upload"]).await;
    let expired = count(
        &app,
        "WITH e AS (UPDATE api_tokens SET expires_at = now() - interval '1 second'
                    WHERE name = 'expiring' RETURNING 1) SELECT count(*) FROM e",
    )
    .await;
    assert_eq!(expired, 1);
    for secret in [
        "ferry_nonsense",
        "not-even-ferry",
        &format!("{}x", &reader[..reader.len() - 1]),
        &expiring,
    ] {
        let answer = bearer(secret)
            .put(web.url("/b.txt"))
            .body(b"b".to_vec())
            .answer()
            .await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{secret}");
    }
    // The list says which expired.
    let (_, list) = page(&owner, web.url("/tokens")).await;
    assert!(list.contains("expired"), "{list}");
    // A proxy's Basic auth is not Ferry's: the upload is anonymous, as without it.
    let basic = Client::new()
        .put(web.url("/c.txt"))
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .body(b"c".to_vec())
        .answer()
        .await;
    assert_eq!(basic.status(), StatusCode::OK);
    assert_eq!(owned_by(&app, "scoped@example.com").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 1);

    // The form says what is wrong, in the owner's words.
    let (_, html) = page(&owner, web.url("/tokens")).await;
    let csrf = csrf_of(&html);
    for (fields, says) in [
        (
            vec![("name", ""), ("scope", "upload")],
            "Give the token a name",
        ),
        (vec![("name", "x")], "at least one thing"),
        (
            vec![("name", "x"), ("scope", "admin")],
            "not something a token may do",
        ),
        (
            vec![("name", "x"), ("scope", "read"), ("expires_in_days", "0")],
            "whole number from 1",
        ),
    ] {
        let mut form = vec![("_csrf", csrf.as_str())];
        form.extend(fields);
        let refused = owner.post(web.url("/tokens")).form(&form).answer().await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let text = refused.text().await.unwrap();
        assert!(text.contains(says), "{says}: {text}");
        assert!(!text.contains("id=\"new-token\""));
    }
    // Tokens are managed by a signed-in browser only: a token cannot make one.
    let by_token = bearer(&reader)
        .post(web.url("/tokens"))
        .form(&[("_csrf", csrf.as_str()), ("name", "y"), ("scope", "upload")])
        .answer()
        .await;
    assert_eq!(by_token.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT count(*) FROM api_tokens").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_the_requests_scope_manages_its_owners_file_requests_and_no_one_elses() {
    let (app, web) = TestApp::with_web("tokens_requests", &[]).await;
    let owner = member(&web, "asks@example.com").await;
    let secret = make_token(&owner, &web, "asker", &["requests"]).await;
    let script = bearer(&secret);

    let created = script
        .post(web.url("/api/requests"))
        .json(&serde_json::json!({"title": "Invoices", "max_files": 3, "max_size": "10 MB"}))
        .answer()
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: serde_json::Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(created["max_files"], 3);
    assert_eq!(created["open"], true);
    // A bad field is a 400 that says which.
    let bad = script
        .post(web.url("/api/requests"))
        .json(&serde_json::json!({"title": "x", "max_files": 0, "max_size": "1 MB"}))
        .answer_json()
        .await;
    assert!(
        bad["message"].as_str().unwrap().contains("Most files"),
        "{bad}"
    );

    // Anyone uploads into it, no account needed.
    let (status, _) = put_into(&Client::new(), &web, &token, "march.pdf", b"%PDF".to_vec()).await;
    assert_eq!(status, StatusCode::OK);
    let listed = script.get(web.url("/api/requests")).answer_json().await;
    assert_eq!(listed["requests"][0]["files_used"], 1, "{listed}");

    // Someone else's token cannot close it; its owner's can.
    let other = member(&web, "other@example.com").await;
    let theirs = bearer(&make_token(&other, &web, "theirs", &["requests"]).await);
    let path = web.url(&format!("/api/requests/{token}/close"));
    assert_eq!(
        theirs.post(&path).answer().await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        Client::new().post(&path).answer().await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        script.post(&path).answer().await.status(),
        StatusCode::NO_CONTENT
    );
    let (status, _) = put_into(&Client::new(), &web, &token, "april.pdf", b"%PDF".to_vec()).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM file_requests WHERE closed_at IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_uploads_for_members_only_nobody_uploads_without_an_account_but_links_and_requests_stay_open()
 {
    let (app, web) = TestApp::with_web("members_only", &[("UPLOADS", "members")]).await;
    let anonymous = Client::new();

    // The curl API, multipart and tus all ask for an account.
    let put = anonymous
        .put(web.url("/a.txt"))
        .body(b"a".to_vec())
        .answer()
        .await;
    assert_eq!(put.status(), StatusCode::UNAUTHORIZED);
    assert!(
        put.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let form = reqwest::multipart::Form::new().part(
        "filedata",
        reqwest::multipart::Part::bytes(b"b".to_vec()).file_name("b.txt"),
    );
    let posted = anonymous.post(web.url("/")).multipart(form).answer().await;
    assert_eq!(posted.status(), StatusCode::UNAUTHORIZED);
    let metadata = format!("filename {}", b64(b"c.txt"));
    assert_eq!(
        tus::create(&anonymous, &web.url(""), 1, &metadata)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // The upload page tells a visitor to sign in instead of offering a drop zone.
    let visitor = browser();
    let (status, html) = page(&visitor, web.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("only members may upload"), "{html}");
    assert!(!html.contains("data-draft-token"), "{html}");
    assert_eq!(count(&app, "SELECT count(*) FROM uploads").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);

    // A member uploads from the page (tus into the draft, then send)…
    let owner = member(&web, "member@example.com").await;
    let (_, html) = page(&owner, web.url("/")).await;
    let id = browser::draft_upload(
        &owner,
        &web,
        "plan.txt",
        b"the plan".to_vec(),
        &draft_token_of(&html),
    )
    .await;
    assert_eq!(
        browser::add_to_draft(&owner, &web, &csrf_of(&html), &id).await,
        StatusCode::OK
    );
    let csrf = csrf_of(&html);
    let sent = owner
        .post(web.url("/send"))
        .form(&send_fields(&csrf, "7", "", ""))
        .answer()
        .await;
    let shared = sent_token(&sent);
    // …and with a token from a script.
    let secret = make_token(&owner, &web, "ci", &["upload"]).await;
    let put = bearer(&secret)
        .put(web.url("/b.txt"))
        .body(b"from ci".to_vec())
        .answer()
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    let link = put.text().await.unwrap();
    assert_eq!(owned_by(&app, "member@example.com").await, 2);

    // Anyone downloads what members share.
    let got = anonymous.get(link.trim()).answer().await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"from ci");
    let (status, _) = page(&visitor, web.url(&format!("/s/{shared}"))).await;
    assert_eq!(status, StatusCode::OK);

    // A file request a member made takes anyone's upload, curl and tus alike.
    let request = browser::create_file_request(&owner, &web, &[]).await;
    let (status, _) = put_into(&anonymous, &web, &request, "photo.jpg", vec![1; 100]).await;
    assert_eq!(status, StatusCode::OK);
    let metadata = format!(
        "filename {},file_request {}",
        b64(b"more.jpg"),
        b64(request.as_bytes())
    );
    let created =
        tus::create_with_upload(&anonymous, &web.url(""), 3, Some(&metadata), vec![2; 3]).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(owned_by(&app, "member@example.com").await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_uploads_racing_past_a_quota_store_at_most_the_quota_and_each_refusal_says_what_is_left()
 {
    let (app, webs) = TestApp::with_webs::<2>(
        "quota_race",
        &[
            ("DEFAULT_USER_QUOTA", "1MB"),
            ("MAX_UPLOADS_PER_CLIENT", "200"),
            ("MAX_CONCURRENT_UPLOADS", "200"),
        ],
    )
    .await;
    let owner = member(&webs[0], "quota@example.com").await;
    let script = bearer(&make_token(&owner, &webs[0], "quota", &["upload"]).await);
    const SIZE: usize = 30_000;

    // Half curl, half tus, through both processes at once: 3 MB into 1 MB.
    let answers = futures::future::join_all((0..100).map(|i| {
        let (script, web) = (script.clone(), &webs[i % 2]);
        async move {
            let body = vec![i as u8; SIZE];
            let answer = if i % 4 < 2 {
                script
                    .put(web.url(&format!("/q{i}.bin")))
                    .body(body)
                    .answer()
                    .await
            } else {
                let metadata = format!("filename {}", b64(format!("q{i}.bin").as_bytes()));
                tus::create_with_upload(&script, &web.url(""), SIZE, Some(&metadata), body).await
            };
            (answer.status(), answer.text().await.unwrap())
        }
    }))
    .await;
    let stored = answers.iter().filter(|(s, _)| s.is_success()).count();
    for (status, text) in answers.iter().filter(|(s, _)| !s.is_success()) {
        assert_eq!(*status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
        assert!(
            text.contains("quota has") && text.contains("left"),
            "{text}"
        );
    }
    // 33 × 30 kB fit in 1 MB; the 34th would not.
    assert_eq!(stored, 33, "{answers:?}");
    let owned = "SELECT coalesce(sum(f.size), 0)::int8 FROM files f JOIN transfers t ON t.id = f.transfer_id
                 JOIN users u ON u.id = t.owner_id WHERE u.email = 'quota@example.com'";
    assert_eq!(count(&app, owned).await, 990_000);
    assert_eq!(
        count(
            &app,
            "SELECT used_bytes FROM users WHERE email = 'quota@example.com'"
        )
        .await,
        990_000
    );
    // Refused tus uploads are gone, bytes and all.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM uploads WHERE transfer_id IS NULL"
        )
        .await,
        0
    );
    let (_, me) = page(&owner, webs[0].url("/me")).await;
    assert!(me.contains("990") && me.contains("quota"), "{me}");

    // A takedown gives its bytes back at once; an admin's quota of its own lets more in.
    let first = count(
        &app,
        "SELECT count(*) FROM transfers WHERE owner_id IS NOT NULL",
    )
    .await;
    assert_eq!(first, 33);
    let token: String = sqlx::query_scalar("SELECT token FROM transfers LIMIT 1")
        .fetch_one(&app.pg)
        .await
        .unwrap();
    app.admin(&["transfers", "delete", &token]);
    assert_eq!(
        count(
            &app,
            "SELECT used_bytes FROM users WHERE email = 'quota@example.com'"
        )
        .await,
        960_000
    );
    let big = script
        .put(webs[1].url("/big.bin"))
        .body(vec![9; 100_000])
        .answer_json()
        .await;
    assert_eq!(big["error"], "quota_exceeded", "{big}");
    app.admin(&["users", "set-quota", "quota@example.com", "2MB"]);
    let fits = script
        .put(webs[1].url("/big.bin"))
        .body(vec![9; 100_000])
        .answer()
        .await;
    assert_eq!(fits.status(), StatusCode::OK);
    assert_eq!(
        count(
            &app,
            "SELECT used_bytes FROM users WHERE email = 'quota@example.com'"
        )
        .await,
        1_060_000
    );
    assert!(app.admin(&["audit"]).contains("users.set_quota"));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_sign_up_closed_accounts_come_from_an_admin_and_only_they_upload() {
    let (app, web) = TestApp::with_web(
        "signup_closed",
        &[("SIGNUP", "closed"), ("UPLOADS", "members")],
    )
    .await;
    let visitor = browser();
    // The page says who makes accounts; the form's POST makes none; nothing offers it.
    let (status, html) = page(&visitor, web.url("/signup")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Sign-up is closed"), "{html}");
    let (_, signin) = page(&visitor, web.url("/signin")).await;
    let made = visitor
        .post(web.url("/signup"))
        .form(&[
            ("_csrf", csrf_of(&signin).as_str()),
            ("email", "walk-in@example.com"),
            ("password", "a long passphrase of words"),
        ])
        .answer_json()
        .await;
    assert_eq!(made["error"], "signup_closed", "{made}");
    assert!(!signin.contains(r#"href="/signup""#), "{signin}");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);

    // An admin makes one; its password is printed once and works; it is audited.
    let created: serde_json::Value =
        serde_json::from_str(app.admin(&["users", "create", "Staff@Example.com"]).trim()).unwrap();
    assert_eq!(created["email"], "staff@example.com");
    let password = created["password"].as_str().unwrap();
    let staff = browser();
    let signed = browser::sign_in(&staff, &web, "staff@example.com", password).await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let again = app
        .command(&["admin", "users", "create", "staff@example.com"], &[])
        .output()
        .unwrap();
    assert!(!again.status.success(), "a second account for one address");
    assert!(app.admin(&["audit"]).contains("users.create"));
    let secret = make_token(&staff, &web, "ci", &["upload"]).await;
    let put = bearer(&secret)
        .put(web.url("/staff.txt"))
        .body(b"from staff".to_vec())
        .answer()
        .await;
    assert_eq!(put.status(), StatusCode::OK);
}
