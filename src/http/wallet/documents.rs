//! The handlers that serve the documents prepared at start-up: the three well-known metadata
//! documents and SD-JWT VC type metadata.

use actix_web::{web, HttpRequest, HttpResponse};

use super::errors::{ErrorCode, WalletError};
use super::metadata::serve;
use crate::http::state::WalletApi;

/// `GET /.well-known/openid-credential-issuer`.
pub async fn credential_issuer_metadata(
    state: web::Data<WalletApi>,
    request: HttpRequest,
) -> HttpResponse {
    serve(&state.wallet.documents.credential_issuer, &request)
}

/// `GET /.well-known/oauth-authorization-server`.
pub async fn authorization_server_metadata(
    state: web::Data<WalletApi>,
    request: HttpRequest,
) -> HttpResponse {
    serve(&state.wallet.documents.authorization_server, &request)
}

/// `GET /.well-known/jwt-vc-issuer`.
pub async fn jwt_vc_issuer_metadata(
    state: web::Data<WalletApi>,
    request: HttpRequest,
) -> HttpResponse {
    serve(&state.wallet.documents.jwt_vc_issuer, &request)
}

/// `GET` of a served `vct` URL: its document, cacheable like the well-known documents.
pub async fn type_metadata(
    state: web::Data<WalletApi>,
    request: HttpRequest,
) -> Result<HttpResponse, WalletError> {
    match state.wallet.type_metadata.documents.get(request.path()) {
        Some(document) => Ok(serve(document, &request)),
        None => Err(WalletError::new(ErrorCode::NotFound, "no such endpoint")),
    }
}
