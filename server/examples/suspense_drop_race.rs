//! A minimal reproduction, to report upstream (leptos-rs/leptos), of the panic Muster's
//! pages raised when a visitor left while the page was being rendered. Nothing of Muster
//! is used: leptos 0.8.23 and leptos_axum 0.8.10 on a two-thread tokio runtime.
//!
//! A page with one `<Suspense>` whose `Suspend` reads a resource and then builds a
//! component that reads a context and a signal. Each render is dropped after 0 to 199 µs,
//! as hyper drops a handler's future when the client goes away.
//!
//! What happens: `SuspenseBoundary::to_html_async_with_buf` starts an isomorphic effect
//! that calls `children.dry_resolve()` again when the boundary's task set changes. That
//! effect runs as a task of its own, possibly on the other worker thread. Dropping the
//! render disposes the request's owner tree under it, and the component it is building
//! panics: "expected context of type …" or "Tried to access a reactive value that has
//! already been disposed". A render that runs to its end never panics.
//!
//! ```sh
//! cargo run --release -p server --example suspense_drop_race [renders] [--run-to-end]
//! ```
//! prints how many renders were cut off and how many panics there were, and exits with
//! status 1 if there was any. With `--run-to-end`, each render runs in a task of its own
//! that the visitor's leaving does not drop (Muster's work-around,
//! `server::guard::finish_pages`): no panic.
//!
//! Measured here (debug build, 20,000 renders each): 395 cut off and 71 panics, 927 and
//! 137, 1,202 and 244. With `--run-to-end`: 1,855 and 855 cut off, 0 panics.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use leptos::prelude::*;

#[derive(Clone)]
struct Greeting(&'static str);

#[component]
fn Bar(word: String) -> impl IntoView {
    let greeting = expect_context::<Greeting>();
    let shown = RwSignal::new(word);
    view! { <p>{greeting.0} " " {move || shown.get()}</p> }
}

fn page() -> impl IntoView {
    provide_context(Greeting("hello"));
    let word = Resource::new(
        || (),
        |_| async {
            tokio::task::yield_now().await;
            String::from("world")
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { view! { <Bar word=word.await /> } })}
        </Suspense>
    }
}

fn main() {
    let renders: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let run_to_end = std::env::args().any(|a| a == "--run-to-end");
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if counted.fetch_add(1, Ordering::SeqCst) < 3 {
            default_hook(info);
        }
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dropped = runtime.block_on(async move {
        any_spawner::Executor::init_tokio().unwrap();
        let render = leptos_axum::render_app_async_with_context(|| (), page);
        let mut dropped = 0;
        for i in 0..renders {
            let request = axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap();
            let response = render(request);
            // The visitor leaves after 0 to 199 µs: the render's future is dropped, unless
            // it runs in a task of its own (dropping a JoinHandle does not cancel it).
            let wait = Duration::from_micros(u64::from(i % 200));
            let cut = if run_to_end {
                let response = tokio::spawn(response);
                tokio::time::timeout(wait, response).await.is_err()
            } else {
                let visit = tokio::spawn(async move { tokio::time::timeout(wait, response).await });
                visit.await.unwrap().is_err()
            };
            dropped += u32::from(cut);
        }
        // The last renders, and their effects, may still be running.
        tokio::time::sleep(Duration::from_millis(500)).await;
        dropped
    });
    let panics = panics.load(Ordering::SeqCst);
    println!("{renders} renders, {dropped} cut off half-way, {panics} panics");
    if panics > 0 {
        std::process::exit(1);
    }
}
