//! The route pattern a request matched (`/offers/{offer_id}`, never the raw path, which
//! carries ids), as the metrics and the request span label it: found once per request.
//!
//! actix finds a request's pattern by matching its path against every route again
//! (`match_pattern`), dynamic segments by regular expressions; two middlewares asking for
//! it did that twice per request. Now the first ask stores the label in the request, a
//! path that is a static route's own pattern is remembered per worker thread (a finite
//! set: only the listener's static patterns can be remembered), and the issuer shortcut
//! (see [`served`](super::wallet::served)) names the label of the route it takes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use actix_web::{HttpMessage, HttpRequest};

/// The label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// A request's route pattern, stored in its extensions once known.
#[derive(Clone)]
pub struct RouteLabel(Rc<str>);

impl RouteLabel {
    /// The label `pattern`, set by a middleware that knows the route taken.
    pub fn known(pattern: &'static str) -> RouteLabel {
        NAMED_LABELS.with(|labels| {
            labels
                .borrow_mut()
                .entry(pattern)
                .or_insert_with(|| RouteLabel(Rc::from(pattern)))
                .clone()
        })
    }

    /// The pattern.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

thread_local! {
    /// Paths that are their own (static) route's pattern.
    static STATIC_LABELS: RefCell<HashMap<Box<str>, RouteLabel>> = RefCell::new(HashMap::new());
    /// Labels named in code, allocated once per thread.
    static NAMED_LABELS: RefCell<HashMap<&'static str, RouteLabel>> = RefCell::new(HashMap::new());
}

/// The route pattern `request` matched (or [`UNMATCHED`]), found at most once per request.
pub fn of(request: &HttpRequest) -> RouteLabel {
    if let Some(label) = request.extensions().get::<RouteLabel>() {
        return label.clone();
    }
    let path = request.path();
    let remembered = STATIC_LABELS.with(|labels| labels.borrow().get(path).cloned());
    let label = remembered.unwrap_or_else(|| match request.match_pattern() {
        Some(pattern) if pattern == path => {
            let label = RouteLabel(Rc::from(pattern.as_str()));
            STATIC_LABELS.with(|labels| labels.borrow_mut().insert(Box::from(path), label.clone()));
            label
        }
        Some(pattern) => RouteLabel(Rc::from(pattern)),
        None => RouteLabel::known(UNMATCHED),
    });
    request.extensions_mut().insert(label.clone());
    label
}

/// Names the route `request` will take, when a middleware before routing knows it.
pub fn set(request: &HttpRequest, label: RouteLabel) {
    request.extensions_mut().insert(label);
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test, web, App, HttpResponse};

    async fn label(request: HttpRequest) -> HttpResponse {
        HttpResponse::Ok().body(of(&request).as_str().to_string())
    }

    #[actix_web::test]
    async fn labels_are_patterns_never_paths() {
        let app = test::init_service(
            App::new()
                .route("/offers", web::get().to(label))
                .route("/offers/{offer_id}", web::get().to(label))
                .default_service(web::to(label)),
        )
        .await;
        for (path, expected) in [
            ("/offers", "/offers"),
            ("/offers/42", "/offers/{offer_id}"),
            ("/offers", "/offers"),
            ("/elsewhere", UNMATCHED),
        ] {
            let request = test::TestRequest::get().uri(path).to_request();
            let body = test::call_and_read_body(&app, request).await;
            assert_eq!(body, expected.as_bytes(), "{path}");
        }
    }

    #[actix_web::test]
    async fn a_label_set_before_routing_is_kept() {
        let request = test::TestRequest::get()
            .uri("/acme/token")
            .to_http_request();
        set(&request, RouteLabel::known("/{issuer_id}/token"));
        assert_eq!(of(&request).as_str(), "/{issuer_id}/token");
    }
}
