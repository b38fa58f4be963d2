use super::*;

#[test]
fn descriptions_keep_only_the_allowed_characters() {
    assert_eq!(sanitize("a \"quoted\" \\ päth\n"), "a ?quoted? ? p?th?");
    assert_eq!(sanitize(&"x".repeat(400)).len(), 300);
}

#[test]
fn invalid_token_carries_a_bearer_challenge_with_the_code() {
    let error = WalletError::new(ErrorCode::InvalidToken, "expired");
    assert_eq!(error.status_code(), StatusCode::UNAUTHORIZED);
    let response = error.error_response();
    assert_eq!(
        response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer error=\"invalid_token\", error_description=\"expired\""
    );
    assert_eq!(
        response.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
}

#[test]
fn a_missing_token_gets_a_bare_challenge() {
    let response = WalletError::missing_token().error_response();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer"
    );
}

#[test]
fn every_payload_error_is_400_and_rate_limits_are_429() {
    for code in [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidGrant,
        ErrorCode::InvalidProof,
        ErrorCode::InvalidNonce,
        ErrorCode::CredentialRequestDenied,
        ErrorCode::InvalidNotificationId,
    ] {
        assert_eq!(
            WalletError::new(code, "x").status_code(),
            StatusCode::BAD_REQUEST
        );
    }
    let limited = WalletError::rate_limited(0).error_response();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers().get(header::RETRY_AFTER).unwrap(), "1");
}
