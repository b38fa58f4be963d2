//! The metadata every management command records: the caller's key name as the actor, the
//! request id, and the client address when `record_client_ip` is on.

use crate::app::offers::CommandMeta;
use crate::http::management::auth::Caller;
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// The command metadata of a management request.
pub fn command_meta(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
) -> CommandMeta {
    CommandMeta {
        actor: caller.name.clone(),
        request_id: Some(context.request_id),
        client_ip: context
            .client_ip
            .filter(|_| state.settings.record_client_ip)
            .map(|ip| ip.to_string()),
    }
}
