//! The DNS resolver of the HTTP clients that send to offers' own callback URLs: resolves
//! as the system does, then hands the connector only addresses the [`AddressPolicy`]
//! allows. The check and the connection use the same answer, so a name that resolves to
//! a public address when the offer is created and to an internal one later (DNS
//! rebinding) is refused on the delivery that would reach it.

use std::error::Error;
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address::{AddressPolicy, RefusedAddress};

/// Resolves and checks.
#[derive(Debug, Clone)]
pub struct CheckedResolver {
    policy: AddressPolicy,
}

impl CheckedResolver {
    /// A resolver refusing what `policy` refuses.
    pub fn new(policy: AddressPolicy) -> CheckedResolver {
        CheckedResolver { policy }
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: the connector puts in the URL's port.
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            policy.check_all(addresses.iter().map(SocketAddr::ip))?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The refusal inside an HTTP client's error, if that is what it is.
pub fn refusal_in<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a RefusedAddress> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(refused) = error.downcast_ref::<RefusedAddress>() {
            return Some(refused);
        }
        current = error.source();
    }
    None
}
