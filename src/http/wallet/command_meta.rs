//! The metadata of the events a wallet request causes.

use crate::app::offers::CommandMeta;
use crate::http::request_context::RequestContext;
use crate::http::state::WalletApi;

/// The actor recorded on every event a wallet causes.
pub const WALLET_ACTOR: &str = "wallet";

/// The metadata of events a wallet request causes: actor `wallet`, the request id and the
/// client IP when configured.
pub fn wallet_command_meta(state: &WalletApi, context: RequestContext) -> CommandMeta {
    CommandMeta {
        actor: WALLET_ACTOR.into(),
        request_id: Some(context.request_id),
        client_ip: context
            .client_ip
            .filter(|_| state.settings.record_client_ip)
            .map(|ip| ip.to_string()),
    }
}
