//! Requests as the tests send them. A request that gets no response at all (refused,
//! reset, timed out) fails the test where it was sent, so a test reads as what it
//! asks and what it is answered; what the answer says is for the test to assert.

use std::future::Future;

use reqwest::{RequestBuilder, Response};

/// Sending a request and taking its answer, failing the test when none comes.
pub trait Exchange {
    /// The response, whatever its status.
    fn answer(self) -> impl Future<Output = Response> + Send;
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

    async fn answer_text(self) -> String {
        self.answer()
            .await
            .text()
            .await
            .expect("the response's body as text")
    }

    async fn answer_json(self) -> serde_json::Value {
        self.answer()
            .await
            .json()
            .await
            .expect("the response's body as JSON")
    }

    async fn answer_bytes(self) -> bytes::Bytes {
        self.answer()
            .await
            .bytes()
            .await
            .expect("the response's body")
    }
}
