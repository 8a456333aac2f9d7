//! dynsim: a deterministic discrete-event simulator of the Dynamo key-value
//! store design (DeCandia et al., SOSP 2007).

pub mod client;
pub mod id;
pub mod metrics;
pub mod net;
pub mod scenario;
pub mod time;
