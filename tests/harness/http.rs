//! Requests as the tests send them. A request that gets no response at all (refused,
//! reset, timed out) fails the test where it was sent, so a test reads as what it
//! asks and what it is answered; what the answer says is for the test to assert.

use std::future::Future;

use reqwest::{RequestBuilder, Response};

/// Sending a request and taking its answer, failing the test when none comes.
pub trait Exchange {
    /// The response, whatever its status.
    fn answer(self) -> impl Future<Output = Response> + Send;
    /// The response, or `None` when none came (for polls that wait for a service).
    fn try_answer(self) -> impl Future<Output = Option<Response>> + Send;
    /// The response's body as text, or `None` when no whole answer came.
    fn try_answer_text(self) -> impl Future<Output = Option<String>> + Send;
    /// The response's body as text, whatever its status.
    fn answer_text(self) -> impl Future<Output = String> + Send;
    /// The response's body parsed as JSON, whatever its status.
    fn answer_json(self) -> impl Future<Output = serde_json::Value> + Send;
    /// The response's body as bytes, whatever its status.
    fn answer_bytes(self) -> impl Future<Output = bytes::Bytes> + Send;
}

impl Exchange for RequestBuilder {
    async fn answer(self) -> Response {
        self.send().await.expect("the request got a response")
    }

    async fn try_answer(self) -> Option<Response> {
        self.send().await.ok()
    }

    async fn try_answer_text(self) -> Option<String> {
        self.try_answer().await?.text().await.ok()
    }

    async fn answer_text(self) -> String {
        let answer = self.answer().await;
        answer.text().await.expect("the response's body as text")
    }

    async fn answer_json(self) -> serde_json::Value {
        let answer = self.answer().await;
        answer.json().await.expect("the response's body as JSON")
    }

    async fn answer_bytes(self) -> bytes::Bytes {
        let answer = self.answer().await;
        answer.bytes().await.expect("the response's body")
    }
}

/// The value of header `name` in `response` as text (asserted: present and visible
/// ASCII), e.g. a `Set-Cookie` or `Content-Disposition` to check.
pub fn header_text(response: &Response, name: impl reqwest::header::AsHeaderName) -> String {
    response
        .headers()
        .get(name)
        .expect("the response has the header")
        .to_str()
        .expect("the header is visible ASCII")
        .to_owned()
}

/// The seconds a refusal's `Retry-After` asks the client to wait (asserted: present,
/// and a whole number of seconds).
pub fn retry_after(response: &Response) -> u64 {
    header_text(response, reqwest::header::RETRY_AFTER)
        .parse()
        .expect("Retry-After is a whole number of seconds")
}

/// The `name=value` pair a `Set-Cookie` line sends back (its attributes dropped), as
/// a `Cookie` header carries it.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}
