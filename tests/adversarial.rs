//! The adversarial suite: Ferry tried as an attacker would, against the real binary on
//! real Postgres and Redis (and real HAProxy and nginx where a proxy matters). One
//! module per concern; each test states the abuse it proves closed. The probes and
//! their results are tabled in docs/security.md.

mod harness;

#[path = "adversarial/budgets.rs"]
mod budgets;
#[path = "adversarial/downloads.rs"]
mod downloads;
#[path = "adversarial/pages.rs"]
mod pages;
#[path = "adversarial/passwords.rs"]
mod passwords;
#[path = "adversarial/proxies.rs"]
mod proxies;
#[path = "adversarial/retention.rs"]
mod retention;
#[path = "adversarial/scaffolding.rs"]
mod scaffolding;
#[path = "adversarial/sessions.rs"]
mod sessions;
#[path = "adversarial/thumbnails.rs"]
mod thumbnails;
#[path = "adversarial/uploads.rs"]
mod uploads;
